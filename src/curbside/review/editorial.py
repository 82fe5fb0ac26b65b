"""Applying editorial decisions: state changes, revisions and claim reviews, each recorded
(transition row + hash-chained audit entry) before the version's status changes.

Works on anything with an engine and an ArticleStore (the services' Runtime is one), so the
living-articles trigger and the services share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from curbside.article import Article
from curbside.privacy import redact, redact_text
from curbside.review import workflow
from curbside.review.claims import find_claim, strike_claims
from curbside.store.articles import ArticleStore
from curbside.store.audit import AuditLog, ReviewRecords


class EditorialContext(Protocol):
    engine: Engine
    articles: ArticleStore

    def audit_log(self) -> AuditLog: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a stored user (id set) or the system / an anonymous reader (id None)."""

    id: int | None
    name: str
    role: str


SYSTEM = Actor(None, "system", "system")
ANONYMOUS = Actor(None, "anonymous", "anonymous")


@dataclass(frozen=True, slots=True)
class TransitionResult:
    article_id: int
    version: int
    action: str
    from_state: str | None
    to_state: str
    note: str | None
    #: Set when the action created a version (revise, strike): the new version's number.
    new_version: int | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """Who approved a version and when, and which claims were reviewed by whom."""

    article_id: int
    version: int
    approver_id: int
    approver_role: str
    at: Any
    note: str | None
    claims: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def subject(article_id: int, version: int) -> str:
    return f"article:{article_id}/v{version}"


def version_state(ctx: EditorialContext, article_id: int, version: int) -> str:
    for v in ctx.articles.versions(article_id):
        if int(v["version"]) == version:
            return str(v["status"])
    raise LookupError(f"article {article_id} has no version {version}")


def current_version(ctx: EditorialContext, article_id: int) -> int:
    vs = ctx.articles.versions(article_id)
    if not vs:
        raise LookupError(f"no article {article_id}")
    return int(vs[-1]["version"])


def submitted_by(ctx: EditorialContext, article_id: int, version: int) -> int | None:
    """The user who last submitted this version, or the version it was derived from."""
    subs = [t for t in ReviewRecords(ctx.engine).transitions(article_id)
            if t["action"] == "submit" and int(t["version"]) <= version]
    return subs[-1]["actor_id"] if subs else None


def transition(
    ctx: EditorialContext,
    *,
    article_id: int,
    action: str,
    actor: Actor,
    version: int | None = None,
    note: str | None = None,
) -> TransitionResult:
    """Take a state-only action (submit, start, approve, ...) on one version; raises
    `workflow.TransitionRefused` when the actor may not."""
    if action == "revise":
        raise ValueError("revise creates a version: use revise()")
    note = _free_text(note)
    version = version if version is not None else current_version(ctx, article_id)
    state = version_state(ctx, article_id, version)
    d = workflow.check(action, state=state, role=actor.role, actor_id=actor.id,
                       submitted_by=submitted_by(ctx, article_id, version))
    assert d.target is not None
    detail: dict[str, Any] = {"article_id": article_id, "version": version, "from": state,
                              "to": d.target, "role": actor.role, "note": note}
    if action == "approve":
        detail["claims_reviewed"] = {
            cid: [r["reviewer_id"] for r in rows]
            for cid, rows in _claim_reviews_by_claim(ctx, article_id, version).items()
        }
    _record(ctx, article_id=article_id, version=version, action=action, from_state=state,
            to_state=d.target, actor=actor, note=note, detail=detail, change_status=True)
    return TransitionResult(article_id, version, action, state, d.target, note)


