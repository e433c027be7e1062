"""``copilot policy …``: policy revision support.

Gap analysis, guideline change impact and advice from findings; each subcommand is a thin face
over one service function.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``policy`` command group; each task adds its own subcommand below."""
    p = sub.add_parser("policy", help="ポリシー改定支援 / policy revision support")
    psub = p.add_subparsers(dest="policy_command", required=True, metavar="{gap,diff,advise}")
    del psub  # the gap, diff and advise subcommands are added here with psub.add_parser(...)
