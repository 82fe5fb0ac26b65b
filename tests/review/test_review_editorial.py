"""Editorial workflow against a real store: states, immutability, claims, status, queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from curbside import services
from curbside.article import Article
from curbside.review.editorial import ANONYMOUS, Actor
from curbside.services import review
from curbside.store.audit import ReviewRecords


def _to_review(rt: services.Runtime, aid: int, people: dict[str, Actor]) -> None:
    review.transition_article(rt, article_id=aid, action="submit", actor=people["editor"])
    review.transition_article(rt, article_id=aid, action="start", actor=people["reviewer"])


def test_lifecycle_records_who_when_and_note(rt: services.Runtime, article_id: int,
                                             people: dict[str, Actor]) -> None:
    _to_review(rt, article_id, people)
    res = review.transition_article(rt, article_id=article_id, action="approve",
                                    actor=people["reviewer"], note="claims check out")
    assert (res.from_state, res.to_state) == ("under_review", "approved")
    ts = ReviewRecords(rt.engine).transitions(article_id, 1)
    assert [(t["from_state"], t["to_state"]) for t in ts] == [
        ("draft", "submitted"), ("submitted", "under_review"), ("under_review", "approved")]
    assert ts[-1]["actor_id"] == people["reviewer"].id and ts[-1]["note"] == "claims check out"
    assert ts[-1]["at"] is not None
    assert rt.articles.get(article_id).status == "approved"  # type: ignore[union-attr]


def test_editor_cannot_approve(rt: services.Runtime, article_id: int,
                               people: dict[str, Actor]) -> None:
    _to_review(rt, article_id, people)
    with pytest.raises(review.TransitionRefused, match="editor cannot approve"):
        review.transition_article(rt, article_id=article_id, action="approve",
                                  actor=people["editor2"])
    assert rt.articles.get(article_id).status == "under_review"  # type: ignore[union-attr]


def test_reviewer_cannot_approve_own_submission(rt: services.Runtime, article_id: int,
                                                people: dict[str, Actor]) -> None:
    # The editor who submitted later became a reviewer: they still cannot approve it.
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    promoted = services.accounts.set_role(rt, name="editor-user", role="reviewer")
    me = services.accounts.actor_of(promoted)
    review.transition_article(rt, article_id=article_id, action="start", actor=me)
    with pytest.raises(review.TransitionRefused, match="you submitted this version"):
        review.transition_article(rt, article_id=article_id, action="approve", actor=me)
    review.transition_article(rt, article_id=article_id, action="approve",
                              actor=people["reviewer2"])


def test_admin_cannot_approve_own_submission(rt: services.Runtime, article_id: int,
                                             people: dict[str, Actor]) -> None:
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["admin"])
    review.transition_article(rt, article_id=article_id, action="start", actor=people["admin"])
    with pytest.raises(review.TransitionRefused):
        review.transition_article(rt, article_id=article_id, action="approve",
                                  actor=people["admin"])


def test_anonymous_cannot_write(rt: services.Runtime, article_id: int) -> None:
    with pytest.raises(review.TransitionRefused, match="anonymous"):
        review.transition_article(rt, article_id=article_id, action="submit", actor=ANONYMOUS)


def _approve(rt: services.Runtime, aid: int, people: dict[str, Actor]) -> None:
    _to_review(rt, aid, people)
    review.transition_article(rt, article_id=aid, action="approve", actor=people["reviewer"])


def test_approved_version_is_immutable(rt: services.Runtime, article_id: int,
                                       people: dict[str, Actor],
                                       make_article: Callable[..., Article]) -> None:
    _approve(rt, article_id, people)
    before = rt.articles.get(article_id, 1)
    assert before is not None
    for action, who in [("submit", "editor"), ("start", "reviewer"), ("approve", "reviewer2"),
                        ("reject", "reviewer2"), ("request_changes", "admin")]:
        with pytest.raises(review.TransitionRefused, match="immutable"):
            review.transition_article(rt, article_id=article_id, action=action,
                                      actor=people[who], version=1)
    edited = before.model_copy(update={"title": "Edited title"})
    res = review.revise_article(rt, article_id=article_id, actor=people["editor"], article=edited)
    assert res.new_version == 2 and res.to_state == "draft"
    after = rt.articles.get(article_id, 1)
    assert after == before and after.status == "approved"  # type: ignore[union-attr]
    assert rt.articles.get(article_id, 2).title == "Edited title"  # type: ignore[union-attr]
    assert review.public_status(rt, article_id, 1).approved
    assert not review.public_status(rt, article_id, 2).approved


def test_public_status_texts(rt: services.Runtime, article_id: int,
                             people: dict[str, Actor]) -> None:
    st = review.public_status(rt, article_id)
    assert not st.approved and st.caution and "content pending human review" in st.text
    assert "draft" in st.text
    _approve(rt, article_id, people)
    st = review.public_status(rt, article_id)
    assert st.approved and st.caution is None and st.approved_at is not None
    assert st.text == (f"Approved by the Medical Advisory Board on {st.approved_at:%Y-%m-%d} "
                       "(version 1).")
    assert st.last_updated is not None and st.latest_version == 1


def test_status_set_outside_the_workflow_never_reads_approved(
        rt: services.Runtime, article_id: int) -> None:
    rt.articles.set_version_status(article_id, 1, "approved")  # no reviewer approval recorded
    st = review.public_status(rt, article_id, 1)
    assert not st.approved and "content pending human review" in st.text


def test_claim_review_and_approval_record(rt: services.Runtime, article_id: int,
                                          people: dict[str, Actor]) -> None:
    _to_review(rt, article_id, people)
    for cid in ("c1", "c2", "c3"):
        review.review_claim(rt, article_id=article_id, claim_id=cid, action="accept",
                            actor=people["reviewer"])
    review.review_claim(rt, article_id=article_id, claim_id="c4", action="comment",
                        actor=people["reviewer2"], comment="cite the guideline too")
    with pytest.raises(services.NotFoundError):
        review.review_claim(rt, article_id=article_id, claim_id="nope", action="accept",
                            actor=people["reviewer"])
    with pytest.raises(review.TransitionRefused):
        review.review_claim(rt, article_id=article_id, claim_id="c1", action="accept",
                            actor=people["editor"])
    review.transition_article(rt, article_id=article_id, action="approve",
                              actor=people["reviewer"])
    appr = review.approval_record(rt, article_id=article_id)
    assert appr is not None and appr.approver_id == people["reviewer"].id
    assert set(appr.claims) == {"c1", "c2", "c3", "c4"}
    assert appr.claims["c4"][0]["reviewer_id"] == people["reviewer2"].id
    assert appr.claims["c4"][0]["comment"] == "cite the guideline too"
    assert review.public_status(rt, article_id).claims_reviewed == 4


def test_striking_a_claim_creates_a_new_version(rt: services.Runtime, article_id: int,
                                                people: dict[str, Actor]) -> None:
    _to_review(rt, article_id, people)
    review.review_claim(rt, article_id=article_id, claim_id="c2", action="accept",
                        actor=people["reviewer"])
    res = review.review_claim(rt, article_id=article_id, claim_id="c3", action="strike",
                              actor=people["reviewer"], comment="not about treatment")
    assert res is not None and res.new_version == 2
    old, new = rt.articles.get(article_id, 1), rt.articles.get(article_id, 2)
    assert old is not None and new is not None
    assert "c3" in {c.id for c in old.all_claims()}  # the struck version is untouched
    assert old.status == "changes_requested"
    assert [c.id for c in new.all_claims()] == ["c1", "c2", "c4"]
    assert new.status == "under_review"
    assert [r.n for r in new.references] == [1]  # reference 2 was only cited by c3
    d = review.article_diff(rt, article_id=article_id, old=1, new=2)
    assert [c.id for c in d.claims_removed] == ["c3"] and not d.claims_added
    assert [r.external_id for r in d.references_removed] == ["doc:d1"]
    # The accept of c2 carries over; the editor's submission still counts for approval rules.
    reviews = ReviewRecords(rt.engine).claim_reviews(article_id, 2)
    assert [(r["claim_id"], r["action"]) for r in reviews] == [("c2", "accept")]
    review.transition_article(rt, article_id=article_id, action="approve",
                              actor=people["reviewer"])
    assert review.public_status(rt, article_id, 2).approved
    assert not review.public_status(rt, article_id, 1).approved


def test_changes_requested_then_revise_and_resubmit(rt: services.Runtime, article_id: int,
                                                    people: dict[str, Actor]) -> None:
    _to_review(rt, article_id, people)
    review.transition_article(rt, article_id=article_id, action="request_changes",
                              actor=people["reviewer"], note="tighten the lead")
    with pytest.raises(review.TransitionRefused):
        review.transition_article(rt, article_id=article_id, action="submit",
                                  actor=people["editor"])
    res = review.revise_article(rt, article_id=article_id, actor=people["editor"])
    assert res.new_version == 2
    review.transition_article(rt, article_id=article_id, action="submit",
                              actor=people["editor"])
    assert [v["status"] for v in rt.articles.versions(article_id)] == [
        "changes_requested", "submitted"]


def test_queue_lists_waiting_versions(rt: services.Runtime, article_id: int,
                                      people: dict[str, Actor],
                                      make_article: Callable[..., Article]) -> None:
    assert review.review_queue(rt) == []
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    other = rt.articles.save_new(make_article("Is imaging needed?"))
    q = review.review_queue(rt)
    assert [(i.article_id, i.version, i.state) for i in q] == [(article_id, 1, "submitted")]
    assert other.id not in {i.article_id for i in q}


def test_history_and_last_updated(rt: services.Runtime, article_id: int,
                                  people: dict[str, Actor]) -> None:
    review.revise_article(rt, article_id=article_id, actor=people["editor"])
    h = review.article_history(rt, article_id=article_id)
    assert h["last_updated"] == h["versions"][-1]["created_at"]
    assert h["transitions"][-1]["actor"] == "editor-user"


def test_a_decision_on_a_version_that_moved_meanwhile_is_refused(
        rt: services.Runtime, article_id: int, people: dict[str, Actor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two servers decide one version at once: both read "under_review"; the one that
    records second is refused (nothing of it recorded), not applied on top of the first."""
    from curbside.review import editorial, workflow

    _to_review(rt, article_id, people)
    real_check = workflow.check
    raced = []

    def check_then_race(action: str, **kw: object) -> workflow.Decision:
        decision = real_check(action, **kw)  # type: ignore[arg-type]
        if action == "approve" and not raced:  # the other server decides in between
            raced.append(True)
            review.transition_article(rt, article_id=article_id, action="reject",
                                      actor=people["reviewer2"])
        return decision

    monkeypatch.setattr(editorial.workflow, "check", check_then_race)
    audit_before = len(list(rt.audit_log().entries()))
    with pytest.raises(review.TransitionRefused, match="is rejected now, no longer under_review"):
        review.transition_article(rt, article_id=article_id, action="approve",
                                  actor=people["reviewer"])
    ts = ReviewRecords(rt.engine).transitions(article_id, 1)
    assert [t["to_state"] for t in ts] == ["submitted", "under_review", "rejected"]
    assert rt.articles.get(article_id).status == "rejected"  # type: ignore[union-attr]
    entries = list(rt.audit_log().entries())
    assert len(entries) == audit_before + 1 and entries[-1].action == "article.reject"
    assert rt.audit_log().verify().ok
