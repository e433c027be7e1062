"""Registers `copilot eval ...` (placeholder until the runner lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the eval command."""
    sub.add_parser("eval", help="評価 / evaluation")
