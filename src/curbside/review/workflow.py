"""The editorial lifecycle of one article version: a pure, table-driven state machine.

No I/O. `decide` answers whether an actor may take an action on a version in a given state and
what state follows; the services record the outcome. Versions are immutable: an action that
changes content (`revise`) never touches the version it starts from, it creates a new one.

    draft -> submitted -> under_review -> approved | changes_requested | rejected
    changes_requested -(revise: new version)-> draft
    approved -> outdated -> under_review
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

State = Literal[
    "draft", "submitted", "under_review", "approved", "changes_requested", "rejected", "outdated"
]
Action = Literal[
    "submit", "start", "approve", "request_changes", "reject", "outdate", "revise"
]
Role = Literal["admin", "editor", "reviewer", "anonymous", "system"]

STATES: tuple[State, ...] = get_args(State)
ACTIONS: tuple[Action, ...] = get_args(Action)
ROLES: tuple[Role, ...] = get_args(Role)
#: Roles a stored account may hold ("anonymous" and "system" are never stored).
ACCOUNT_ROLES: tuple[Role, ...] = ("admin", "editor", "reviewer")
#: States that wait for a reviewer (the review queue).
QUEUE_STATES: tuple[State, ...] = ("submitted", "under_review", "outdated")


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the transition table."""

    action: Action
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    #: True when the action creates a new version (in `target`) and leaves the source as it is.
    new_version: bool = False
    #: True when the actor must not be the one who submitted the version.
    not_by_submitter: bool = False


def _rule(action: Action, sources: set[State], target: State, roles: set[Role], **kw: bool) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(roles), **kw)


RULES: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule("submit", {"draft"}, "submitted", {"editor", "admin"}),
        _rule("start", {"submitted", "outdated"}, "under_review", {"reviewer", "admin"}),
        _rule("approve", {"under_review"}, "approved", {"reviewer", "admin"},
              not_by_submitter=True),
        _rule("request_changes", {"under_review"}, "changes_requested", {"reviewer", "admin"}),
        _rule("reject", {"under_review"}, "rejected", {"reviewer", "admin"}),
        # Living articles: the system (or an admin) marks an approved version for re-review.
        _rule("outdate", {"approved"}, "outdated", {"system", "admin"}),
        _rule("revise", {"draft", "changes_requested", "approved", "outdated", "rejected"},
              "draft", {"editor", "admin"}, new_version=True),
    )
}

#: Actions that only ever change a version's review state, never its content.
STATE_ONLY: frozenset[Action] = frozenset(a for a, r in RULES.items() if not r.new_version)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    action: Action
    source: State
    target: State | None
    reason: str
    new_version: bool = False


class TransitionRefused(PermissionError):
    """The actor may not take this action on this version; the message says why."""


def decide(
    action: str,
    *,
    state: str,
    role: str,
    actor_id: int | None = None,
    submitted_by: int | None = None,
) -> Decision:
    """May `role` (user `actor_id`) take `action` on a version in `state`? And what follows."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if action not in RULES:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    rule = RULES[action]
    st: State = state
    act: Action = action

    def no(reason: str) -> Decision:
        return Decision(False, act, st, None, reason, rule.new_version)

    if role == "anonymous" or role not in ROLES:
        return no("sign in first: anonymous readers cannot change articles")
    if role not in rule.roles:
        allowed = " or ".join(sorted(rule.roles - {"system"}))
        return no(f"a{'n' if role[0] in 'aeiou' else ''} {role} cannot {_verb(act)}; "
                  f"only {allowed} can")
    if st not in rule.sources:
        if st == "approved":
            return no("an approved version is immutable: revise it to create a new version")
        allowed_from = ", ".join(sorted(rule.sources))
        return no(f"cannot {_verb(act)} a version that is {state_label(st)} "
                  f"(only from {allowed_from})")
    if rule.not_by_submitter and actor_id is not None and actor_id == submitted_by:
        return no("you submitted this version: another reviewer must approve it")
    return Decision(True, act, st, rule.target, "ok", rule.new_version)


def check(
    action: str,
    *,
    state: str,
    role: str,
    actor_id: int | None = None,
    submitted_by: int | None = None,
) -> Decision:
    """Like `decide`, but raises `TransitionRefused` when the action is not allowed."""
    d = decide(action, state=state, role=role, actor_id=actor_id, submitted_by=submitted_by)
    if not d.allowed:
        raise TransitionRefused(d.reason)
    return d


def _verb(action: Action) -> str:
    return {
        "submit": "submit an article", "start": "start a review", "approve": "approve",
        "request_changes": "request changes", "reject": "reject", "outdate": "mark outdated",
        "revise": "revise an article",
    }[action]


#: Claim-level review: which roles may take each claim action, in which version states.
CLAIM_RULES: dict[str, tuple[frozenset[State], frozenset[Role]]] = {
    "accept": (frozenset({"under_review"}), frozenset({"reviewer", "admin"})),
    "comment": (frozenset({"submitted", "under_review", "outdated"}),
                frozenset({"reviewer", "admin"})),
    "strike": (frozenset({"under_review"}), frozenset({"reviewer", "admin"})),
}


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    allowed: bool
    reason: str


def decide_claim_review(action: str, *, state: str, role: str) -> ClaimDecision:
    """May `role` accept, comment on or strike a claim of a version in `state`?"""
    if action not in CLAIM_RULES:
        raise ValueError(f"unknown claim action {action!r}; one of {', '.join(CLAIM_RULES)}")
    states, roles = CLAIM_RULES[action]
    if role == "anonymous" or role not in ROLES:
        return ClaimDecision(False, "sign in first: anonymous readers cannot review claims")
    if role not in roles:
        return ClaimDecision(False, f"only a reviewer or admin can {action} a claim")
    if state not in states:
        where = " or ".join(sorted(state_label(s) for s in states))
        return ClaimDecision(False, f"a claim can be reviewed ({action}) only while the version "
                                    f"is {where}; it is {state_label(state)}")
    return ClaimDecision(True, "ok")


def state_label(state: str) -> str:
    """Reader-facing words for a state ("under review")."""
    return state.replace("_", " ")
