"""Audit tasks of the yearly audit: the work on a city's contracts and divisions.

Owns checklist import (``checklists``) and the checklist run (``checklist_run``), the ledger check
(``ledger``), the self-check triage (``selfcheck``), findings (``findings``) and questions to the
policy (``ask``). May import the seams, ``copilot.services`` and ``copilot.retrieval``,
``copilot.drafting`` and ``ingest``; never ``copilot.cli``, ``copilot.exports``, the review store
or the other task packages (policy, engagement).
"""
