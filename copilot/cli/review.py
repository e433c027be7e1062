"""`copilot users ...` and `copilot review ...`: the review store on the command line.

Who acts: ``--user NAME`` or ``COPILOT_USER``. Their password: the first line of stdin with
``--password-stdin``, else ``COPILOT_PASSWORD`` (meant for scripts and tests: other programs of
the same account can read a process's environment), else a prompt. A new password (``users add``,
``users passwd``) comes from the next line of stdin with ``--new-password-stdin``, else a prompt
asked twice. The very first ``users add`` (an admin) needs no acting user. Read-only commands
(``users list``, ``review list|show|verify``) ask for no password.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from copilot.audit.learning import describe, discard, refit
from copilot.cli.common import auth_parent, login, print_json, prompt, stdin_line
from copilot.errors import UserError
from copilot.review.drafts import DRAFT_MODELS, STATUSES, Draft, draft_number, least_sure_first
from copilot.review.signoff import SELF_APPROVAL
from copilot.review.store import ReviewStore, open_store
from copilot.review.users import ROLE_JA, ROLES, User

STATUS_JA = {
    "draft": "下書き",
    "approved": "承認",
    "approved_with_edits": "修正のうえ承認",
    "rejected": "却下",
}
ACTION_JA = {
    "run": "実行記録",
    "create": "作成",
    "edit": "修正",
    "approve": "承認",
    "approve_with_edits": "修正のうえ承認",
    "reject": "却下",
    "reopen": "差戻し",
    "user_add": "利用者追加",
    "passwd": "パスワード変更",
    "login": "ログイン",
    "login_failed": "ログイン失敗",
    "lockout": "ロック",
    "unlock": "ロック解除",
}


def _store() -> ReviewStore:
    from copilot.settings import load_settings

    return open_store(load_settings())


def _new_password(args: argparse.Namespace, name: str) -> str:
    if args.new_password_stdin:
        return stdin_line("新しいパスワード", "the new password")
    first = prompt(f"{name} の新しいパスワード / new password: ")
    if prompt("もう一度 / again: ") != first:
        raise UserError(
            "2回の入力が一致しません。もう一度実行してください。",
            "the two entries differ; run the command again.",
        )
    return first


def first_admin_in_terminal(store: ReviewStore) -> User | None:
    """Create the first administrator by asking in this terminal; None when not needed or possible.

    Used by ``copilot serve`` so that the first run needs no second terminal. Only when the store
    has no user and both stdin and stdout are a terminal (never in CI or a service).
    """
    if store.list_users() or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    print(
        "利用者がまだいません。最初の管理者（admin）を作成します。\n"
        "No user yet: create the first administrator.",
        flush=True,
    )
    while True:
        name = input("管理者の利用者名 / admin user name [admin]: ").strip() or "admin"
        first = getpass.getpass(f"{name} のパスワード（8文字以上）/ password (8+ characters): ")
        if getpass.getpass("もう一度 / again: ") != first:
            print("2回の入力が一致しません。やり直してください。/ The entries differ; try again.")
            continue
        try:
            user = store.add_user(name, name, "admin", first, None)
        except UserError as exc:
            print(f"{exc.ja}\n{exc.en}")
            continue
        print(
            f"管理者 {user.name} を作成しました。画面にこの利用者でログインしてください。"
            "監査人・主任担当者は 管理者で `copilot users add` で追加します。\n"
            f"Created admin {user.name}; log in with it. Add auditors and leads with "
            "`copilot users add`.",
            flush=True,
        )
        return user


# --- users -----------------------------------------------------------------------------------


def cmd_users_add(args: argparse.Namespace) -> int:
    """Add a user (the first one, an admin, needs no acting user)."""
    with _store() as store:
        by = login(args, store).name if store.list_users() else None
        password = _new_password(args, args.name)
        user = store.add_user(args.name, args.display_name or args.name, args.role, password, by)
    print(f"利用者 {user.name}（{user.display_name}、{ROLE_JA[user.role]}）を登録しました。")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    """List users."""
    with _store() as store:
        users = store.list_users()
        states = store.login_states()
    if args.json:
        print_json([{**asdict(u), **asdict(states[u.name])} for u in users])
        return 0
    for u in users:
        state = states[u.name]
        last = f"最終ログイン {state.last_login}" if state.last_login else "ログインなし"
        where = "、".join(f"{a or '不明'} から {t} まで" for a, t in state.locked_from.items())
        lock = f"  【ロック中 / locked: {where}】" if state.locked else ""
        print(f"{u.name:<16} {u.role:<8} {u.display_name}  （{u.created_at}、{last}）{lock}")
    if not users:
        print("利用者はまだいません。`copilot users add NAME --role admin` で登録してください。")
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    """Lift the lock on a user after failed logins (admin only)."""
    with _store() as store:
        store.unlock(args.name, login(args, store))
    print(f"{args.name} のロックを解除しました。/ unlocked {args.name}.")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    """Change a password (one's own, or anyone's as an admin)."""
    with _store() as store:
        actor = login(args, store)
        name = args.name or actor.name
        store.set_password(name, _new_password(args, name), actor)
    print(f"{name} のパスワードを変更しました。")
    return 0


# --- review ----------------------------------------------------------------------------------


def _summary(d: Draft) -> str:
    sure = f"確信度 {d.confidence:.2f}  " if d.confidence is not None else ""
    verdict = d.payload.get("verdict", "") if d.kind == "checklist_judgement" else ""
    return (
        f"{d.id:>5}  {STATUS_JA[d.status]:<8} {d.kind:<20} {d.key}  {verdict and verdict + '  '}"
        f"{sure}（第{d.latest.version}版 {d.latest.created_at}）"
    )


def cmd_review_list(args: argparse.Namespace) -> int:
    """List drafts."""
    with _store() as store:
        drafts = store.list_drafts(args.status, args.kind, args.key)
    if args.sort == "confidence":
        drafts = least_sure_first(drafts)
    if args.json:
        print_json(
            [
                {
                    "id": d.id,
                    "status": d.status,
                    "kind": d.kind,
                    "key": d.key,
                    "run_id": d.run_id,
                    "version": d.latest.version,
                    "updated_at": d.latest.created_at,
                    "confidence": d.confidence,
                }
                for d in drafts
            ]
        )
        return 0
    for d in drafts:
        print(_summary(d))
    if not drafts:
        print("該当する下書きはありません。")
    return 0


def cmd_review_show(args: argparse.Namespace) -> int:
    """Show a draft: versions, the diff between the original and the latest, the log."""
    with _store() as store:
        d = store.get_draft(draft_number(args.id))
        diff = store.diff(d.id, 1, d.latest.version)
    if args.payload:
        print_json(d.payload)
        return 0
    if args.json:
        print_json({**asdict(d), "diff": diff})
        return 0
    print(f"下書き {d.id}  {d.kind}  {d.key}  状態: {STATUS_JA[d.status]}（{d.status}）")
    print(f"実行記録 {d.run_id}、{d.created_at} {d.created_by} が作成")
    print(
        f"最新は第{d.latest.version}版です。読んだこの版に対して修正・承認・却下・差戻しするには"
        f" --version {d.latest.version} を付けてください（その後に保存された版があれば断ります）。"
    )
    print("版:")
    for v in d.versions:
        note = f"「{v.comment}」" if v.comment else ""
        print(f"  第{v.version}版  {v.created_at}  {v.author_display}（{v.author}）{note}")
    print(f"差分（第1版 → 第{d.latest.version}版）:")
    print(diff.rstrip("\n") if diff else "  （変更なし）")
    print("記録:")
    for r in d.log:
        note = f"「{r.comment}」" if r.comment else ""
        if r.subject == SELF_APPROVAL:
            note += "【本人による承認: 職務の分離は無効 / self-approval, separate_duties off】"
        print(
            f"  #{r.seq}  {r.at}  {ACTION_JA.get(r.action, r.action)}  第{r.version}版  "
            f"{r.actor_display}（{r.actor}）{note}"
        )
    print("内容（最新版）:")
    print(json.dumps(d.payload, ensure_ascii=False, indent=2))
    return 0


def cmd_review_approve(args: argparse.Namespace) -> int:
    """Approve a draft's latest version (lead only; ``--version``: the one read)."""
    draft_id = draft_number(args.id)
    with _store() as store:
        action = store.approve(
            draft_id, login(args, store), args.comment or "", seen_version=args.version
        )
        signed = store.get_draft(draft_id).signoff
    version = signed.version if signed else args.version
    print(f"下書き {draft_id} の第{version}版を{ACTION_JA[action]}しました。")
    return 0


