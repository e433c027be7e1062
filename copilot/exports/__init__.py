"""Exports: the documents the auditors hand over, in the city's formats (Word, Excel, PowerPoint).

Owns the shared look (``styling``: fonts, page set-up, tables, cells, atomic saves) and one
module per document family: the notice (``notice``), the city's checklist workbook
(``checklist``), the ledger check (``ledger``), the approach (``approach``), the fieldwork
templates (``hearing``), the hearing mail as an .eml draft (``hearing_mail``), the on-site
time table (``onsite``), the work plan and WBS (``workplan``), the final report
(``final_report``), the policy-revision tables and memos (``policy``) and the briefing decks
for the CISO and the divisions (``briefing``, PowerPoint, in the look of ``slides``). Pure
functions from models to files: the sign-off state of each draft comes in as plain data
(``copilot.schemas.ReviewInfo``). May import the seams (``copilot.errors``, ``copilot.schemas``,
``copilot.settings``, ``copilot.calendar_jp``), the task packages' data types
(``copilot.audit``, ``copilot.policy``, ``copilot.engagement``) and ``ingest``; exports imports
no drafter, nor ``copilot.cli``; task packages never import exports.
"""
