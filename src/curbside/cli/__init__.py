"""The ``curbside`` command line. Thin: every command calls `curbside.services`."""

from __future__ import annotations

from curbside.cli import answers as _answers  # noqa: F401  (registers commands)
from curbside.cli import audit as _audit  # noqa: F401  (registers commands)
from curbside.cli import backup as _backup  # noqa: F401  (registers commands)
from curbside.cli import evaluate as _evaluate  # noqa: F401
from curbside.cli import privacy as _privacy  # noqa: F401  (registers commands)
from curbside.cli import review as _review  # noqa: F401  (registers commands)
from curbside.cli import serve as _serve  # noqa: F401  (registers commands)
from curbside.cli import sources as _sources  # noqa: F401  (registers commands)
from curbside.cli import triage as _triage  # noqa: F401  (registers commands)
from curbside.cli import users as _users  # noqa: F401  (registers commands)
from curbside.cli.main import app

__all__ = ["app"]