def revise(
    ctx: EditorialContext,
    *,
    article_id: int,
    actor: Actor,
    article: Article | None = None,
    note: str | None = None,
) -> TransitionResult:
    """Create a new draft version (an edit never changes a stored version).

    `article` is the edited body; None copies the current version (to edit it later).
    """
    note = _free_text(note)
    cur = current_version(ctx, article_id)
    state = version_state(ctx, article_id, cur)
    d = workflow.check("revise", state=state, role=actor.role, actor_id=actor.id)
    base = article if article is not None else ctx.articles.get(article_id, cur)
    if base is None:
        raise LookupError(f"no article {article_id}")
    # An edited question or title is stored redacted, like an asked one.
    question = redact(base.question)
    base = base.model_copy(update={"question": question.text,
                                   "title": redact(base.title, known=question).text})
    saved = ctx.articles.save_version(
        base.model_copy(update={"id": article_id, "status": d.target}), created_by=actor.id
    )
    assert d.target is not None
    _record(ctx, article_id=article_id, version=saved.version, action="revise", from_state=None,
            to_state=d.target, actor=actor, note=note,
            detail={"article_id": article_id, "version": saved.version, "from_version": cur,
                    "to": d.target, "role": actor.role, "note": note})
    return TransitionResult(article_id, saved.version, "revise", None, d.target, note,
                            new_version=saved.version)


def review_claim(
    ctx: EditorialContext,
    *,
    article_id: int,
    claim_id: str,
    action: str,
    actor: Actor,
    version: int | None = None,
    comment: str | None = None,
) -> TransitionResult | None:
    """Accept, comment on or strike one claim. A strike returns the new version it created."""
    version = version if version is not None else current_version(ctx, article_id)
    state = version_state(ctx, article_id, version)
    d = workflow.decide_claim_review(action, state=state, role=actor.role)
    if not d.allowed:
        raise workflow.TransitionRefused(d.reason)
    article = ctx.articles.get(article_id, version)
    if article is None or find_claim(article, claim_id) is None:
        raise LookupError(f"article {article_id} version {version} has no claim {claim_id!r}")
    if action == "comment" and not (comment or "").strip():
        raise ValueError("a comment needs text")
    comment = _free_text(comment)
    assert actor.id is not None  # reviewers and admins are stored users
    records, audit = ReviewRecords(ctx.engine), ctx.audit_log()
    with ctx.engine.begin() as conn:
        records.add_claim_review(conn, article_id=article_id, version=version, claim_id=claim_id,
                                 reviewer_id=actor.id, action=action, comment=comment)
        audit.append(actor=actor.name, action=f"claim.{action}",
                     subject=f"{subject(article_id, version)}#{claim_id}",
                     detail={"role": actor.role, "comment": comment}, conn=conn)
    if action != "strike":
        return None
    return _strike(ctx, article, version=version, claim_id=claim_id, actor=actor,
                   comment=comment)


def _strike(ctx: EditorialContext, article: Article, *, version: int, claim_id: str,
            actor: Actor, comment: str | None) -> TransitionResult:
    """The struck version goes back (changes requested); review goes on with a new version."""
    assert article.id is not None and actor.id is not None
    article_id = article.id
    note = f"claim {claim_id} struck" + (f": {comment}" if comment else "")
    new = strike_claims(article, {claim_id})
    saved = ctx.articles.save_version(new.model_copy(update={"status": "under_review"}),
                                      created_by=actor.id)
    _record(ctx, article_id=article_id, version=version, action="request_changes",
            from_state="under_review", to_state="changes_requested", actor=actor,
            note=f"{note}; review continues with version {saved.version}",
            detail={"article_id": article_id, "version": version, "from": "under_review",
                    "to": "changes_requested", "role": actor.role, "struck": claim_id,
                    "new_version": saved.version}, change_status=True)
    records = ReviewRecords(ctx.engine)
    kept = {c.id: c.text for c in saved.all_claims() if c.id}
    with ctx.engine.begin() as conn:
        records.add_transition(conn, article_id=article_id, version=saved.version,
                               action="strike", from_state=None, to_state="under_review",
                               actor_id=actor.id, actor_role=actor.role, note=note)
        # Reviews of claims that survive unchanged carry over to the new version.
        old_claims = {c.id: c.text for c in article.all_claims() if c.id}
        for r in records.claim_reviews(article_id, version):
            cid = r["claim_id"]
            if r["action"] != "strike" and cid in kept and kept[cid] == old_claims.get(cid):
                records.add_claim_review(conn, article_id=article_id, version=saved.version,
                                         claim_id=cid, reviewer_id=r["reviewer_id"],
                                         action=r["action"], comment=r["comment"], at=r["at"])
        ctx.audit_log().append(
            actor=actor.name, action="article.strike", subject=subject(article_id, saved.version),
            detail={"article_id": article_id, "version": saved.version, "from_version": version,
                    "struck": claim_id, "to": "under_review", "role": actor.role},
            conn=conn)
    return TransitionResult(article_id, version, "strike", "under_review", "changes_requested",
                            note, new_version=saved.version)


