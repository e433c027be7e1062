"""Which Host headers the UI answers (a defence against DNS rebinding).

A page on another site can have its own name resolve to this machine's address and then send
its requests here under that name. Browsers name the host they think they talk to in ``Host``,
so a request whose Host is none of this machine's names is refused (``ui.security.Guard``).

Accepted: loopback names and addresses (``localhost``, 127.0.0.0/8, ``::1``), the address the UI
listens on, this machine's own name (``socket.gethostname()``, with and without its domain), any
IP address of this machine (checked by binding a socket to it: no name lookup, no packet sent),
and the names of the setting ``ui_allowed_hosts`` (``name`` for any port, ``name:port`` for one).
An IP literal cannot be rebound, so accepting this machine's addresses costs nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache

LOOPBACK_NAMES = ("localhost",)


def split_host(host: str) -> tuple[str, str]:
    """(name, port) of a Host header or an allowed entry, the name in lower case ("" port: none)."""
    host = host.strip().lower()
    if host.startswith("["):  # [v6]:port
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    if host.count(":") == 1:
        name, port = host.split(":")
        return name.rstrip("."), port
    return host.rstrip("."), ""


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


@lru_cache(maxsize=256)
def is_own_address(name: str) -> bool:
    """True when ``name`` is an IP address of this machine (a socket can be bound to it)."""
    address = _address(name)
    if address is None or address.is_unspecified or address.is_multicast:
        return False
    if address.is_loopback:
        return True
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


class AllowedHosts:
    """The Host headers the UI answers."""

    def __init__(self, listen: str, extra: Iterable[str] = ()) -> None:
        """Loopback, ``listen``, this machine's names and addresses, and ``extra``.

        Args:
            listen: the address (or name) the UI listens on.
            extra: further names, ``name`` or ``name:port`` (the setting ``ui_allowed_hosts``).

        """
        machine = socket.gethostname().lower()
        names = {*LOOPBACK_NAMES, machine, machine.split(".")[0], split_host(listen)[0]}
        self.names = {n for n in names if n}
        self.with_port: set[tuple[str, str]] = set()
        for entry in extra:
            name, port = split_host(entry)
            if port:
                self.with_port.add((name, port))
            elif name:
                self.names.add(name)

    def allows(self, host: str | None) -> bool:
        """True when a request naming ``host`` in its Host header may be answered."""
        if not host:
            return False
        name, port = split_host(host)
        if name in self.names or (name, port) in self.with_port:
            return True
        return is_own_address(name)
