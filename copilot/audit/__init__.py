"""Audit tasks of the yearly audit: the work on a city's contracts and divisions.

Owns checklist import (``checklists``) and the checklist run (``checklist_run``), the ledger check
(``ledger``), the self-check triage (``selfcheck``), findings (``findings``), hearings by e-mail
(``hearings``, their records in ``hearing_records``), questions to the policy (``ask``) and
learning the city's verdicts from sign-off (``learning``). May import the seams,
``copilot.services`` and ``copilot.retrieval``, ``copilot.drafting``, the review store
(``learning`` reads signed-off judgements, as policy advice reads signed-off findings) and
``ingest``; never ``copilot.cli``, ``copilot.exports`` or the other task packages (policy,
engagement).
"""
