"""``python -m curbside.cli.entry``: run the CLI (used by tests that spawn a subprocess)."""

from curbside.cli import app

if __name__ == "__main__":
    app()
