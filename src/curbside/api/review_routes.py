"""REST API ``/api/v1/review``: the editorial workflow for API-token holders.

Send ``Authorization: Bearer TOKEN`` (``curbside users token NAME``). Reading the review status
of an approved article needs no token; a draft's needs its reader key (see `edge.viewer`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from curbside import services
from curbside.edge.deps import RuntimeDep
from curbside.edge.errors import ApiError, error_responses
from curbside.edge.types import (
    INT64_MAX,
    CleanText,
    IdPath,
    RequiredVersionQuery,
    VersionQuery,
)
from curbside.edge.viewer import ViewerDep
from curbside.review.editorial import Actor, TransitionResult
from curbside.review.status import PublicStatus
from curbside.services import accounts, review

router = APIRouter(prefix="/api/v1/review", tags=["review"])


class TransitionRequest(BaseModel):
    action: Literal["submit", "start", "approve", "request_changes", "reject", "outdate"] = Field(
        description="Lifecycle action on the version.")
    version: int | None = Field(None, ge=1, le=INT64_MAX,
                                description="Version (default: the newest).")
    note: CleanText | None = Field(None, max_length=4000,
                                   description="Why; kept with the change.")


class ClaimReviewRequest(BaseModel):
    action: Literal["accept", "comment", "strike"] = Field(description="What to do with the "
                                                                       "claim.")
    comment: CleanText | None = Field(None, max_length=4000, description="Comment text.")
    version: int | None = Field(None, ge=1, le=INT64_MAX,
                                description="Version (default: the newest).")


class ReviseRequest(BaseModel):
    note: CleanText | None = Field(None, max_length=4000, description="Why the new version.")


def bearer_actor(request: Request, rt: RuntimeDep) -> Actor:
    """The acting user from ``Authorization: Bearer TOKEN``; 401 without a valid token."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    user = accounts.resolve_api_token(rt, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiError(401, "unauthorized",
                       "send 'Authorization: Bearer TOKEN' with a valid API token "
                       "(curbside users token NAME)")
    return accounts.actor_of(user)


ActorDep = Annotated[Actor, Depends(bearer_actor)]
VersionQ = VersionQuery
#: Error statuses: token-only reads, public reads, and writes (JSON body) of this router.
TOKEN_READ_ERRORS = error_responses(401, 404, 422, 503)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 413, 422, 503)


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data), status_code=status_code)


def _refused(exc: Exception) -> ApiError:
    return ApiError(403, "refused", str(exc))


@router.get("/queue", responses=error_responses(401, 503))
def queue(rt: RuntimeDep, actor: ActorDep) -> JSONResponse:
    """Versions waiting for a reviewer (submitted, under review, outdated), oldest first."""
    return _json({"items": [asdict(item) for item in review.review_queue(rt)]})


@router.get("/articles/{article_id:int}", responses=TOKEN_READ_ERRORS)
def article_detail(article_id: IdPath, rt: RuntimeDep, actor: ActorDep,
                   version: VersionQ = None) -> JSONResponse:
    """A version with its claims, their reviews, its history and the actions open to you."""
    detail = review.review_detail(rt, article_id=article_id, version=version, actor=actor)
    return _json(detail)


@router.get("/articles/{article_id:int}/status", response_model=PublicStatus,
            responses=error_responses(404, 422, 503))
def article_status(article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                   version: VersionQ = None) -> PublicStatus:
    """The review status of a version: no token needed for an approved version; a draft's
    needs its reader key or a token, like the article itself."""
    return services.status_for(rt, article_id=article_id, version=version, viewer=viewer)


@router.post("/articles/{article_id:int}/transitions", responses=WRITE_ERRORS)
def transition(article_id: IdPath, body: TransitionRequest, rt: RuntimeDep,
               actor: ActorDep) -> JSONResponse:
    try:
        res = review.transition_article(rt, article_id=article_id, action=body.action,
                                        actor=actor, version=body.version, note=body.note)
    except review.TransitionRefused as exc:
        raise _refused(exc) from None
    return _json(_result(res))


@router.post("/articles/{article_id:int}/revisions", status_code=201, responses=WRITE_ERRORS)
def revise(article_id: IdPath, body: ReviseRequest, rt: RuntimeDep,
           actor: ActorDep) -> JSONResponse:
    """Create a new draft version from the newest one (editor, admin)."""
    try:
        res = review.revise_article(rt, article_id=article_id, actor=actor, note=body.note)
    except review.TransitionRefused as exc:
        raise _refused(exc) from None
    return _json(_result(res), status_code=201)


@router.post("/articles/{article_id:int}/claims/{claim_id}", responses=WRITE_ERRORS)
def claim_review(article_id: IdPath, claim_id: str, body: ClaimReviewRequest, rt: RuntimeDep,
                 actor: ActorDep) -> JSONResponse:
    """Accept, comment on or strike a claim; a strike answers with the new version."""
    try:
        res = review.review_claim(rt, article_id=article_id, claim_id=claim_id[:100],
                                  action=body.action, actor=actor, version=body.version,
                                  comment=body.comment)
    except review.TransitionRefused as exc:
        raise _refused(exc) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc), "comment") from None
    return _json({"recorded": body.action, "claim_id": claim_id,
                  "transition": _result(res) if res else None})


@router.get("/articles/{article_id:int}/diff", responses=TOKEN_READ_ERRORS)
def diff(article_id: IdPath, rt: RuntimeDep, actor: ActorDep,
         old: RequiredVersionQuery, new: RequiredVersionQuery) -> JSONResponse:
    """Claims added, removed and changed, references added and removed, between versions."""
    return _json(review.article_diff(rt, article_id=article_id, old=old, new=new))


def _result(res: TransitionResult) -> dict[str, Any]:
    return {"article_id": res.article_id, "version": res.version, "action": res.action,
            "from_state": res.from_state, "to_state": res.to_state, "note": res.note,
            "new_version": res.new_version}
