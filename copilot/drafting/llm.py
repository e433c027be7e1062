"""The LLM drafter: a local OpenAI-compatible server through llama-index ``OpenAILike``.

The evidence goes in as numbered clauses with their ids; the reply must be JSON in a schema
built for this very evidence (clause ids as an enum and, by default, the retrieved sentences as
the only quotes on offer). A reply is parsed into our pydantic models and put through the
citation gate; on failure the errors are fed back and the model tries again, a bounded number of
times, after which the draft becomes 要確認 with the reasons and with the advice the evidence
drafter would give (the profile's sentences, or those for an item judged by its wording), never
the model's words. Grammar constraints are not validation: both checks run whatever the server
promised.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.drafting.citations import answer_errors, finding_errors, judgement_errors
from copilot.drafting.elements import ElementResult, Sentence, assess, judge_elements
from copilot.drafting.facets import facets
from copilot.drafting.profile_judgement import compose, contract_pool
from copilot.drafting.profiles import Element, Profile, load_profiles, match_profile
from copilot.drafting.prompts import load_prompt
from copilot.drafting.registry import Evidence, FindingInput, provenance, register, sentences
from copilot.drafting.wording_texts import compose_texts
from copilot.errors import ConfigError, UserError
from copilot.schemas import (
    ANSWER_OF,
    VERDICTS,
    Answer,
    ChecklistItem,
    ChecklistJudgement,
    Citation,
    Finding,
    Provenance,
)
from copilot.settings import Settings
from ingest.index import ClauseRecord


class _Quote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clause_id: str
    quote: str


class _Judgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["反映あり", "一部反映", "反映なし", "要確認", "対象外"]
    rationale: str
    evidence: list[_Quote] = Field(default_factory=list)
    basis: list[_Quote] = Field(default_factory=list)
    advice: str = ""
    proposed_wording: str = ""
    alternative_measure: str = ""
    confidence: float = Field(ge=0)  # 0–1; a model that answers in percent (69) is read as 0.69

    @field_validator("confidence")
    @classmethod
    def _share(cls, value: float) -> float:
        return min(value / 100 if value > 1 else value, 1.0)


class _ElementAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    status: Literal["met", "soft", "missing"]
    quote: str = ""
    reason: str = ""


class _Elements(BaseModel):
    model_config = ConfigDict(extra="forbid")
    elements: list[_ElementAnswer]
    confidence: float = Field(ge=0)

    @field_validator("confidence")
    @classmethod
    def _share(cls, value: float) -> float:
        return min(value / 100 if value > 1 else value, 1.0)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    citations: list[_Quote]


class _Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    finding: str
    rating: Literal["指摘", "意見"]
    risk: str
    recommendation: str
    criteria: list[_Quote]
    evidence: list[_Quote] = Field(default_factory=list)


def _listing(clauses: list[ClauseRecord]) -> str:
    if not clauses:
        return "（なし）"
    return "\n\n".join(
        f"[{n}] clause_id={c.clause_id}\n文書: {c.title}　条項: {c.path}"
        + (f"　{c.page}ページ" if c.page else "")
        + f"\n{c.text}"
        for n, c in enumerate(clauses, start=1)
    )


def _quote_schema(clauses: list[ClauseRecord], constrain: bool) -> dict[str, Any]:
    if not clauses:  # nothing to cite: only an empty list validates
        return {"type": "object", "properties": {}, "additionalProperties": False}
    if constrain:
        return {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "clause_id": {"const": c.clause_id},
                        "quote": {"enum": sentences(c.text) or [c.text]},
                    },
                    "required": ["clause_id", "quote"],
                    "additionalProperties": False,
                }
                for c in clauses
            ]
        }
    return {
        "type": "object",
        "properties": {
            "clause_id": {"enum": [c.clause_id for c in clauses]},
            "quote": {"type": "string", "minLength": 4},
        },
        "required": ["clause_id", "quote"],
        "additionalProperties": False,
    }


def _array(items: dict[str, Any], least: int, most: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": least, "maxItems": most}


def _cites(quotes: list[_Quote], allowed: dict[str, ClauseRecord]) -> list[Citation]:
    out = []
    for q in quotes:
        clause = allowed.get(q.clause_id)
        out.append(
            Citation(
                clause_id=q.clause_id,
                document=clause.doc_id if clause else "",
                clause_path=clause.path if clause else "",
                page=clause.page if clause else None,
                quote=q.quote or "-",
            )
        )
    return out


CANDIDATES = 8  # sentences offered to the model for one element


def _candidates(element: Element, pool: list[Sentence], evidence: Evidence) -> list[Sentence]:
    """The sentences that hold the element's expressions, then those retrieved for the item."""
    retrieved = {c.clause_id for c in evidence.documents}
    holding = [s for s in pool if element.holds(s.scope)]
    near = [s for s in pool if s.clause.clause_id in retrieved and s not in holding]
    return [*holding, *near][:CANDIDATES]


