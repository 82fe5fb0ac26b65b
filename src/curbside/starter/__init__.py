"""The bundled starter library: evidence notes that make Curbside useful out of the box.

Each note is a Markdown file with YAML front matter that summarises one real source (an NGC
guideline summary, a PubMed record, or a MedQuAD consumer-health page). See ``README.md`` in
this folder for how the notes are written and checked.
"""

from __future__ import annotations

import pathlib
from importlib.resources import files

__all__ = ["notes_dir"]


def notes_dir() -> pathlib.Path:
    """Return the folder that holds the starter notes (``*.md``)."""
    return pathlib.Path(str(files(__name__).joinpath("notes")))
