"""``copilot serve``: the browser UI's own command.

Registered through the ``copilot.commands`` entry point, so that copilot never imports ui; gradio is
imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys

from copilot.cli_review import first_admin_in_terminal
from copilot.errors import UserError
from copilot.settings import load_settings
from copilot.store import open_store


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the browser UI (Gradio) on this machine."""
    try:
        from ui.app import serve
    except ImportError as exc:
        raise UserError(
            "画面（UI）に必要な gradio が入っていません。`make install` を実行してください。",
            "the UI needs gradio; run `make install`.",
        ) from exc
    settings = load_settings()
    with open_store(settings) as store:
        first_admin_in_terminal(store)  # the first run asks here instead of needing a 2nd terminal
    host = args.host or settings.ui_host  # --host wins over COPILOT_UI_HOST
    url = f"http://{host}:{args.port}/"
    print(f"監査コパイロットの画面: {url} （終了は Ctrl+C）", file=sys.stderr, flush=True)
    serve(settings, host, args.port)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``copilot serve``."""
    p = sub.add_parser("serve", help="画面を起動する / start the browser UI")
    p.add_argument(
        "--host", help="listen address (default: COPILOT_UI_HOST, which defaults to 127.0.0.1)"
    )
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)