def _element_listing(profile: Profile) -> str:
    need_ja = {
        "prior": "事前",
        "written": "書面",
        "approval": "承認",
        "notice": "通知",
        "report": "報告",
        "survives": "契約終了後の存続",
    }
    lines = []
    for n, e in enumerate(profile.elements, start=1):
        words = "、".join("・".join(group) for group in e.terms)
        line = f"{n}. id={e.id}　{e.label}{'' if e.required else '（任意）'}\n   表現の例: {words}"
        if e.needs:
            line += f"\n   条件: {'・'.join(need_ja[x] for x in e.needs)}"
        if e.exclude:
            line += f"\n   似ているが該当しないもの: {'、'.join(e.exclude)}"
        if "city" in e.accept:
            line += "\n   市の権利として定められていてもよい"
        lines.append(line)
    return "\n".join(lines)


def _element_results(
    raw: _Elements, by_id: dict[str, Element], offered: dict[str, list[Sentence]]
) -> tuple[list[ElementResult], list[str]]:
    """The model's answers as element standings, and what is wrong with them.

    A quote must be one of the element's candidate sentences, word for word; a "met" that the
    rules reject (the provider's discretion, the user's duty, a disclaimer) becomes "soft".
    """
    results: list[ElementResult] = []
    errors: list[str] = []
    for answer in raw.elements:
        element = by_id.get(answer.id)
        if element is None or any(r.element.id == answer.id for r in results):
            continue
        if answer.status == "missing":
            results.append(ElementResult(element, "missing", None, ""))
            continue
        sentence = next((s for s in offered[answer.id] if s.text == answer.quote), None)
        if sentence is None:
            errors.append(
                f"要素 {answer.id} の quote は、その要素の候補の文を一字一句そのまま選んでください"
            )
            continue
        status = answer.status
        if status == "met" and assess(element, sentence.scope, sentence.reading)[0] != "met":
            status = "soft"
        why = answer.reason.strip() or "定め方が十分でない"
        results.append(ElementResult(element, status, sentence, "" if status == "met" else why))
    answered = {r.element.id for r in results} | {a.id for a in raw.elements if a.id in by_id}
    errors += [f"要素 {e} の回答がありません" for e in by_id if e not in answered]
    return results, errors


_NONE = ("", "", "")
# for an item whose every element the rules find met, what the reviewer checks in the original
_CHECK_ELEMENTS = (
    "各要素が外部サービス提供者の義務として契約書類に定められているか、原文で確かめる。"
)


def _fallback_texts(
    item: ChecklistItem, contract: str, evidence: Evidence, profile: Profile | None
) -> tuple[str, str, str]:
    """Advice, proposed wording and alternative for a draft that no LLM reply could give.

    They come by the evidence drafter's own path, never from the model's words: with a profile,
    the profile's sentences for each element the rules find missing or soft
    (``judge_elements`` and ``compose``); without one, the sentences written for an item judged
    by its wording (``compose_texts``), naming the item's elements as what to look for.
    """
    if profile is not None:
        pool = contract_pool(evidence)
        results = judge_elements(profile, pool)
        if all(r.status == "met" for r in results):
            return _CHECK_ELEMENTS, "", ""
        # a bar no draft reaches: the texts of 要確認, whatever the rules lean to
        drafted = compose(item, contract, profile, results, pool, 2.0)
        return drafted.advice, drafted.proposed_wording, drafted.alternative_measure
    texts = compose_texts(
        "要確認",
        "要確認",
        example=item.example,
        quotes="",
        nearest="",
        documents="",
        unmet=facets(item.text),
        hedge="",
        basis=evidence.basis,
    )
    return texts.advice, texts.proposed, texts.alternative


def _judged(
    item: ChecklistItem,
    contract: str,
    checked: ChecklistJudgement | None,
    errors: list[str],
    attempts: int,
    prov: Provenance,
    fallback: tuple[str, str, str],
) -> ChecklistJudgement:
    """The judgement that passed the gate with its provenance, or 要確認 with the reasons.

    A 要確認 carries ``fallback``: advice, proposed wording and alternative measure composed of
    whole sentences (``_fallback_texts``), so that the reviewer still knows what to look for.
    """
    if checked is None:
        advice, proposed, alternative = fallback
        return ChecklistJudgement(
            item=item.id,
            contract=contract,
            verdict="要確認",
            answer=ANSWER_OF["要確認"],  # type: ignore[arg-type]
            rationale=f"{attempts}回の下書きがいずれも検証に通らなかったため、担当者の確認が"
            "必要です: " + " / ".join(errors),
            advice=advice,
            proposed_wording=proposed,
            alternative_measure=alternative,
            provenance=prov,
        )
    return checked.model_copy(update={"provenance": prov})


