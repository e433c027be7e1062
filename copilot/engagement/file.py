"""Read the engagement file (engagement.toml) into an `Engagement`, with errors that name the field.

The file is TOML (dates written bare, e.g. ``contract_date = 2026-07-01``); see
``examples/engagement.toml`` for every field. The ``[notice]`` table (how the audit-result
notice is headed: 文書番号, 宛先, 差出人, 日付) is optional, and so is each of its fields.
A bad value gives one `UserError` whose Japanese and English messages name the file and each
offending field (``onsite[0].date`` …).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from copilot.errors import UserError
from copilot.filenames import readable
from copilot.schemas import Engagement

_MAX_ERRORS = 5
# Japanese wording of pydantic's error types (the English comes from pydantic's own message).
_JA: dict[str, str] = {
    "missing": "必須の項目がありません",
    "extra_forbidden": "この項目は使えません（綴りを確認してください）",
    "date_type": "日付（例 2026-07-01）で書いてください",
    "date_parsing": "日付（例 2026-07-01）で書いてください",
    "date_from_datetime_parsing": "日付（例 2026-07-01）で書いてください",
    "date_from_datetime_inexact": "時刻のない日付（例 2026-07-01）で書いてください",
    "int_type": "整数で書いてください",
    "int_parsing": "整数で書いてください",
    "int_from_float": "整数で書いてください",
    "string_type": '文字列（"…"）で書いてください',
    "string_too_short": "空にはできません",
    "too_short": "少なくとも{min_length}件必要です",
    "too_long": "{max_length}件以内にしてください",
    "literal_error": "次のいずれかにしてください：{expected}",
    "greater_than_equal": "{ge}以上にしてください",
    "less_than_equal": "{le}以下にしてください",
    "list_type": "配列（[...] 又は [[...]]）で書いてください",
    "model_type": "表（[...]）で書いてください",
    "model_attributes_type": "表（[...]）で書いてください",
    "dict_type": "表（[...]）で書いてください",
}


def _field(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the file spells it: ("onsite", 0, "date") -> onsite[0].date."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(ファイル全体)"


def _messages(err: dict[str, Any]) -> tuple[str, str]:
    """The field-prefixed Japanese and English message of one pydantic error."""
    ctx = err.get("ctx") or {}
    if err["type"] == "engagement":
        return f"{ctx['field']}: {ctx['ja']}", f"{ctx['field']}: {ctx['en']}"
    field = _field(err["loc"])
    ja = _JA.get(err["type"], "値が正しくありません")
    try:
        ja = ja.format(**ctx)
    except (KeyError, IndexError):
        pass
    return f"{field}: {ja}", f"{field}: {err['msg']}"


def engagement_error(source: str, exc: ValidationError) -> UserError:
    """One UserError for every problem pydantic found in the engagement read from source."""
    pairs = [_messages(e) for e in exc.errors()]
    more = len(pairs) - _MAX_ERRORS
    ja = "；".join(p[0] for p in pairs[:_MAX_ERRORS]) + (f"；ほか{more}件" if more > 0 else "")
    en = "; ".join(p[1] for p in pairs[:_MAX_ERRORS]) + (f"; {more} more" if more > 0 else "")
    return UserError(
        f"{source}: 作業計画の設定に誤りがあります。{ja}",
        f"{source}: the engagement settings are wrong: {en}",
    )


def load_engagement(
    path: Path, data_dir: Path | None = None, shown: str | None = None
) -> Engagement:
    """Read and validate an engagement file.

    Args:
        path: the TOML file.
        data_dir: the data folder, whose own files (the databases, the index) are never read:
            only its owned sub-folders (``copilot.filenames.OWNED``) may hold the file.
        shown: how messages name the file (default: its path); the UI gives the name only, so
            that no server folder is shown.

    Returns:
        The engagement.

    Raises:
        UserError: the file is missing, is not TOML, a value is wrong (the message names the
            file and the field), or it lies among the data folder's own files.

    """
    where = shown or str(path)
    if data_dir is not None:
        path = readable(path, data_dir)
    if not path.is_file():
        raise UserError(
            f"{where} が見つかりません。作業計画の設定ファイル（例 examples/engagement.toml）を"
            "指定してください。",
            f"{where} does not exist; give an engagement file (see examples/engagement.toml).",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{where}: UTF-8 の TOML ファイルとして読めません。",
            f"{where}: not a UTF-8 TOML file.",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"{where}: TOML の書き方に誤りがあります（{exc}）。",
            f"{where}: not valid TOML ({exc}).",
        ) from exc
    try:
        return Engagement.model_validate(data)
    except ValidationError as exc:
        raise engagement_error(where, exc) from exc


# <data folder>/engagements/: engagement files put there are offered by name in the UI
ENGAGEMENTS = "engagements"


def offered_engagements(data_dir: Path, sample: Path | None = None) -> dict[str, Path]:
    """The engagement files the UI offers, by name: the sample, then ``engagements/*.toml``.

    The names are what a person picks (never a path they type); a file that leads out of the
    engagements folder into the data folder's own files (a link) is not offered.
    """
    offered = {}
    if sample is not None and sample.is_file():
        offered[f"examples/{sample.name}"] = sample
    folder = data_dir / ENGAGEMENTS
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            offered[f"{ENGAGEMENTS}/{path.name}"] = readable(path, data_dir)
        except UserError:
            continue
    return {name: path for name, path in offered.items() if path.is_file()}
