"""Curbside works with the network blocked: ingest, embed, search and ask touch no host."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from curbside import services
from curbside.config import Settings


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any connection attempt other than a Unix socket is recorded and refused."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network blocked in this test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection",
                        lambda address, *a, **k: guarded(socket.socket(), address))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(
        OSError("name resolution blocked in this test")))
    return attempts


def test_ingest_embed_search_ask_offline(tmp_path: Path, no_network: list[Any]) -> None:
    import shutil

    notes = tmp_path / "notes"
    notes.mkdir()
    for p in sorted(services.starter_library_path().glob("*.md"))[:6]:
        shutil.copy(p, notes / p.name)
    rt = services.open_runtime(Settings(home=tmp_path / "home"))
    report = services.ingest(rt, paths=[notes])  # embeds with the bundled model
    assert report.total("added") == 6
    assert services.index_status(rt)["missing"] == 0
    assert services.search(rt, query="low back pain treatment", k=3).evidence
    article = services.ask(rt, question="How should low back pain be treated?", save=False,
                           audience="patient")
    assert article.lead
    assert no_network == [], f"connection attempts: {no_network}"