def approval(ctx: EditorialContext, article_id: int, version: int) -> Approval | None:
    """The approval of this exact version by a reviewer (or admin) who did not submit it.

    None unless the version's status is approved AND such a recorded approval exists, so a
    status set by any other path never reads as approved.
    """
    if version_state(ctx, article_id, version) != "approved":
        return None
    approvals = _approvals(ctx, article_id, version)
    if not approvals:
        return None
    t = approvals[-1]
    return Approval(article_id, version, int(t["actor_id"]), str(t["actor_role"]), t["at"],
                    t["note"], _claim_reviews_by_claim(ctx, article_id, version))


def _approvals(ctx: EditorialContext, article_id: int, version: int) -> list[dict[str, Any]]:
    """Recorded approvals of a version by a reviewer (or admin) who did not submit it."""
    submitter = submitted_by(ctx, article_id, version)
    return [
        t for t in ReviewRecords(ctx.engine).transitions(article_id, version)
        if t["to_state"] == "approved" and t["actor_id"] is not None
        and t["actor_role"] in ("reviewer", "admin") and t["actor_id"] != submitter
    ]


def ever_approved(ctx: EditorialContext, article_id: int, version: int) -> bool:
    """Whether a reviewer ever approved this version (it may be outdated or re-reviewed since):
    from then on the version, its question included, is published."""
    return bool(_approvals(ctx, article_id, version))


def _claim_reviews_by_claim(ctx: EditorialContext, article_id: int,
                            version: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in ReviewRecords(ctx.engine).claim_reviews(article_id, version):
        out.setdefault(str(r["claim_id"]), []).append(
            {"reviewer_id": r["reviewer_id"], "action": r["action"], "comment": r["comment"],
             "at": r["at"]})
    return out


def _free_text(text: str | None) -> str | None:
    """A reviewer's note or comment as stored (review records and the append-only audit log):
    direct identifiers redacted, since it may quote the question."""
    return None if text is None else redact_text(text)


def _record(ctx: EditorialContext, *, article_id: int, version: int, action: str,
            from_state: str | None, to_state: str, actor: Actor, note: str | None,
            detail: dict[str, Any], change_status: bool = False) -> None:
    """The transition row, its audit entry and (`change_status`) the version's new state, in
    one transaction. The state changes only if it is still `from_state`: when another request
    (another server) acted on the version since it was read, nothing is recorded and the
    action is refused, so two reviewers cannot both decide one version."""
    with ctx.engine.begin() as conn:
        if change_status:
            assert from_state is not None
            if not ctx.articles.change_version_status(conn, article_id, version,
                                                      from_status=from_state,
                                                      to_status=to_state):
                now = version_state(ctx, article_id, version)
                raise workflow.TransitionRefused(
                    f"version {version} of article {article_id} is {now} now, no longer "
                    f"{from_state}: someone acted on it meanwhile; reload and try again")
        ReviewRecords(ctx.engine).add_transition(
            conn, article_id=article_id, version=version, action=action, from_state=from_state,
            to_state=to_state, actor_id=actor.id, actor_role=actor.role, note=note)
        ctx.audit_log().append(actor=actor.name, action=f"article.{action}",
                                    subject=subject(article_id, version), detail=detail,
                                    conn=conn)
