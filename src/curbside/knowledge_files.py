"""Reading the bundled knowledge files (``curbside/knowledge/*``): one place for the text and
for the first checks every YAML loader makes (valid YAML, a mapping), so each loader's errors
name the file the same way before its own schema check names the entry and field."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

#: libyaml's safe loader when PyYAML was built with it: the same documents, about 8x faster
#: (the bundled files take ~0.3 s of CPU with the pure-Python one, a cold `ask` reads most).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def knowledge_text(name: str) -> str:
    """The text of the bundled knowledge file `name` (e.g. ``"focus.yaml"``)."""
    return (resources.files("curbside") / "knowledge" / name).read_text(encoding="utf-8")


def knowledge_bytes(name: str) -> bytes:
    """The bytes of the bundled knowledge file `name` (e.g. a ``.gz`` table)."""
    return (resources.files("curbside") / "knowledge" / name).read_bytes()


def yaml_mapping(text: str, *, name: str, error: type[Exception], expected: str) -> dict[Any, Any]:
    """`text` parsed as a YAML mapping; otherwise `error` with ``"{name}: not valid YAML: ..."``
    or ``"{name}: {expected}"``."""
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        try:  # the pure-Python parser's messages point at the fault with a caret
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise error(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{name}: {expected}")
    return data
