"""What the 評価 tab's buttons do, for the admin only.

The evaluation measures the copilot itself (golden sets, retrieval metrics, the baseline): it is
the work of whoever runs the system, so only the admin sees the tab and may run it; an auditor's
screens carry none of its words. The runner is ``ui.actions_records.evaluate``.
"""

from __future__ import annotations

from collections.abc import Callable

from copilot.errors import UserError
from ui import actions_records
from ui.actions import Deps, current_user


def is_admin(deps: Deps, name: str | None) -> bool:
    """True when the logged-in user is the admin (False when not logged in)."""
    try:
        return current_user(deps, name).role == "admin"
    except UserError:
        return False


def evaluate(
    deps: Deps,
    name: str | None,
    which: str,
    upload: str | None,
    checklist: str,
    with_baseline: bool,
    note: Callable[[str], None],
) -> dict[str, object]:
    """Run a golden set through eval's runner as the logged-in admin.

    Raises:
        UserError: not the admin, or what ``actions_records.evaluate`` refuses.

    """
    user = current_user(deps, name)
    if user.role != "admin":
        raise UserError(
            f"評価（正解データによる精度の測定）は管理者（admin）だけが実行できます。{user.name} は"
            "管理者ではありません。管理者に依頼してください。",
            f"only the admin may run an evaluation; {user.name} is not the admin. "
            "Ask the administrator.",
        )
    return actions_records.evaluate(deps, which, upload, checklist, with_baseline, note)
