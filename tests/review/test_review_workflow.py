"""The lifecycle state machine: the full authorization matrix, written out independently."""

from __future__ import annotations

import pytest

from curbside.review import workflow
from curbside.review.workflow import ACTIONS, ROLES, STATES, TransitionRefused, check, decide

# Who may take each action, and from which states (independent of workflow.RULES on purpose).
EXPECTED: dict[str, tuple[set[str], set[str], str]] = {
    "submit": ({"editor", "admin"}, {"draft"}, "submitted"),
    "start": ({"reviewer", "admin"}, {"submitted", "outdated"}, "under_review"),
    "approve": ({"reviewer", "admin"}, {"under_review"}, "approved"),
    "request_changes": ({"reviewer", "admin"}, {"under_review"}, "changes_requested"),
    "reject": ({"reviewer", "admin"}, {"under_review"}, "rejected"),
    "outdate": ({"system", "admin"}, {"approved"}, "outdated"),
    "revise": ({"editor", "admin"},
               {"draft", "changes_requested", "approved", "outdated", "rejected"}, "draft"),
}


def test_the_expected_table_covers_every_action() -> None:
    assert set(EXPECTED) == set(ACTIONS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(role: str, action: str, state: str) -> None:
    roles, sources, target = EXPECTED[action]
    d = decide(action, state=state, role=role, actor_id=7, submitted_by=1)
    allowed = role in roles and state in sources
    assert d.allowed is allowed, d.reason
    if allowed:
        assert d.target == target
        assert check(action, state=state, role=role, actor_id=7, submitted_by=1).target == target
    else:
        assert d.target is None and d.reason
        with pytest.raises(TransitionRefused):
            check(action, state=state, role=role, actor_id=7, submitted_by=1)


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_nobody_approves_their_own_submission(role: str) -> None:
    d = decide("approve", state="under_review", role=role, actor_id=3, submitted_by=3)
    assert not d.allowed and "you submitted this version" in d.reason
    assert decide("approve", state="under_review", role=role, actor_id=4, submitted_by=3).allowed


def test_editor_cannot_approve_and_says_who_can() -> None:
    d = decide("approve", state="under_review", role="editor", actor_id=2, submitted_by=9)
    assert not d.allowed and "an editor cannot approve" in d.reason and "reviewer" in d.reason


def test_anonymous_readers_cannot_write() -> None:
    for action in ACTIONS:
        for state in STATES:
            d = decide(action, state=state, role="anonymous")
            assert not d.allowed and "anonymous" in d.reason


def test_an_approved_version_only_goes_outdated() -> None:
    for action in ("submit", "start", "approve", "request_changes", "reject"):
        d = decide(action, state="approved", role="admin", actor_id=1, submitted_by=2)
        assert not d.allowed and "immutable" in d.reason
    assert decide("outdate", state="approved", role="system").target == "outdated"
    # An edit of an approved article is a new version; the approved one is left as it is.
    d = decide("revise", state="approved", role="editor", actor_id=1)
    assert d.allowed and d.new_version and d.target == "draft"


def test_only_revise_creates_versions() -> None:
    assert {a for a, r in workflow.RULES.items() if r.new_version} == {"revise"}
    assert set(ACTIONS) - {"revise"} == workflow.STATE_ONLY


def test_unknown_action_or_state_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown action 'publish'"):
        decide("publish", state="draft", role="admin")
    with pytest.raises(ValueError, match="unknown state 'published'"):
        decide("submit", state="published", role="admin")


@pytest.mark.parametrize("action", ["accept", "comment", "strike"])
@pytest.mark.parametrize("role", ROLES)
def test_claim_review_rights(role: str, action: str) -> None:
    d = workflow.decide_claim_review(action, state="under_review", role=role)
    assert d.allowed is (role in ("reviewer", "admin"))
    assert not workflow.decide_claim_review(action, state="approved", role="reviewer").allowed
