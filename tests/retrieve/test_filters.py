"""Search filtered by evidence kind and year: the filter, the retriever's lists (pushed into the
keyword index and the vector backend: no starvation), the service, the CLI and the API, on the
starter library (SQLite + usearch, the default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curbside import services
from curbside.index.filters import FilterError, PassageFilter
from curbside.retrieve.hybrid import RetrievalOptions

QUESTION = "What helps chronic low back pain?"


@pytest.mark.parametrize(
    ("kinds", "year", "want"),
    [
        ((), None, PassageFilter()),
        (["rct"], None, PassageFilter(kinds=frozenset({"rct"}))),
        (
            ["rct,guideline", " review "],
            "2015",
            PassageFilter(
                kinds=frozenset({"rct", "guideline", "review"}), year_min=2015, year_max=2015
            ),
        ),
        ((), "2015-", PassageFilter(year_min=2015)),
        ((), "-2020", PassageFilter(year_max=2020)),
        ((), "2015-2020", PassageFilter(year_min=2015, year_max=2020)),
        ((), "2015..2020", PassageFilter(year_min=2015, year_max=2020)),
    ],
)
def test_parse(kinds: list[str], year: str | None, want: PassageFilter) -> None:
    assert PassageFilter.parse(kinds, year) == want


@pytest.mark.parametrize(
    ("kinds", "year", "field"),
    [
        (["trial"], None, "kind"),
        ((), "2020-2015", "year"),
        ((), "20", "year"),
        ((), "-", "year"),
        ((), "2015-2016-2017", "year"),
        ((), "next year", "year"),
    ],
)
def test_bad_filters_name_the_field(kinds: list[str], year: str | None, field: str) -> None:
    with pytest.raises(FilterError) as err:
        PassageFilter.parse(kinds, year)
    assert err.value.field == field


def test_matches() -> None:
    f = PassageFilter(kinds=frozenset({"rct"}), year_min=2000, year_max=2002)
    assert f.matches("rct", 2001) and not f.matches("rct", 2003)
    assert not f.matches("guideline", 2001) and not f.matches("rct", None)
    assert PassageFilter(kinds=frozenset({"rct"})).matches("rct", None)
    assert not PassageFilter().active and f.active


def test_filtered_search_returns_only_matching_and_is_not_starved(
    starter_rt: services.Runtime,
) -> None:
    plain = services.search(starter_rt, query=QUESTION, k=10)
    assert plain.evidence and not any(e.source.kind == "rct" for e in plain.evidence)
    # The unfiltered top ten holds no trial: filtering it afterwards would leave nothing.
    res = services.search(starter_rt, query=QUESTION, k=10, kinds=["rct"])
    assert res.evidence and all(e.source.kind == "rct" for e in res.evidence)
    cap = starter_rt.settings.retrieval.per_source_cap
    rct_sources = {
        p.source_id
        for pid in starter_rt.store.passage_ids_where(kinds=["rct"])
        for p, _s in [starter_rt.store.get_passages([pid])[pid]]
    }
    assert len(res.evidence) == min(10, cap * len(rct_sources))

    old = services.search(starter_rt, query=QUESTION, k=10, year="-2010")
    assert old.evidence and all(e.source.year and e.source.year <= 2010 for e in old.evidence)
    both = services.search(starter_rt, query=QUESTION, k=5, kinds=["guideline"], year="2016-2017")
    assert both.evidence
    assert all(
        e.source.kind == "guideline" and e.source.year in (2016, 2017) for e in both.evidence
    )
    none = services.search(starter_rt, query=QUESTION, k=5, kinds=["systematic_review"])
    assert none.evidence == []


def test_each_list_gets_n_matching_passages(starter_rt: services.Runtime) -> None:
    """The dense list is the n nearest matching passages (exactly: the store's matching ids
    scored by the index), the keyword list only matching ones."""
    where = PassageFilter(kinds=frozenset({"guideline"}), year_min=2013, year_max=2015)
    matching = set(
        starter_rt.store.passage_ids_where(kinds=["guideline"], year_min=2013, year_max=2015)
    )
    assert len(matching) > 12
    retriever = starter_rt.retriever
    _a, lists, _t = retriever.raw_lists(QUESTION, 12, where=where)
    assert len(lists["dense"]) == 12 and {i for i, _ in lists["dense"]} <= matching
    assert lists["lexical"] and {i for i, _ in lists["lexical"]} <= matching
    vec = retriever.query_vector(QUESTION)
    want = starter_rt.dense.index().search(vec, 12, allowed=matching)
    assert lists["dense"] == want
    # Unfiltered lists are what they were (the default path does not change).
    _a, plain, _t = retriever.raw_lists(QUESTION, 12)
    assert plain["dense"] == starter_rt.dense.index().search(vec, 12)


def test_filtered_feedback_and_candidates_keep_to_the_filter(starter_rt: services.Runtime) -> None:
    where = PassageFilter(kinds=frozenset({"patient_info"}))
    _a, scores = starter_rt.retriever.candidates(QUESTION, RetrievalOptions(), where)
    found = starter_rt.store.get_passages(list(scores))
    assert scores and all(found[pid][1].kind == "patient_info" for pid in scores)


def test_bad_filter_is_invalid_input(starter_rt: services.Runtime) -> None:
    with pytest.raises(services.InvalidInput) as err:
        services.search(starter_rt, query=QUESTION, kinds=["meta-analysis"])
    assert err.value.field == "kind"
    with pytest.raises(services.InvalidInput) as err:
        services.search(starter_rt, query=QUESTION, year="2020-2010")
    assert err.value.field == "year"


def test_cli_search_kind_and_year(starter_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from curbside.cli import app

    monkeypatch.setenv("CURBSIDE_HOME", str(starter_home))
    res = CliRunner().invoke(
        app, ["search", QUESTION, "--kind", "rct", "--year", "2000-2001", "--json"]
    )
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)["results"]
    assert results and all(r["kind"] == "rct" and 2000 <= r["year"] <= 2001 for r in results)
    bad = CliRunner().invoke(app, ["search", QUESTION, "--year", "soon"])
    assert bad.exit_code == 2 and "year" in bad.output