@register("llm")
class LLMDrafter:
    """Drafts with a local LLM; every reply is validated and its citations verified."""

    name = "llm"

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise ConfigError(
                "LLM を使うには COPILOT_LLM_BASE_URL（例 http://127.0.0.1:8080/v1）を設定して"
                "ください。LLM なしでは --drafter evidence を使います。",
                "set COPILOT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1) to use the LLM; "
                "without one, use --drafter evidence.",
            )
        self.settings = settings
        self.model = settings.llm_model
        self.profiles = load_profiles(settings)
        self.cut_off = False  # the last reply stopped at llm_max_tokens
        from llama_index.llms.openai_like import OpenAILike

        self.llm = OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key,
            is_chat_model=True,
            is_function_calling_model=False,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            max_tokens=settings.llm_max_tokens,
            temperature=0.0,
        )

    # --- the structured call with validation and retries --------------------------------------

    def _format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.settings.llm_dialect == "json_object_schema":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "draft", "schema": schema}}

    def _chat(self, messages: list[Any], schema: dict[str, Any]) -> str:
        import openai

        try:
            reply = self.llm.chat(messages, response_format=self._format(schema))
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise UserError(
                f"LLM サーバ（{self.settings.llm_base_url}）に接続できないか、応答が"
                f"{self.settings.llm_timeout_s:.0f}秒以内にありません。サーバを起動するか "
                "COPILOT_LLM_BASE_URL を確認してください。"
                "LLM なしでは --drafter evidence を使います。",
                f"the LLM server ({self.settings.llm_base_url}) cannot be reached or did not "
                f"answer within {self.settings.llm_timeout_s:.0f} s; start it or check "
                "COPILOT_LLM_BASE_URL, or use --drafter evidence.",
            ) from exc
        except openai.APIStatusError as exc:
            detail = str(exc.message)[:300]
            raise UserError(
                f"LLM サーバがエラーを返しました（HTTP {exc.status_code}: {detail}）。"
                "COPILOT_LLM_DIALECT（json_schema / json_object_schema）がサーバに合っているか、"
                "サーバの文脈長（context length）が足りているか確認してください。",
                f"the LLM server answered HTTP {exc.status_code}: {detail}; check that "
                "COPILOT_LLM_DIALECT (json_schema / json_object_schema) suits the server and that "
                "its context length is large enough.",
            ) from exc
        choices = getattr(reply.raw, "choices", None) or [None]
        self.cut_off = getattr(choices[0], "finish_reason", None) == "length"
        return reply.message.content or ""

    def _draft(
        self,
        task: str,
        values: dict[str, str],
        schema: dict[str, Any],
        parse: Any,
        check: Any,
    ) -> tuple[Any, list[str], int, str, str]:
        """(checked draft or None, last errors, attempts, prompt version, prompt hash)."""
        from llama_index.core.llms import ChatMessage

        prompt = load_prompt(task)
        system, user, digest = prompt.render(**values)
        messages = [
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=user),
        ]
        errors: list[str] = []
        attempts = 0
        for attempts in range(1, self.settings.llm_retries + 2):
            content = self._chat(messages, schema)
            try:
                # a raw line break or tab inside a string, which local models write, is the
                # character itself (strict JSON refuses it); the schema and the gate still check
                draft = parse(json.loads(content, strict=False))
            except (json.JSONDecodeError, ValidationError) as exc:
                errors = [f"JSON が指定の形式ではありません: {str(exc)[:300]}"]
                if self.cut_off:
                    errors.append(
                        "応答が最大トークン数（COPILOT_LLM_MAX_TOKENS="
                        f"{self.settings.llm_max_tokens}）で途中で切れています。"
                        "引用の数と説明を減らしてください"
                    )
            else:
                checked, errors = check(draft)
                if not errors:
                    return checked, [], attempts, prompt.version, digest
            messages += [
                ChatMessage(role="assistant", content=content),
                ChatMessage(
                    role="user",
                    content="次の誤りを直して、同じ形式の JSON だけを出力してください。\n- "
                    + "\n- ".join(errors),
                ),
            ]
        return None, errors, attempts, prompt.version, digest

    # --- tasks -------------------------------------------------------------------------------

    def judge(self, item: ChecklistItem, contract: str, evidence: Evidence) -> ChecklistJudgement:
        """A verdict drafted by the LLM, or 要確認 when no attempt passes the gate.

        An item with a requirement profile is answered element by element
        (``judge_elements``); the verdict and the texts then come from the same rule and the
        same profile texts as the evidence drafter's.
        """
        profile = match_profile(item.id, item.text, self.profiles)
        if profile is not None:
            return self.judge_elements(item, contract, evidence, profile)
        constrain = self.settings.llm_constrain_quotes
        schema = {
            "type": "object",
            "properties": {
                "verdict": {"enum": list(VERDICTS)},
                "rationale": {"type": "string"},
                # constrained: name the closest contract text considered, even for 反映なし
                "evidence": _array(
                    _quote_schema(evidence.documents, constrain),
                    1 if constrain and evidence.documents else 0,
                    3,
                ),
                "basis": _array(_quote_schema(evidence.basis, constrain), 0, 2),
                "advice": {"type": "string"},
                "proposed_wording": {"type": "string"},
                "alternative_measure": {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["verdict", "rationale", "evidence", "basis", "confidence"],
            "additionalProperties": False,
        }
        allowed = evidence.allowed

        def parse(data: Any) -> ChecklistJudgement:
            raw = _Judgement.model_validate(data)
            if raw.verdict in ("反映なし", "対象外"):
                raw.evidence = []  # what was considered and found wanting is not evidence
            # the same footing as the evidence drafter: a verdict it is less sure of is 要確認
            unsure = raw.confidence < self.settings.evidence_review_below
            verdict = "要確認" if unsure else raw.verdict
            return ChecklistJudgement(
                item=item.id,
                contract=contract,
                verdict=verdict,
                answer=ANSWER_OF[verdict],  # type: ignore[arg-type]
                confidence=raw.confidence,
                leaning=raw.verdict,
                confidence_reason=f"LLM の自己申告による確信度 {raw.confidence:.2f}。",
                rationale=raw.rationale,
                evidence=_cites(raw.evidence, allowed),
                basis=_cites(raw.basis, allowed),
                advice=raw.advice,
                proposed_wording=raw.proposed_wording,
                alternative_measure=raw.alternative_measure,
            )

        values = {
            "item_id": item.id,
            "group": item.group,
            "item_text": item.text,
            "elements": "\n".join(
                f"{n}. {'、又は'.join(f.alternatives)}"
                for n, f in enumerate(facets(item.text), start=1)
            ),
            "guidance": item.guidance or "（なし）",
            "example": item.example or "（なし）",
            "contract": contract,
            "documents": _listing(evidence.documents),
            "basis": _listing(evidence.basis),
        }
        checked, errors, attempts, version, digest = self._draft(
            "checklist_judgement", values, schema, parse, lambda j: judgement_errors(j, allowed)
        )
        prov = provenance(
            self.name,
            self.model,
            "checklist_judgement",
            version,
            digest,
            evidence,
            self.settings,
            attempts,
        )
        texts = _fallback_texts(item, contract, evidence, None) if checked is None else _NONE
        return _judged(item, contract, checked, errors, attempts, prov, texts)

    def judge_elements(
        self, item: ChecklistItem, contract: str, evidence: Evidence, profile: Profile
    ) -> ChecklistJudgement:
        """The LLM reads each element's candidate sentences; the verdict rule decides.

        A sentence the rules read as the provider's discretion, the user's duty or a disclaimer
        is never "met", whatever the model says (it becomes "soft"): the model can weaken a
        match, never invent one.
        """
        pool = contract_pool(evidence)
        offered = {e.id: _candidates(e, pool, evidence) for e in profile.elements}

        def element_schema(e: Element) -> dict[str, Any]:
            return {
                "type": "object",
                "properties": {
                    "id": {"const": e.id},
                    "status": {"enum": ["met", "soft", "missing"]},
                    "quote": (
                        {"enum": ["", *dict.fromkeys(s.text for s in offered[e.id])]}
                        if self.settings.llm_constrain_quotes
                        else {"type": "string"}
                    ),
                    "reason": {"type": "string"},
                },
                "required": ["id", "status", "quote", "reason"],
                "additionalProperties": False,
            }

        n = len(profile.elements)
        schema = {
            "type": "object",
            "properties": {
                "elements": _array({"anyOf": [element_schema(e) for e in profile.elements]}, n, n),
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["elements", "confidence"],
            "additionalProperties": False,
        }
        by_id = {e.id: e for e in profile.elements}

        def parse(data: Any) -> _Elements:
            return _Elements.model_validate(data)

        def check(raw: _Elements) -> tuple[Any, list[str]]:
            results, errors = _element_results(raw, by_id, offered)
            if errors:
                return None, errors
            confidence = raw.confidence
            draft = compose(
                item,
                contract,
                profile,
                results,
                pool,
                self.settings.evidence_review_below,
                confidence,
            )
            return judgement_errors(draft, evidence.allowed)

        values = {
            "item_id": item.id,
            "group": item.group,
            "item_text": item.text,
            "guidance": item.guidance or "（なし）",
            "elements": _element_listing(profile),
            "contract": contract,
            "candidates": "\n\n".join(
                f"<element id={e.id}>\n"
                + ("\n".join(f"- {s.text}" for s in offered[e.id]) or "（候補なし）")
                + "\n</element>"
                for e in profile.elements
            ),
        }
        checked, errors, attempts, version, digest = self._draft(
            "checklist_elements", values, schema, parse, check
        )
        prov = provenance(
            self.name,
            self.model,
            "checklist_elements",
            version,
            digest,
            evidence,
            self.settings,
            attempts,
        )
        texts = _fallback_texts(item, contract, evidence, profile) if checked is None else _NONE
        return _judged(item, contract, checked, errors, attempts, prov, texts)

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """An answer in prose drafted by the LLM with verified citations, or a 要確認 note.

        The clauses offered are those ``copilot.audit.ask`` found relevant: a focused contract's
        or division's documents, then the policy's.
        """
        constrain = self.settings.llm_constrain_quotes
        clauses = [*evidence.documents, *evidence.basis]  # a focused contract's, then the policy
        schema = {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "citations": _array(_quote_schema(clauses, constrain), 1, 4),
            },
            "required": ["text", "citations"],
            "additionalProperties": False,
        }
        allowed = evidence.allowed

        def parse(data: Any) -> Answer:
            raw = _Answer.model_validate(data)
            return Answer(
                question=question, text=raw.text, citations=_cites(raw.citations, allowed)
            )

        checked, errors, attempts, version, digest = self._draft(
            "ask",
            {"question": question, "clauses": _listing(clauses)},
            schema,
            parse,
            lambda a: answer_errors(a, allowed),
        )
        prov = provenance(
            self.name, self.model, "ask", version, digest, evidence, self.settings, attempts
        )
        if checked is None:
            return Answer(
                question=question,
                text="根拠を検証できる回答を作成できませんでした（要確認）: " + " / ".join(errors),
                provenance=prov,
            )
        return checked.model_copy(update={"provenance": prov})

    def finding(self, given: FindingInput) -> Finding:
        """A finding drafted by the LLM; on failure, the rule-based draft marked for review."""
        constrain = self.settings.llm_constrain_quotes
        ev = given.evidence
        schema = {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "finding": {"type": "string"},
                "rating": {"enum": ["指摘", "意見"]},
                "risk": {"type": "string"},
                "recommendation": {"type": "string"},
                "criteria": _array(_quote_schema(ev.basis, constrain), 1, 2),
                "evidence": _array(_quote_schema(ev.documents, constrain), 0, 3),
            },
            "required": ["title", "finding", "rating", "risk", "recommendation", "criteria"],
            "additionalProperties": False,
        }
        allowed = ev.allowed

        def parse(data: Any) -> Finding:
            raw = _Finding.model_validate(data)
            return Finding(
                division=given.division,
                title=raw.title,
                finding=raw.finding,
                rating=raw.rating,
                risk=raw.risk,
                recommendation=raw.recommendation,
                criteria=_cites(raw.criteria, allowed),
                evidence=_cites(raw.evidence, allowed),
            )

        values = {
            "division": given.division,
            "subject": given.subject,
            "problem": given.problem,
            "severity": given.severity_hint,
            "criteria": _listing(ev.basis),
            "evidence": _listing(ev.documents),
        }
        checked, errors, attempts, version, digest = self._draft(
            "finding", values, schema, parse, lambda f: finding_errors(f, allowed)
        )
        prov = provenance(
            self.name, self.model, "finding", version, digest, ev, self.settings, attempts
        )
        if checked is None:
            from copilot.drafting.evidence import EvidenceDrafter

            fallback = EvidenceDrafter(self.settings).finding(given)
            return fallback.model_copy(
                update={
                    "title": f"【要確認】{fallback.title}",
                    "finding": fallback.finding + "（LLM の下書きが検証に通らなかったため、"
                    "規則による下書きを示す: " + " / ".join(errors) + "）",
                    "provenance": prov,
                }
            )
        return checked.model_copy(update={"provenance": prov})
