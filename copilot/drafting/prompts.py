"""Versioned prompt templates, loaded by name from ``prompts/<task>.v<N>.md``.

No prompt text lives in code. Every draft records the template's name, version and the hash of
the text actually sent, so a draft can always be traced to its exact prompt.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_NAME = re.compile(r"^(?P<task>[a-z_]+)\.v(?P<version>\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    """A template: system text and user text separated by a line '---user---'."""

    name: str
    version: str
    system: str
    user: str

    def render(self, **values: str) -> tuple[str, str, str]:
        """System text, user text and the sha256 (first 16 hex) of both, values filled in."""
        system = self.system.format(**values)
        user = self.user.format(**values)
        digest = hashlib.sha256(f"{system}\n---user---\n{user}".encode()).hexdigest()[:16]
        return system, user, digest


def load_prompt(task: str, folder: Path = PROMPTS_DIR) -> Prompt:
    """The newest version of a task's template.

    Raises:
        ConfigError: no template for the task.

    """
    versions = sorted(
        (int(m.group("version")), p)
        for p in folder.glob(f"{task}.v*.md")
        if (m := _NAME.match(p.name)) and m.group("task") == task
    )
    if not versions:
        raise ConfigError(
            f"プロンプト {task} が {folder} にありません。",
            f"no prompt template {task} in {folder}.",
        )
    version, path = versions[-1]
    text = path.read_text(encoding="utf-8")
    system, _, user = text.partition("\n---user---\n")
    return Prompt(task, f"v{version}", system.strip(), user.strip())
