"""Load the shared fixtures (tests/api/fixtures.py) for these tests."""

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).resolve().parents[1] / "api" / "fixtures.py"
_spec = importlib.util.spec_from_file_location("curbside_web_fixtures", _path)
assert _spec and _spec.loader
fixtures = sys.modules.get("curbside_web_fixtures") or importlib.util.module_from_spec(_spec)
if "curbside_web_fixtures" not in sys.modules:
    sys.modules["curbside_web_fixtures"] = fixtures
    _spec.loader.exec_module(fixtures)

app_home = fixtures.app_home
client = fixtures.client
library_home = fixtures.library_home
rt = fixtures.rt
saved_article = fixtures.saved_article
