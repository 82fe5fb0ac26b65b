"""A bounded, deterministic schemathesis run over every operation of the OpenAPI schema.

In-process against the ASGI app (no server, no wall-clock limits): examples, coverage
(boundary values such as 2**63), fuzzing and stateful phases with a fixed seed, derandomized,
no deadline. It must find no server error and no response that breaks the documented
contract (status code, content type, response schema). Summary on a failure.

Run it by hand for a summary: ``python tests/api/test_schemathesis.py HOME [MAX_EXAMPLES]``.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from curbside.article import Article
from curbside.services import Runtime, accounts

schemathesis = pytest.importorskip("schemathesis")

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass
class Summary:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: collections.Counter[tuple[str, str, str]] = field(
        default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)

    def server_errors(self) -> int:
        return sum(n for (_, check, _), n in self.failures.items()
                   if check == "not_a_server_error")

    def violations(self) -> int:
        return sum(n for (_, check, _), n in self.failures.items()
                   if check != "not_a_server_error")

    def report(self) -> str:
        lines = [f"{len(self.operations)} operations, {self.cases} cases, "
                 f"statuses {dict(sorted(self.statuses.items()))}, "
                 f"{self.server_errors()} server errors, {self.violations()} violations, "
                 f"{len(self.errors)} run errors"]
        lines += [f"  {n:4d} x [{check}] {label}: {what}"
                  for (label, check, what), n in sorted(self.failures.items())]
        lines += [f"  error: {e}" for e in self.errors[:20]]
        return "\n".join(lines)


def behind_a_server(app: ASGIApp) -> ASGIApp:
    """As uvicorn does: the client gets Starlette's 500 answer; the exception stays here.

    (Starlette re-raises after sending the 500; in-process that would abort the case instead
    of letting the `not_a_server_error` check count it.)
    """
    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            if scope["type"] != "http":
                raise

    return wrapped


def _what(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    return re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+", "<time>", first)[:160]


def run_schemathesis(app: ASGIApp, *, max_examples: int, headers: dict[str, str] | None = None,
                     seed: int = 18, request_timeout: float = 600.0) -> Summary:
    """Every operation, every phase, the contract checks; a summary of what was found."""
    from schemathesis.engine import events, from_schema

    config = schemathesis.Config.from_dict({
        "seed": seed,
        "continue-on-failure": True,
        "headers": headers or {},
        "generation": {"max-examples": max_examples, "mode": "all", "deterministic": True},
        "phases": {p: {"enabled": True} for p in PHASES},
        "checks": {"enabled": False, **{c: {"enabled": True} for c in CHECKS}},
        "suppress-health-check": ["all"],
        # schemathesis reads a response for at most 10 s by default: a busy CI machine (a
        # first triage call builds its condition index) must not fail the run on speed
        "request-timeout": request_timeout,
    })
    schema = schemathesis.openapi.from_asgi("/openapi.json", behind_a_server(app), config=config)
    summary = Summary()
    for ev in from_schema(schema).execute():
        if isinstance(ev, events.ScenarioFinished):
            rec = ev.recorder
            summary.operations.add(rec.label)
            summary.cases += len(rec.cases)
            for interaction in rec.interactions.values():
                if interaction.response is not None:
                    summary.statuses[interaction.response.status_code] += 1
            for checks in rec.checks.values():
                for check in checks:
                    if check.status.name != "FAILURE":
                        continue
                    failure = check.failure_info.failure if check.failure_info else None
                    what = f"{getattr(failure, 'title', '')}: " \
                           f"{_what(str(getattr(failure, 'message', '')))}"
                    summary.failures[(rec.label, check.name, what)] += 1
        elif isinstance(ev, events.NonFatalError | events.FatalError):
            value = getattr(ev, "value", None) or getattr(ev, "exception", None)
            summary.errors.append(f"{getattr(ev, 'label', '')}: {type(value).__name__}: "
                                  f"{str(value)[:200]}")
    return summary


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_contract_violation(
        rt: Runtime, saved_article: Article, hang_s: float) -> None:
    from curbside.app import create_app

    accounts.add_user(rt, name="fuzz-admin", role="admin")
    token = accounts.issue_api_token(rt, name="fuzz-admin")
    app = create_app(runtime=rt)
    summary = run_schemathesis(app, max_examples=8, headers={"Authorization": f"Bearer {token}"},
                               request_timeout=hang_s)
    report = summary.report()
    print(report)
    openapi_ops = {f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items()
                   for method in item}
    assert openapi_ops <= summary.operations, report  # every operation was exercised
    assert summary.cases >= 200, report
    assert summary.server_errors() == 0 and summary.violations() == 0, report
    assert not summary.errors, report


if __name__ == "__main__":  # pragma: no cover - a probe for people
    import logging
    import sys

    from curbside.app import create_app
    from curbside.config import Settings

    logging.disable(logging.CRITICAL)
    result = run_schemathesis(create_app(Settings(home=sys.argv[1])),
                              max_examples=int(sys.argv[2]) if len(sys.argv) > 2 else 8)
    print(result.report())
