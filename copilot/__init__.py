"""監査コパイロット: an on-premises audit copilot for municipal information-security audits."""

__version__ = "0.1.0"
