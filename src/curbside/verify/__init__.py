"""verify stage: every answer sentence checked against the passages it cites."""

from curbside.verify.citations import CitationVerifier, ClaimCheck, VerificationReport
from curbside.verify.support import INCONSISTENT_CAP, Support, SupportScorer

__all__ = [
    "INCONSISTENT_CAP",
    "CitationVerifier",
    "ClaimCheck",
    "Support",
    "SupportScorer",
    "VerificationReport",
]
