"""The drafters by name: importing the built-in ones here registers them.

The registry (``copilot.drafting.registry``) imports no drafter; each drafter module registers
itself when imported, and this module, which no drafter imports, imports them all.
"""

from __future__ import annotations

from copilot.drafting import evidence, llm  # noqa: F401  (importing registers them)
from copilot.drafting.registry import DRAFTERS, Drafter
from copilot.errors import UserError
from copilot.settings import Settings


def make_drafter(name: str, settings: Settings) -> Drafter:
    """The registered drafter of that name, built for these settings.

    Raises:
        UserError: no drafter has that name.

    """
    if name not in DRAFTERS:
        raise UserError(
            f"下書き方式 {name} はありません（{', '.join(sorted(DRAFTERS))} のいずれか）。",
            f"no drafter named {name}; use one of {', '.join(sorted(DRAFTERS))}.",
        )
    return DRAFTERS[name](settings)
