"""Diff between article versions: claims by id then by text similarity; references."""

from __future__ import annotations

from curbside.article import Article, ArticleSection, Claim, Reference
from curbside.review.diff import diff_articles, last_updated, similarity


def _article(claims: list[Claim], refs: list[str], version: int = 1) -> Article:
    return Article(
        version=version, question="q", title="t",
        sections=[ArticleSection(heading="h", kind="treatment", claims=claims)],
        references=[Reference(n=i + 1, type="Research", kind="rct", level=3, source_id=i + 1,
                              external_id=e, title=e) for i, e in enumerate(refs)],
        created_at="2025-01-01", settings_fingerprint="x",
    )


def test_claims_matched_by_id_then_by_text() -> None:
    old = _article([
        Claim(id="a", text="Exercise reduces chronic low back pain."),
        Claim(id="b", text="Imaging is rarely needed in the first six weeks."),
        Claim(id="c", text="Opioids offer little long-term benefit."),
        Claim(text="Heat wraps give short-term relief for acute low back pain."),
    ], ["pmid:1", "pmid:2"])
    new = _article([
        Claim(id="a", text="Exercise reduces chronic low back pain."),  # unchanged
        Claim(id="b", text="Imaging is rarely needed in the first 6 weeks of pain."),  # changed
        # c removed; the id-less heat claim reworded slightly (matched by text)
        Claim(id="z", text="Heat wraps give short-term relief for acute low back pain episodes."),
        Claim(id="d", text="Yoga is an option for some patients."),  # added
    ], ["pmid:2", "pmid:3"], version=2)
    d = diff_articles(old, new)
    assert d.claims_unchanged == 1
    assert [(c.old.id, c.new.id, c.matched_by) for c in d.claims_changed] == [
        ("b", "b", "id"), ("", "z", "text")]
    assert [c.id for c in d.claims_removed] == ["c"]
    assert [c.id for c in d.claims_added] == ["d"]
    assert [r.external_id for r in d.references_removed] == ["pmid:1"]
    assert [r.external_id for r in d.references_added] == ["pmid:3"]
    assert (d.old_version, d.new_version) == (1, 2) and not d.empty


def test_identical_versions_have_an_empty_diff() -> None:
    a = _article([Claim(id="a", text="Same.")], ["pmid:1"])
    assert diff_articles(a, a.model_copy(update={"version": 2})).empty


def test_dissimilar_claims_are_not_paired() -> None:
    d = diff_articles(_article([Claim(text="Aspirin lowers fever.")], []),
                      _article([Claim(text="Exercise helps back pain.")], []))
    assert len(d.claims_removed) == 1 and len(d.claims_added) == 1 and not d.claims_changed
    assert similarity("a b c", "a b c") == 1.0


def test_last_updated_is_the_newest_version() -> None:
    import datetime as dt

    t1, t2 = dt.datetime(2025, 1, 1), dt.datetime(2025, 3, 1)
    assert last_updated([{"created_at": t1}, {"created_at": t2}]) == t2
    assert last_updated([]) is None
