"""Conformance suites a backend runs in its own tests (they need pytest and hypothesis).

- `curbside.testing.conformance.StoreConformance`: a database (source store, article store,
  lexical index, end to end through the services);
- `curbside.testing.vectors.VectorIndexConformance`: a vector index backend.

Subclass one in a ``test_*.py`` module and provide its fixture (see each class).
"""

from __future__ import annotations

import pytest

# Plain asserts in these modules show their values on failure, as in a test module.
pytest.register_assert_rewrite("curbside.testing.conformance", "curbside.testing.vectors")
