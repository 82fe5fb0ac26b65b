"""Load the shared fixtures (tests/api/fixtures.py) for these tests."""

import curbside_web_fixtures as fixtures  # loaded by tests/conftest.py

app_home = fixtures.app_home
client = fixtures.client
library_home = fixtures.library_home
rt = fixtures.rt
saved_article = fixtures.saved_article
owner = fixtures.owner