def _read_payload(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"{path} が見つかりません。", f"{path} does not exist.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(
            f"{path} は UTF-8 の JSON として読めません（{exc}）。",
            f"{path} is not UTF-8 JSON ({exc}).",
        ) from exc
    if not isinstance(data, dict):
        raise UserError(
            f"{path} の中身は JSON のオブジェクト（{{…}}）にしてください。",
            f"{path} must hold a JSON object ({{…}}).",
        )
    return data


def cmd_review_edit(args: argparse.Namespace) -> int:
    """Store an edited version of a draft (validated against its kind's model)."""
    draft_id = draft_number(args.id)
    payload = _read_payload(Path(args.file))
    with _store() as store:
        user = login(args, store)
        version = store.edit(draft_id, payload, user, args.comment or "", seen_version=args.version)
    print(f"下書き {draft_id} に第{version}版を追加しました。")
    return 0


def cmd_review_reject(args: argparse.Namespace) -> int:
    """Reject a draft (lead only; ``--version``: the one read)."""
    draft_id = draft_number(args.id)
    with _store() as store:
        store.reject(draft_id, login(args, store), args.comment, seen_version=args.version)
        signed = store.get_draft(draft_id).signoff
    version = signed.version if signed else args.version
    print(f"下書き {draft_id} の第{version}版を却下しました。")
    return 0


