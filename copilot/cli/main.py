"""The command line: `copilot <command>`, a thin face over ``copilot.services``.

Results go to stdout, progress and errors to stderr. A user error prints one Japanese and one
English line and exits 2; an ingest with failed files exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

from copilot import __version__
from copilot.cli import audit as cli_audit
from copilot.cli import engagement as cli_engagement
from copilot.cli import export as cli_export
from copilot.cli import hearing as cli_hearing
from copilot.cli import index as cli_index
from copilot.cli import policy as cli_policy
from copilot.cli import review as cli_review
from copilot.cli.common import err
from copilot.errors import UserError
from copilot.services import holding
from copilot.settings import load_settings
from ingest.permissions import OWNER_ONLY_UMASK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, including commands that other packages register."""
    parser = argparse.ArgumentParser(
        prog="copilot", description="監査コパイロット / audit copilot (on-premises)"
    )
    parser.add_argument("--version", action="version", version=f"copilot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_index.register(sub)
    cli_audit.register(sub)
    cli_review.register(sub)
    cli_export.register(sub)
    cli_engagement.register(sub)
    cli_hearing.register(sub)
    cli_policy.register(sub)
    for ep in sorted(entry_points(group="copilot.commands"), key=lambda e: e.name):
        register: Callable[[argparse._SubParsersAction], None] = ep.load()  # type: ignore[type-arg]
        register(sub)
    return parser


@contextmanager
def _holding(command: str) -> Iterator[None]:
    """Every command but purge holds the data folder against purge while it runs (``in_use``)."""
    if command == "purge":
        yield
        return
    try:
        data_dir = load_settings().data_dir
    except ValueError:  # a bad setting: the command itself reports it
        yield
        return
    with holding(data_dir, f"copilot {command}"):
        yield


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    # the data folder holds contracts' text: every file a command (or a library it calls, such
    # as Chroma) creates is the owner's alone; restored after, for callers such as the tests
    umask = os.umask(OWNER_ONLY_UMASK)
    try:
        with _holding(args.command):
            return int(args.func(args))
    except UserError as exc:
        err(f"エラー: {exc.ja}\nError: {exc.en}")
        return 2
    except KeyboardInterrupt:
        err("中断しました / interrupted")
        return 130
    finally:
        os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
