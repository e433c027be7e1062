"""What the command modules share: services, output, the acting user, and saving a drafting run.

Imported by every command module of ``copilot.cli``; it imports none of them (nor ``main``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.errors import UserError
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.services import Services, build_services
from copilot.settings import load_settings

if TYPE_CHECKING:
    from copilot.schemas import Engagement


@contextmanager
def open_services() -> Iterator[Services]:
    """Services from the current settings, closed afterwards."""
    services = build_services(load_settings())
    try:
        yield services
    finally:
        services.close()


def err(message: str) -> None:
    """A diagnostic line on stderr."""
    print(message, file=sys.stderr, flush=True)


def print_json(obj: object) -> None:
    """JSON on stdout, Japanese kept readable."""
    print(json.dumps(obj, ensure_ascii=False, indent=2))


# --- the acting user -------------------------------------------------------------------------


def stdin_line(what_ja: str, what_en: str) -> str:
    """The next line of stdin, without its line ending.

    Raises:
        UserError: stdin has no more lines.

    """
    line = sys.stdin.readline()
    if not line:
        raise UserError(
            f"標準入力に{what_ja}の行がありません。",
            f"stdin has no line for {what_en}.",
        )
    return line.rstrip("\r\n")


def prompt(label: str) -> str:
    """A password asked in the terminal.

    Raises:
        UserError: stdin is not a terminal.

    """
    if not sys.stdin.isatty():
        raise UserError(
            "パスワードを入力できません。--password-stdin か COPILOT_PASSWORD で渡してください。",
            "cannot prompt for a password here; pass it with --password-stdin or COPILOT_PASSWORD.",
        )
    return getpass.getpass(label)


def login(args: argparse.Namespace, store: ReviewStore) -> User:
    """The acting user, authenticated."""
    name = args.user or os.environ.get("COPILOT_USER")
    if not name:
        raise UserError(
            "操作する利用者を --user NAME か COPILOT_USER で指定してください。",
            "name the acting user with --user NAME or COPILOT_USER.",
        )
    if args.password_stdin:
        password = stdin_line("パスワード", "the password")
    elif os.environ.get("COPILOT_PASSWORD") is not None:
        password = os.environ["COPILOT_PASSWORD"]
    else:
        password = prompt(f"{name} のパスワード / password: ")
    return store.login(name, password, "cli")  # throttled and recorded like the browser's


def auth_parent() -> argparse.ArgumentParser:
    """Options naming the acting user and how their password is given."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--user", help="acting user (default: COPILOT_USER)")
    parent.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the acting user's password from the first line of stdin",
    )
    return parent


# --- drafting runs ---------------------------------------------------------------------------


def save_parent() -> argparse.ArgumentParser:
    """The acting user's options plus ``--no-save``, for commands that record a drafting run."""
    parent = auth_parent()
    parent.add_argument(
        "--no-save", action="store_true", help="a trial run: do not record it for review"
    )
    return parent


def drafting_user(args: argparse.Namespace) -> User | None:
    """The authenticated user a drafting run is recorded under; None only with --no-save.

    Checked before the work starts, so a missing user or a wrong password costs nothing.

    Raises:
        UserError: no acting user named (and no --no-save), or authentication failed.

    """
    if args.no_save:
        return None
    if not (args.user or os.environ.get("COPILOT_USER")):
        raise UserError(
            "下書きは審査記録に保存します。担当者を --user NAME（または COPILOT_USER）で指定して"
            "ください。保存しない試行なら --no-save を付けてください。",
            "drafts are recorded for review: name the user with --user NAME (or COPILOT_USER), "
            "or add --no-save for a trial run that is not recorded.",
        )
    from copilot.review.store import open_store

    with open_store(load_settings()) as store:
        return login(args, store)


def save(user: User | None, record: Callable[..., int]) -> None:
    """Keep the run and its drafts in the review store (nothing with --no-save)."""
    if user is None:
        err("注意: --no-save のため審査記録に保存していません。/ note: not recorded (--no-save).")
        return
    from copilot.review.store import open_store

    with open_store(load_settings()) as store, open_services() as s:
        run_id = record(store, user, s)
    err(f"審査記録に保存しました（実行 #{run_id}）。`copilot review list` で確認できます。")


def drafter_name(args: argparse.Namespace) -> str:
    """The drafter asked for with --drafter, else llm when an LLM is set up, else evidence."""
    settings = load_settings()
    return args.drafter or ("llm" if settings.llm_base_url else "evidence")


def default_checklist(s: Services) -> Path:
    """The source file of the ingested checklist.

    Raises:
        UserError: no checklist is ingested.

    """
    for doc in s.index.documents():
        if doc.kind == "checklist" and Path(doc.source).is_file():
            return Path(doc.source)
    raise UserError(
        "チェックリストが取り込まれていません。"
        "--checklist FILE（.xlsx・.xls・.ods）で指定してください。",
        "no checklist is ingested; give one with --checklist FILE (.xlsx, .xls or .ods).",
    )


def engagement_of(args: argparse.Namespace) -> Engagement:
    """The engagement file of ``--engagement``, never one of the data folder's own files."""
    from copilot.engagement.file import load_engagement

    return load_engagement(Path(args.engagement), load_settings().data_dir)
