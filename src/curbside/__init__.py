"""Curbside: an open, self-hostable clinical evidence engine."""

__version__ = "0.1.0"
