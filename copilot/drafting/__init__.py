"""Drafting: how a draft is made from retrieved clauses and checked before anyone sees it.

Owns the drafter registry and ``Evidence`` (``registry``), the built-in drafters (``evidence``,
rules and no LLM; ``llm``, a local OpenAI-compatible server) and ``drafters``, which imports them
so they register; the evidence drafter's fitted verdict model (``verdicts``), the citation gate
(``citations``), key terms and hedges (``terms``), the thesaurus (``thesaurus``) and prompt
loading (``prompts``). May import the seams (``copilot.errors``, ``schemas``, ``settings``) and
``ingest``; never a task package (audit, policy, engagement), the review store, exports or the
CLI. Only ``drafting.llm`` talks to a server.
"""
