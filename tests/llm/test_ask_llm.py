"""`ask --writer llm` end to end: a real llama.cpp server, the starter library, the verifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside import services
from curbside.article import Article
from curbside.config import Settings
from curbside.llm.local_server import LocalServer, free_port

pytestmark = pytest.mark.llm

Q = "What is the first-line treatment for chronic low back pain?"


def _rt(home: Path, base_url: str, timeout_s: float, **llm: object) -> services.Runtime:
    # timeout_s only stops a hang (a loaded machine can take minutes per answer).
    settings = Settings(home=home, llm={"base_url": base_url, "model": "gemma-270m",  # type: ignore[arg-type]
                                        "timeout_s": timeout_s, "max_retries": 0, **llm})
    return services.open_runtime(settings)


def _integrity(a: Article) -> None:
    ns = {r.n for r in a.references}
    assert [r.n for r in a.references] == list(range(1, len(ns) + 1))
    for c in a.all_claims():
        assert set(c.citations) <= ns
        if not c.ours:
            assert c.citations and c.support >= 0.55


def test_llm_writer_answer_is_verified(starter_home: Path, llm_server: LocalServer,
                                       hang_s: float) -> None:
    rt = _rt(starter_home, llm_server.base_url, hang_s)
    a = services.ask(rt, question=Q, writer="llm", save=False)
    _integrity(a)  # whatever the tiny base model wrote, nothing unverified reaches the reader
    if a.writer == "llm":
        assert a.model == "gemma-270m"
    else:
        assert any("source sentences" in n for n in a.notices)


def test_server_down_falls_back_with_notice(starter_home: Path, hang_s: float) -> None:
    rt = _rt(starter_home, f"http://127.0.0.1:{free_port()}/v1", hang_s)
    a = services.ask(rt, question=Q, writer="llm", save=False)
    assert a.writer == "extractive" and not a.insufficient
    assert a.notices and any("extractive" in n.lower() or "source sentences" in n.lower()
                             or "unavailable" in n.lower() for n in a.notices)
    _integrity(a)


def test_llm_writer_needs_a_configured_server(starter_rt: services.Runtime) -> None:
    with pytest.raises(services.InvalidInput) as e:
        services.ask(starter_rt, question=Q, writer="llm", save=False)
    assert e.value.field == "writer"
