"""Privacy: redaction of direct identifiers from questions and log lines."""

from curbside.privacy.redact import (
    LABELS,
    Found,
    PhiPatternError,
    PhiPatterns,
    RedactingFilter,
    Redaction,
    install_redacting_filter,
    load_phi_patterns,
    redact,
    redact_text,
    strip_placeholders,
)

__all__ = [
    "LABELS",
    "Found",
    "PhiPatternError",
    "PhiPatterns",
    "RedactingFilter",
    "install_redacting_filter",
    "Redaction",
    "load_phi_patterns",
    "redact",
    "redact_text",
    "strip_placeholders",
]
