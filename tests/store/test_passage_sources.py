"""`SourceStore.current_passage_sources`: what eval/ maps passages to documents with."""

from __future__ import annotations

from curbside.eval.retrieval import passage_docs
from curbside.services import Runtime


def test_every_current_passage_maps_to_its_source(starter_rt: Runtime) -> None:
    mapping = starter_rt.store.current_passage_sources()
    assert sorted(mapping) == starter_rt.store.current_passage_ids()
    pid = next(iter(mapping))
    _passage, source = starter_rt.store.get_passages([pid])[pid]
    assert mapping[pid] == source.external_id


def test_passage_docs_drops_the_id_prefix() -> None:
    assert passage_docs({7: "beir:doc-1", 8: "beir:a:b"}) == {7: "doc-1", 8: "a:b"}