def cmd_review_reopen(args: argparse.Namespace) -> int:
    """Put a signed-off draft back in draft, as a new version (lead only)."""
    draft_id = draft_number(args.id)
    with _store() as store:
        version = store.reopen(
            draft_id, login(args, store), args.comment, seen_version=args.version
        )
    print(f"下書き {draft_id} を差し戻しました（第{version}版）。")
    return 0


def cmd_review_verify(args: argparse.Namespace) -> int:
    """Re-derive the sign-off log's hash chain; exit 1 on the first bad record."""
    with _store() as store:
        result = store.verify()
    if args.json:
        print_json(asdict(result))
    elif result.ok:
        print(
            f"署名記録は改ざんされていません（{result.records} 件、先頭ハッシュ {result.head}）。"
        )
        print(f"the sign-off log is intact ({result.records} records, head {result.head}).")
    else:
        where = f"記録 #{result.bad_seq}" if result.bad_seq is not None else "記録の外"
        where_en = f"record #{result.bad_seq}" if result.bad_seq is not None else "outside the log"
        print(f"署名記録の検証に失敗しました: {where}: {result.reason_ja}")
        print(f"the sign-off log does not verify: {where_en}: {result.reason_en}")
    return 0 if result.ok else 1


def cmd_review_refit(args: argparse.Namespace) -> int:
    """Refit the verdict model on this data folder's signed-off judgements (lead only)."""
    from copilot.settings import load_settings

    settings = load_settings()
    with open_store(settings) as store:
        if args.status:
            print(describe(settings, store))
            return 0
        user = login(args, store)
        if args.discard:
            gone = discard(settings, store, user)
            print(
                "この市の判定モデルを削除し、同梱モデルに戻しました。"
                if gone
                else "この市の判定モデルはありません（同梱モデルを使っています）。"
            )
            return 0
        report = refit(settings, store, user, dry_run=args.dry_run)
    if args.json:
        print_json(
            {
                "signed": report.signed,
                "unusable": report.unusable,
                "contracts": report.contracts,
                "shipped_accuracy": report.shipped_accuracy,
                "held_out_accuracy": report.held_out_accuracy,
                "written": report.written,
                "run_id": report.run_id,
                "model": json.loads(report.model.to_json()),
            }
        )
    else:
        print(report.summary())
    return 0


