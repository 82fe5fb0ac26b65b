"""Editorial use cases: the review queue, state changes, claim review, diffs, public status,
living articles after ingest, the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import IO, Any

from curbside.ingest.pipeline import IngestReport
from curbside.review import editorial
from curbside.review.diff import ArticleDiff, diff_articles, last_updated
from curbside.review.editorial import Actor, Approval, TransitionResult
from curbside.review.living import OutdatedFlag, flag_outdated
from curbside.review.status import PublicStatus, describe
from curbside.review.workflow import (
    ACTIONS,
    CLAIM_RULES,
    QUEUE_STATES,
    TransitionRefused,
    decide,
    decide_claim_review,
)
from curbside.services.runtime import NotFoundError, Runtime
from curbside.store.audit import ChainReport, ReviewRecords
from curbside.store.users import UserStore

__all__ = [
    "QueueItem", "TransitionRefused", "after_ingest", "approval_record", "article_diff",
    "article_history", "audit_checkpoint", "audit_export_csv", "audit_verify",
    "editorial_policy", "public_status",
    "review_claim", "review_detail", "review_queue", "revise_article", "transition_article",
]


@dataclass(frozen=True, slots=True)
class QueueItem:
    article_id: int
    version: int
    state: str
    title: str
    waiting_since: dt.datetime
    note: str | None  # the latest transition note (e.g. why it was outdated)


def _names(rt: Runtime) -> dict[int, str]:
    return {u.id: u.name for u in UserStore(rt.engine).list()}


def _require_version(rt: Runtime, article_id: int, version: int | None) -> int:
    vs = rt.articles.versions(article_id)
    if not vs:
        raise NotFoundError(f"no article {article_id}")
    if version is None:
        return int(vs[-1]["version"])
    if version not in {int(v["version"]) for v in vs}:
        raise NotFoundError(f"article {article_id} has no version {version}")
    return version


def review_queue(rt: Runtime) -> list[QueueItem]:
    """Versions waiting for a reviewer: submitted, under review, outdated (oldest first)."""
    records = ReviewRecords(rt.engine)
    out: list[QueueItem] = []
    for v in records.versions_in_states(QUEUE_STATES):
        aid, ver = int(v["article_id"]), int(v["version"])
        ts = records.transitions(aid, ver)
        art = rt.articles.get(aid, ver)
        out.append(QueueItem(aid, ver, str(v["status"]), art.title if art else "",
                             ts[-1]["at"] if ts else v["created_at"],
                             ts[-1]["note"] if ts else None))
    return sorted(out, key=lambda q: (str(q.waiting_since), q.article_id))


def transition_article(rt: Runtime, *, article_id: int, action: str, actor: Actor,
                       version: int | None = None, note: str | None = None) -> TransitionResult:
    """submit | start | approve | request_changes | reject | outdate one version (default:
    the newest); raises `TransitionRefused` with the reason when not allowed."""
    version = _require_version(rt, article_id, version)
    return editorial.transition(rt, article_id=article_id, action=action, actor=actor,
                                version=version, note=note)


def revise_article(rt: Runtime, *, article_id: int, actor: Actor, article: Any = None,
                   note: str | None = None) -> TransitionResult:
    """Create a new draft version (edited `article`, or a copy of the newest version)."""
    _require_version(rt, article_id, None)
    return editorial.revise(rt, article_id=article_id, actor=actor, article=article, note=note)


def review_claim(rt: Runtime, *, article_id: int, claim_id: str, action: str, actor: Actor,
                 version: int | None = None, comment: str | None = None
                 ) -> TransitionResult | None:
    """accept | comment | strike one claim; a strike returns the new version it created."""
    version = _require_version(rt, article_id, version)
    try:
        return editorial.review_claim(rt, article_id=article_id, claim_id=claim_id,
                                      action=action, actor=actor, version=version,
                                      comment=comment)
    except LookupError as exc:
        raise NotFoundError(str(exc)) from None


def article_diff(rt: Runtime, *, article_id: int, old: int, new: int) -> ArticleDiff:
    a, b = rt.articles.get(article_id, old), rt.articles.get(article_id, new)
    if a is None or b is None:
        raise NotFoundError(f"article {article_id} has no version {old if a is None else new}")
    return diff_articles(a, b)


def article_history(rt: Runtime, *, article_id: int) -> dict[str, Any]:
    """Versions (with status) and every recorded transition, with actor names."""
    versions = rt.articles.versions(article_id)
    if not versions:
        raise NotFoundError(f"no article {article_id}")
    names = _names(rt)
    ts = [{**t, "actor": names.get(t["actor_id"], "system") if t["actor_id"] else "system"}
          for t in ReviewRecords(rt.engine).transitions(article_id)]
    return {"versions": versions, "transitions": ts, "last_updated": last_updated(versions)}


def review_detail(rt: Runtime, *, article_id: int, version: int | None = None,
                  actor: Actor | None = None) -> dict[str, Any]:
    """Everything a reviewer's page shows: the version, its status, each claim with its
    reviews (reviewer names), the history, and the actions `actor` may take now."""
    version = _require_version(rt, article_id, version)
    article = rt.articles.get(article_id, version)
    assert article is not None
    names = _names(rt)
    records = ReviewRecords(rt.engine)
    reviews: dict[str, list[dict[str, Any]]] = {}
    for r in records.claim_reviews(article_id, version):
        reviews.setdefault(str(r["claim_id"]), []).append(
            {"reviewer": names.get(r["reviewer_id"], "?"), "action": r["action"],
             "comment": r["comment"], "at": r["at"]})
    where: dict[str, str] = {c.id: "Lead" for c in article.lead}
    for sec in article.sections:
        where.update({c.id: sec.heading for c in ([sec.intro] if sec.intro else []) + sec.claims})
    where.update({c.id: "Bottom line" for c in article.bottom_line})
    claims = [{"id": c.id, "text": c.text, "citations": c.citations, "section": where.get(c.id, ""),
               "support": c.support, "ours": c.ours, "reviews": reviews.get(c.id, [])}
              for c in article.all_claims()]
    state = next(str(v["status"]) for v in rt.articles.versions(article_id)
                 if int(v["version"]) == version)
    actions: list[str] = []
    claim_actions: list[str] = []
    if actor is not None:
        submitter = editorial.submitted_by(rt, article_id, version)
        latest = current_version_of(rt, article_id)
        for a in ACTIONS:
            if a == "revise" and version != latest:
                continue
            if decide(a, state=state, role=actor.role, actor_id=actor.id,
                      submitted_by=submitter).allowed:
                actions.append(a)
        claim_actions = [a for a in CLAIM_RULES
                         if decide_claim_review(a, state=state, role=actor.role).allowed]
    history = article_history(rt, article_id=article_id)
    return {"article": article, "status": public_status(rt, article_id, version),
            "state": state, "claims": claims, "history": history["transitions"],
            "versions": history["versions"], "actions": actions, "claim_actions": claim_actions,
            "previous_version": version - 1 if version > 1 else None}


def current_version_of(rt: Runtime, article_id: int) -> int:
    return _require_version(rt, article_id, None)


def approval_record(rt: Runtime, *, article_id: int,
                    version: int | None = None) -> Approval | None:
    version = _require_version(rt, article_id, version)
    return editorial.approval(rt, article_id, version)


def public_status(rt: Runtime, article_id: int, version: int | None = None) -> PublicStatus:
    """What readers see: approved (by a reviewer, this exact version) or the caution."""
    version = _require_version(rt, article_id, version)
    versions = rt.articles.versions(article_id)
    state = next(str(v["status"]) for v in versions if int(v["version"]) == version)
    appr = editorial.approval(rt, article_id, version)
    return describe(
        article_id=article_id, version=version, state=state,
        approved_at=appr.at if appr else None,
        claims_reviewed=len(appr.claims) if appr else 0,
        last_updated=last_updated(versions), latest_version=int(versions[-1]["version"]),
    )


def editorial_policy() -> str:
    """The editorial policy (Markdown) shown on the web."""
    return (files("curbside.review") / "editorial_policy.md").read_text(encoding="utf-8")


def after_ingest(rt: Runtime, report: IngestReport, *,
                 retrieve: Callable[[str], Sequence[int]] | None = None) -> list[OutdatedFlag]:
    """Living articles: call after every ingest. Approved versions citing retracted or
    superseded sources, or for which a newly ingested guideline would be retrieved
    (`retrieve(question) -> source ids`), become outdated and return to the review queue."""
    guidelines = [sid for sid in report.new_source_ids
                  if (s := rt.store.get_source(sid)) is not None and str(s.kind) == "guideline"]
    return flag_outdated(
        rt, superseded_source_ids=report.superseded_source_ids,
        retracted_source_ids=report.retracted_source_ids,
        new_guideline_source_ids=guidelines, retrieve=retrieve,
    )


def audit_verify(rt: Runtime) -> ChainReport:
    return rt.audit_log().verify()


def audit_checkpoint(rt: Runtime) -> ChainReport:
    """Verify the chain, then record its head in the checkpoint file."""
    return rt.audit_log().checkpoint()


def audit_export_csv(rt: Runtime, out: IO[str]) -> int:
    return rt.audit_log().export_csv(out)
