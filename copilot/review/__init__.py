"""The review store: what was drafted, by whom and from what, and who changed or signed it off.

Owns the store (``store``: ``ReviewStore`` over one SQLite connection, ``db``), users, roles and
logins (``users``), runs, drafts and versions (``drafts``), edits and sign-off with separation of
duties (``signoff``), the hash-chained sign-off log and its verification (``log``), the schema's
migrations (``migrations``), the recording of task runs (``recording``), and who replaced or
removed an indexed document (``documents``) under which rule (``replacements``). May import the
seams, ``copilot.services``, the task packages whose results it records (``copilot.audit``,
``copilot.policy``) and ``ingest``; never ``copilot.cli``, ``ui``, ``eval``, ``copilot.exports``
or a drafter (``copilot.drafting``).
"""