# --- parser ----------------------------------------------------------------------------------


def _new_password_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="read the new password from the next line of stdin",
    )
    return parent


def _seen_version(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--version",
        type=int,
        metavar="N",
        help="the version you read (review show): refused, with what changed, when another "
        "version was saved since (default: the latest, shown in the output)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `users` and `review` to the CLI."""
    auth, new_pw = auth_parent(), _new_password_parent()

    p = sub.add_parser("users", help="利用者 / users and roles")
    u_sub = p.add_subparsers(dest="users_command", required=True)
    c = u_sub.add_parser("add", parents=[auth, new_pw], help="利用者を登録する / add a user")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=ROLES)
    c.add_argument("--display-name", help="name shown on sign-offs (default: NAME)")
    c.set_defaults(func=cmd_users_add)
    c = u_sub.add_parser("list", help="利用者の一覧 / list users")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_users_list)
    c = u_sub.add_parser(
        "passwd", parents=[auth, new_pw], help="パスワードを変更する / change a password"
    )
    c.add_argument("name", nargs="?", help="whose password (default: the acting user)")
    c.set_defaults(func=cmd_users_passwd)
    c = u_sub.add_parser(
        "unlock", parents=[auth], help="ログインのロックを解除する / unlock a user (admin)"
    )
    c.add_argument("name")
    c.set_defaults(func=cmd_users_unlock)

    p = sub.add_parser("review", help="レビューと承認 / review and sign-off")
    r_sub = p.add_subparsers(dest="review_command", required=True)
    c = r_sub.add_parser("list", help="下書きの一覧 / list drafts")
    c.add_argument("--status", choices=STATUSES)
    c.add_argument("--kind", help=f"e.g. {', '.join(DRAFT_MODELS)}")
    c.add_argument("--key", help="key prefix (e.g. C-2026-001/)")
    c.add_argument(
        "--sort",
        choices=["id", "confidence"],
        default="id",
        help="confidence: the least sure judgements first (read the doubtful ones first)",
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_review_list)
    c = r_sub.add_parser("show", help="下書きを見る / show a draft")
    c.add_argument("id", help="the draft number")
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "--payload", action="store_true", help="print only the latest content (to edit it)"
    )
    c.set_defaults(func=cmd_review_show)
    c = r_sub.add_parser("approve", parents=[auth], help="承認する / approve (lead)")
    c.add_argument("id", help="the draft number")
    c.add_argument("--comment")
    _seen_version(c)
    c.set_defaults(func=cmd_review_approve)
    c = r_sub.add_parser("edit", parents=[auth], help="修正版を登録する / store an edit")
    c.add_argument("id", help="the draft number")
    c.add_argument("--file", required=True, help="the whole new content, JSON")
    c.add_argument("--comment")
    _seen_version(c)
    c.set_defaults(func=cmd_review_edit)
    c = r_sub.add_parser("reject", parents=[auth], help="却下する / reject (lead)")
    c.add_argument("id", help="the draft number")
    c.add_argument("--comment", required=True)
    _seen_version(c)
    c.set_defaults(func=cmd_review_reject)
    c = r_sub.add_parser(
        "reopen", parents=[auth], help="差し戻す / reopen a signed-off draft (lead)"
    )
    c.add_argument("id", help="the draft number")
    c.add_argument("--comment", required=True)
    _seen_version(c)
    c.set_defaults(func=cmd_review_reopen)
    c = r_sub.add_parser("verify", help="署名記録を検証する / verify the sign-off log")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_review_verify)
    c = r_sub.add_parser(
        "refit",
        parents=[auth],
        help="署名済みの判定で判定モデルを再学習する / refit the verdict model on sign-offs (lead)",
    )
    how = c.add_mutually_exclusive_group()
    how.add_argument("--dry-run", action="store_true", help="measure only, write nothing")
    how.add_argument("--discard", action="store_true", help="go back to the shipped model")
    how.add_argument("--status", action="store_true", help="which model is in use (no login)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_review_refit)
