"""``python -m curbside``."""

from curbside.cli import app

app()
