"""The suite itself refuses any connection that is not loopback; this checks the guard works."""

from __future__ import annotations

import socket

import pytest

from tests import conftest


@pytest.mark.parametrize("address", [("192.0.2.10", 80), ("10.1.2.3", 443), ("2001:db8::1", 443)])
def test_non_loopback_connections_are_refused_and_recorded(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    before = len(conftest.BLOCKED)
    with socket.socket(family, socket.SOCK_STREAM) as s:
        with pytest.raises(ConnectionRefusedError, match="network guard"):
            s.connect(address)
    assert len(conftest.BLOCKED) == before + 1
    del conftest.BLOCKED[before:]  # expected here; any other attempt fails its test


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
