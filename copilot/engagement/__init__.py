"""The engagement itself: one year's audit as a project.

Owns the engagement file (``file``), the work plan and its WBS (``workplan``) and the final
report's content (``final_report``, compiled from the review store), and the deadlines of its
deliverables, overdue or done (``deadlines``), and each on-site visit's time table and checks
(``onsite``). The business calendar it
counts in is ``copilot.calendar_jp`` at the top level, because the engagement schema in
``copilot.schemas`` (a seam) validates dates with it. May import the seams, ``copilot.services``,
``copilot.calendar_jp``, the review store, the audit tasks whose results it reports
(``copilot.audit``) and ``ingest``; never ``copilot.cli`` or ``copilot.exports``.
"""
