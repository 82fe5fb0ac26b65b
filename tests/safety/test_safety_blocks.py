"""Safety blocks over a real store with the starter library ingested (services, temp home)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from curbside import services
from curbside.compose.references import ReferenceList
from curbside.config import Settings
from curbside.safety.blocks import safety_blocks
from curbside.services import Runtime

SI_QUESTION = ("Is SI joint imbalance a common cause of low back pain and stiffness that "
               "improves with movement and exercise?")


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    home = tmp_path_factory.mktemp("safety-home")
    runtime = services.open_runtime(Settings(home=home))
    services.ingest_starter_library(runtime, embed=False)
    yield runtime
    runtime.close()


@pytest.fixture
def empty_rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = services.open_runtime(Settings(home=tmp_path / "empty"))
    yield runtime
    runtime.close()


def test_reference_question_premise_finding_cited(rt: Runtime) -> None:
    refs = ReferenceList()
    res = safety_blocks(SI_QUESTION, [], rt.store, refs)
    pf = [p for p in res.premise_findings if p.pattern == "axial_spondyloarthritis"]
    assert len(pf) == 1
    finding = pf[0]
    assert "axial spondyloarthritis" in finding.finding
    for word in ("MRI of the sacroiliac joints", "HLA-B27", "rheumatologist"):
        assert word in finding.finding
    assert finding.citations
    by_n = {r.n: r for r in refs.references()}
    cited = {by_n[n].external_id for n in finding.citations}
    assert {"ngc:ngc-11034", "ngc:ngc-11188"} <= cited
    # each citation number has a stored passage behind it
    for n in finding.citations:
        assert refs.passages[n]


def test_add_safety_service_continues_numbering(rt: Runtime) -> None:
    result = services.search(rt, query=SI_QUESTION, k=8)
    refs = ReferenceList()
    for ev in result.evidence[:2]:
        refs.cite(ev.source, ev.passage.id, ev.passage.text)
    article = services.ask(rt, question=SI_QUESTION, save=False)
    article = article.model_copy(update={"references": refs.references()})
    updated, res = services.add_safety(rt, article=article, evidence=result.evidence, refs=refs)
    assert updated.premise_findings and updated.urgency in ("routine", "urgent", "emergency")
    numbers = {r.n for r in updated.references}
    for pf in updated.premise_findings:
        assert set(pf.citations) <= numbers


def test_red_flags_cited_and_urgency(rt: Runtime) -> None:
    refs = ReferenceList()
    q = "Should a 60 year old man with crushing chest pain and sweating take aspirin?"
    res = safety_blocks(q, [], rt.store, refs)
    assert res.urgency == "emergency"
    flag = next(f for f in res.red_flags if f.pattern == "acute_coronary_syndrome")
    assert flag.citations and flag.trigger


def test_negated_red_flag_not_shown(rt: Runtime) -> None:
    res = safety_blocks("Patient with no chest pain and no sweating: statin dose?", [], rt.store,
                        ReferenceList())
    assert not res.red_flags and res.urgency == "none"


def test_unresolvable_citations_drop_the_finding(empty_rt: Runtime) -> None:
    refs = ReferenceList()
    res = safety_blocks(SI_QUESTION + " He has chest pain and sweating.", [], empty_rt.store, refs)
    assert res.premise_findings == [] and res.red_flags == []
    assert "axial_spondyloarthritis" in res.dropped
    assert refs.references() == []


def test_a_presupposition_no_source_is_about_becomes_a_notice(rt: Runtime) -> None:
    """An uncited notice, because it is about the search, not medicine; only where no premise
    finding answers the question's assumptions."""
    q = "Why does cracking your knuckles cause arthritis?"
    evidence = services.search(rt, query=q, k=8).evidence
    assert evidence  # the starter library answers something, nothing on knuckles
    res = safety_blocks(q, evidence, rt.store, ReferenceList())
    assert res.unsupported == ["cracking your knuckles causes arthritis"]
    article = services.ask(rt, question=q, save=False, audience="patient")
    assert (
        "None of the sources found says that cracking your knuckles causes arthritis; this "
        "answer does not take it as given." in article.notices
    )
    # the reference question's assumption has a cited premise finding: no notice beside it
    ref = safety_blocks(SI_QUESTION, services.search(rt, query=SI_QUESTION, k=8).evidence,
                        rt.store, ReferenceList())
    assert ref.premise_findings and ref.unsupported == []


def test_the_article_of_a_baby_with_fever_and_rash_is_urgent_and_cited(rt: Runtime) -> None:
    refs = ReferenceList()
    res = safety_blocks("My baby has a rash and fever, what should I do?", [], rt.store, refs)
    assert res.urgency == "urgent"
    flag = next(f for f in res.red_flags if f.pattern == "infant_fever_rash")
    by_n = {r.n: r for r in refs.references()}
    assert {by_n[n].external_id for n in flag.citations} == {"ngc:ngc-9891"}
