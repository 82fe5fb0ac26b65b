"""Clinical safety: knowledge patterns, premise audit, triage, an article's safety blocks."""
