"""The command line: one module per command group, the shared helpers in ``common``.

``main`` builds the parser and runs a command. Each command group is a module with a
``register(sub)``: ``index`` (ingest, search, status, purge, remove), ``audit`` (ask, checklist,
ledger, selfcheck, findings), ``review`` (users, review), ``export``, ``policy`` and
``engagement`` (plan, report). What they share (services, output, the acting user, saving a
drafting run) is in ``common``, which imports no command module; a command module imports neither
``main`` nor another command module. May import every other copilot package and ``ingest``;
never ``ui`` or ``eval`` directly: ``copilot eval`` and ``copilot serve`` come in through the
``copilot.commands`` entry points.
"""
