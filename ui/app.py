"""The Gradio app: tabs over copilot's services, login required, loopback unless told, offline.

Every handler makes one call into ``ui.actions`` or the ``ui.actions_*`` of its tab family and
renders its result; a ``UserError`` is shown in place in Japanese and English (``gr.Error``), never
as a traceback. Each tab is built by its own ``tab_*`` function (in ``tab_ask``,
``tab_checklist``, ``tab_review``, ``tabs_audit``, ``tabs_policy``, ``tabs_records``); what tabs
share is in ``ui.page`` (the lead-only rows, the pickers filled from the index), ``ui.editor`` (the
draft editor and sign-off rows) and ``ui.sources`` (citations and clauses), and is wired
once in ``build_app``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from copilot.errors import UserError
from copilot.review.store import open_store
from copilot.review.users import ROLE_JA
from copilot.settings import Settings
from ui import actions
from ui.actions import Deps
from ui.frontend_words import FRONTEND_WORDS
from ui.hosts import AllowedHosts
from ui.page import Page, fill_pickers, literal, login_name
from ui.security import (
    Policy,
    client_address,
    guarded_lifespan,
    is_guarded,
    refuse_login,
    tls_files,
    trusting,
)
from ui.sessions import Sessions
from ui.shutdown import wait_for_signal
from ui.tab_ask import tab_ask
from ui.tab_checklist import tab_checklist
from ui.tab_review import tab_review
from ui.tabs_audit import tab_findings, tab_hearing, tab_ledger, tab_selfcheck
from ui.tabs_policy import tab_engagement, tab_policy
from ui.tabs_records import tab_documents, tab_eval

log = logging.getLogger(__name__)


# What the login page says (HTML), read afresh for each page: the first text only while the review
# store has no user, so that it is gone once the first admin is made in another terminal.
FIRST_USER = (
    "利用者がまだ登録されていません。この端末のプロジェクトのフォルダで"
    "<code>.venv/bin/copilot users add admin --role admin</code> を実行して最初の管理者を作成し、"
    "この画面を再読み込みしてから、その利用者でログインしてください。"
)


LOGIN = "監査コパイロット：利用者名とパスワードでログインしてください。"


def theme() -> gr.themes.Base:
    """The default theme with system fonts only (the stock one fetches fonts online)."""
    return gr.themes.Default(
        font=[gr.themes.Font("sans-serif")], font_mono=[gr.themes.Font("monospace")]
    )


def is_loopback_host(host: str) -> bool:
    """True when only this machine can reach an address (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, tls: bool = False) -> str | None:
    """The warning to log when the UI listens beyond this machine over HTTP, in ja and en."""
    if tls or is_loopback_host(host):
        return None
    return (
        f"警告: 画面を {host} で待ち受けます。この端末以外（同じネットワークの他の端末）からも"
        "開けます。ログインは必要ですが、通信は暗号化されません（HTTP）。監査チームの内部"
        "ネットワークだけで使ってください。"
        f"\nWarning: the UI listens on {host} and can be reached from other machines on the "
        "network. Login is still required, but traffic is not encrypted (plain HTTP); use it "
        "only on the audit team's internal network."
    )


def check_exposure(host: str, tls: bool, insecure_http: bool) -> None:
    """Refuse to listen beyond this machine over plain HTTP unless told so explicitly.

    Raises:
        UserError: ``host`` is not loopback, there is no TLS and no ``insecure_http``.

    """
    if tls or insecure_http or is_loopback_host(host):
        return
    raise UserError(
        f"画面を {host} で待ち受けるには HTTPS が必要です。--tls-cert と --tls-key"
        "（または COPILOT_UI_TLS_CERT と COPILOT_UI_TLS_KEY）で証明書と鍵を指定してください"
        "（作り方は README の「画面」）。暗号化しない HTTP のまま内部ネットワークに公開するなら"
        " --insecure-http を付けてください。",
        f"listening on {host} needs HTTPS: give a certificate and key with --tls-cert and "
        "--tls-key (or COPILOT_UI_TLS_CERT and COPILOT_UI_TLS_KEY; README, section 画面, "
        "shows how to make them), or add --insecure-http to serve unencrypted HTTP on the "
        "internal network anyway.",
    )


