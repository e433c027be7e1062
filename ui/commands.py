"""``copilot serve``: the browser UI's own command.

Registered through the ``copilot.commands`` entry point, so that copilot never imports ui; gradio is
imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from copilot.cli.review import first_admin_in_terminal
from copilot.errors import UserError
from copilot.review.store import open_store
from copilot.settings import load_settings


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the browser UI (Gradio) on this machine."""
    try:
        from ui.app import check_exposure, serve, url
        from ui.security import tls_files
    except ImportError as exc:
        raise UserError(
            "画面（UI）に必要な gradio が入っていません。`make install` を実行してください。",
            "the UI needs gradio; run `make install`.",
        ) from exc
    settings = load_settings()
    host = args.host or settings.ui_host  # --host wins over COPILOT_UI_HOST
    cert = args.tls_cert or settings.ui_tls_cert  # and --tls-* over COPILOT_UI_TLS_*
    key = args.tls_key or settings.ui_tls_key
    tls = tls_files(cert, key) is not None  # refused here, before asking for the first admin
    check_exposure(host, tls, args.insecure_http)
    with open_store(settings) as store:
        first_admin_in_terminal(store)  # the first run asks here instead of needing a 2nd terminal
    shown = url(host, args.port, tls)
    print(f"監査コパイロットの画面: {shown} （終了は Ctrl+C）", file=sys.stderr, flush=True)
    serve(settings, host, args.port, tls_cert=cert, tls_key=key, insecure_http=args.insecure_http)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``copilot serve``."""
    p = sub.add_parser("serve", help="画面を起動する / start the browser UI")
    p.add_argument(
        "--host", help="listen address (default: COPILOT_UI_HOST, which defaults to 127.0.0.1)"
    )
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--tls-cert", type=Path, help="PEM certificate: serve HTTPS (default: COPILOT_UI_TLS_CERT)"
    )
    p.add_argument(
        "--tls-key", type=Path, help="PEM key of --tls-cert (default: COPILOT_UI_TLS_KEY)"
    )
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow plain HTTP on an address other machines can reach (warned at startup)",
    )
    p.set_defaults(func=cmd_serve)
