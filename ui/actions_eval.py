"""What the 評価 tab's buttons do, for the admin only.

The evaluation measures the copilot itself (golden sets, retrieval metrics, the baseline): it is
the work of whoever runs the system, so only the admin sees the tab and may run it; an auditor's
screens carry none of its words. These handlers are the only place ``ui`` uses ``eval``: they run
the golden sets through eval's runner instead of a second copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from copilot.drafting.drafters import make_drafter
from copilot.errors import UserError
from ui.actions import Deps, checklist_file, current_user

GOLDEN = {
    "retrieval": Path("eval/golden/retrieval.jsonl"),
    "checklist": Path("eval/golden/checklist_judgements.json"),
}


def is_admin(deps: Deps, name: str | None) -> bool:
    """True when the logged-in user is the admin (False when not logged in)."""
    try:
        return current_user(deps, name).role == "admin"
    except UserError:
        return False


def golden_file(which: str, upload: str | None) -> Path:
    """The uploaded golden set, else the project's own one for ``which``."""
    if upload:
        return Path(upload)
    import eval as eval_package

    root = Path(eval_package.__file__).resolve().parents[1]
    return root / GOLDEN[which]


def evaluate(
    deps: Deps,
    name: str | None,
    which: str,
    upload: str | None,
    checklist: str,
    with_baseline: bool,
    note: Callable[[str], None],
) -> dict[str, object]:
    """Run a golden set (``retrieval`` or ``checklist``) through eval's runner, as the admin.

    Raises:
        UserError: not the admin, an unknown golden set, a bad golden file, no checklist,
            nothing ingested.

    """
    user = current_user(deps, name)
    if user.role != "admin":
        raise UserError(
            f"評価（正解データによる精度の測定）は管理者（admin）だけが実行できます。{user.name} は"
            "管理者ではありません。管理者に依頼してください。",
            f"only the admin may run an evaluation; {user.name} is not the admin. "
            "Ask the administrator.",
        )
    if which not in GOLDEN:
        raise UserError("正解データの種類を選んでください。", "choose which golden set to run.")
    golden = golden_file(which, upload)
    source = checklist_file(deps, checklist) if which == "checklist" else None
    with deps.services() as s:
        if source is None:
            from eval.retrieval import evaluate_retrieval

            return evaluate_retrieval(s, golden, with_baseline=with_baseline, notify=note)
        from eval.checklist import evaluate_checklist

        drafter = make_drafter(deps.drafter_name(), s.settings)
        return evaluate_checklist(s, source, golden, drafter, notify=note)
