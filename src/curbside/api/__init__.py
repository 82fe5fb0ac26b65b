"""The REST API under ``/api/v1`` (its routes only: `curbside.edge` holds what it shares with
`curbside.web`, `curbside.app` serves both)."""