def url(host: str, port: int, tls: bool) -> str:
    """The address to open the UI at."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{'https' if tls else 'http'}://{shown}:{port}/"


# The tabs in the order the auditor meets them; another tab is one more function here.
TABS: list[Callable[[Page], None]] = [
    tab_ask,
    tab_checklist,
    tab_findings,
    tab_selfcheck,
    tab_hearing,
    tab_ledger,
    tab_policy,
    tab_engagement,
    tab_review,
    tab_eval,
    tab_documents,
]


def build_app(settings: Settings) -> gr.Blocks:
    """The app over the services and review store of ``settings``."""
    # Gradio keeps every uploaded file and every download in its cache, which it names when the
    # Blocks and the server are made: inside the data folder, so that purge erases it too.
    cache = actions.upload_cache(settings)
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    page = Page(Deps(settings, open_store(settings)))

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        hidden = [gr.update(visible=False) for _ in (*page.lead_only, *page.admin_only)]
        try:
            user = actions.current_user(page.deps, login_name(request))
        except UserError as exc:
            return (exc.ja, *hidden)
        lead, admin = user.role == "lead", user.role == "admin"
        who = f"ログイン中: **{literal(user.display_name or user.name)}**（{ROLE_JA[user.role]}）"
        if not lead:
            who += "　承認・却下は主任担当者（lead）だけが行えます。"
        return (
            who,
            *(gr.update(visible=lead) for _ in page.lead_only),
            *(gr.update(visible=admin) for _ in page.admin_only),
        )

    with Desk(login_settings=settings, title="監査コパイロット", analytics_enabled=False) as app:
        gr.Markdown("# 監査コパイロット　情報セキュリティ監査支援")
        who = gr.Markdown(elem_id="who")
        gr.HTML("<a href='/logout'>ログアウト</a>")
        with gr.Tabs():
            for build_tab in TABS:
                build_tab(page)

        on_pickers = fill_pickers(page)
        app.load(on_load, outputs=[who, *page.lead_only, *page.admin_only])
        app.load(on_pickers, outputs=page.pickers())
        for handler, outputs in page.loads:
            app.load(handler, outputs=outputs)
        for event in page.index_changed:
            event.then(on_pickers, outputs=page.pickers())
    return app


CSS = (
    "mark { background: #ffe066; } .clause { white-space: normal; line-height: 1.8; }"
    " .source { border-left: 3px solid #ccc; padding-left: 0.8em; margin-bottom: 0.6em; }"
)


def login_message(settings: Settings) -> str:
    """What the login page says: how to log in, or how to create the first admin."""
    with open_store(settings) as store:
        return LOGIN if store.list_users() else FIRST_USER


class Desk(gr.Blocks):
    """The app's Blocks, whose login message is read from the review store for each login page.

    Gradio writes ``auth_message`` into each login page it serves; ``launch`` would fix it once, so
    a server started before the first admin existed would tell users to make one forever.
    """

    def __init__(self, login_settings: Settings, **kwargs: Any) -> None:
        """Blocks (``kwargs``) whose login page follows the users of ``login_settings``."""
        self.login_settings = login_settings
        super().__init__(**kwargs)

    @property
    def auth_message(self) -> str:
        """The login page's message, as the users stand now."""
        return login_message(self.login_settings)

    @auth_message.setter
    def auth_message(self, _value: str | None) -> None:
        """Ignore ``launch``'s fixed message: the property reads the store instead."""


def tls_launch_args(tls: tuple[Path, Path] | None) -> dict[str, Any]:
    """Gradio's HTTPS arguments: the files, and a startup check that trusts this certificate."""
    if tls is None:
        return {}
    cert, key = tls
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_verify": trusting(cert)}


def launch(
    app: gr.Blocks,
    deps_settings: Settings,
    host: str,
    port: int,
    block: bool,
    tls: tuple[Path, Path] | None = None,
) -> None:
    """Start the server: login against the review store, security headers, no share link.

    No run history: Gradio would keep every input and output (questions, drafts, contract text)
    in the browser's localStorage, past logout and purge.
    """
    login_store = open_store(deps_settings)
    policy = Policy(
        hosts=AllowedHosts(host, deps_settings.ui_allowed_hosts),
        sessions=Sessions(
            idle_s=deps_settings.session_idle_minutes * 60,
            max_s=deps_settings.session_max_hours * 3600,
            stamp=login_store.password_version,
        ),
    )

    def auth(name: str, password: str) -> bool:
        deps = Deps(deps_settings, login_store)
        return actions.check_password(
            deps, name, password, address=client_address(), on_refusal=refuse_login
        )

    warning = exposure_warning(host, tls is not None)
    if warning:
        log.warning(warning)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        app_kwargs={"lifespan": guarded_lifespan(policy)},
        **tls_launch_args(tls),
        share=False,
        auth=auth,
        prevent_thread_lock=True,  # blocks below, once the guard is checked
        theme=theme(),
        css=CSS,
        head=FRONTEND_WORDS,
        ssr_mode=False,
        footer_links=[],
        quiet=True,
        show_error=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        run_history=False,
        max_file_size=deps_settings.max_upload_mb * 1024 * 1024,  # refused before it is stored
    )
    if not is_guarded(app.server_app):  # fail closed: never serve without the headers and guard
        app.close()
        raise RuntimeError("the security middleware was not attached at startup")
    if block:
        wait_for_signal(app)


def serve(
    settings: Settings,
    host: str | None = None,
    port: int = 7860,
    block: bool = True,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    insecure_http: bool = False,
) -> gr.Blocks:
    """Build the app and serve it (blocking unless ``block=False``).

    Args:
        settings: the settings whose data folder and review store the app uses.
        host: the address to listen on; None takes ``settings.ui_host`` (127.0.0.1 by default).
        port: the TCP port.
        block: wait until the server stops (False returns at once, for tests).
        tls_cert: PEM certificate for HTTPS; None takes ``settings.ui_tls_cert``.
        tls_key: its PEM key; None takes ``settings.ui_tls_key``.
        insecure_http: allow plain HTTP on an address other machines can reach.

    Raises:
        UserError: a non-loopback host without TLS or ``insecure_http``, or bad TLS files.

    """
    host = host or settings.ui_host
    tls = tls_files(tls_cert or settings.ui_tls_cert, tls_key or settings.ui_tls_key)
    check_exposure(host, tls is not None, insecure_http)
    app = build_app(settings)
    launch(app, settings, host, port, block, tls)
    return app
