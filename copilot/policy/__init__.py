"""Policy revision support: the policy against a guideline, new editions, revision advice.

Owns gap analysis (``gap``), the guideline diff (``diff``) and revision advice (``advice``). May
import the seams, ``copilot.services`` and ``copilot.retrieval``, ``copilot.drafting``, the
review store (advice reads signed-off findings) and ``ingest``; never ``copilot.cli``,
``copilot.exports`` or the other task packages (audit, engagement).
"""
