"""REST API ``/api/v1``: thin handlers over `curbside.services`, shapes from `curbside.edge`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from curbside import __version__, services
from curbside.edge.deps import RuntimeDep, article_for, call
from curbside.edge.errors import error_responses
from curbside.edge.public import (
    highlight,
    passage_public,
    search_public,
    source_brief,
    source_public,
    thread_public,
)
from curbside.edge.schemas import (
    ArticlePublic,
    ArticleSummary,
    AskedArticlePublic,
    AskRequest,
    FollowUpRequest,
    HealthPublic,
    PassageWithSource,
    ReadyPublic,
    SearchPublic,
    SourcePublic,
    ThreadPublic,
    TriagePublic,
    TriageRequest,
)
from curbside.edge.types import IdPath, KindQuery, VersionQuery, YearQuery
from curbside.edge.viewer import ViewerDep
from curbside.services import Asked, reads

#: Error statuses per kind of route (each route documents exactly what it can answer).
BODY_ERRORS = error_responses(400, 404, 413, 422, 503)
READ_ERRORS = error_responses(404, 422, 503)

router = APIRouter(prefix="/api/v1", tags=["api"])

Audience = Annotated[str | None, Query(description="Reader mode: clinician, patient, student.")]


def asked_public(asked: Asked) -> AskedArticlePublic:
    return AskedArticlePublic.model_validate({**asked.article.model_dump(),
                                              "access_key": asked.key})


@router.post("/ask", status_code=201, response_model=AskedArticlePublic, responses=BODY_ERRORS,
             summary="Ask a question; returns the new cited article and its reader key")
def ask(body: AskRequest, rt: RuntimeDep, viewer: ViewerDep) -> AskedArticlePublic:
    return asked_public(call(services.ask_as, rt, viewer, question=body.question,
                             audience=body.audience, writer=body.writer,
                             thread_id=body.thread_id))


@router.post("/triage", response_model=TriagePublic, responses=error_responses(400, 413, 422),
             summary="Triage a question or vignette: urgency (undetermined when no rule "
                     "matched), reasons, rules and conditions")
def triage(body: TriageRequest) -> TriagePublic:
    result = call(services.triage_text, body.text)
    d = services.triage_public(result)
    d["label"] = d["patient_advice"] if body.audience == "patient" else d["label"]
    return TriagePublic.model_validate(d)


@router.get("/articles", response_model=list[ArticleSummary], responses=error_responses(422, 503),
            summary="Recent articles (approved ones; every one for a signed-in account)")
def recent(rt: RuntimeDep, viewer: ViewerDep,
           status: Annotated[str | None, Query(max_length=30)] = None,
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[ArticleSummary]:
    rows = services.recent_for(rt, viewer=viewer, status=status, limit=limit)
    return [ArticleSummary(id=r["id"], title=r["title"], audience=r["audience"],
                           status=r["status"], current_version=r["current_version"],
                           thread_id=r.get("thread_id"), updated_at=r["updated_at"])
            for r in rows]


@router.get("/articles/{article_id}", response_model=ArticlePublic, responses=READ_ERRORS,
            summary="One article (latest version, or ?version=N), optionally re-rendered")
def get_article(article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                version: VersionQuery = None,
                audience: Audience = None) -> ArticlePublic:
    art = services.read_article(rt, article_id=article_id, version=version, viewer=viewer)
    return article_for(rt, art, audience)


@router.post("/articles/{article_id}/followups", status_code=201,
             response_model=AskedArticlePublic, responses=BODY_ERRORS,
             summary="Ask a follow-up question; returns the next article and its reader key")
def follow_up(article_id: IdPath, body: FollowUpRequest, rt: RuntimeDep,
              viewer: ViewerDep) -> AskedArticlePublic:
    return asked_public(call(services.follow_up_as, rt, viewer, article_id=article_id,
                             question=body.question, audience=body.audience))


@router.get("/threads/{thread_id}", response_model=ThreadPublic, responses=READ_ERRORS,
            summary="A thread's turns")
def get_thread(thread_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
               audience: Audience = None) -> ThreadPublic:
    return thread_public(rt, thread_id, audience, viewer)


@router.get("/search", response_model=SearchPublic, responses=error_responses(422, 503),
            summary="Search the library's passages")
def search(rt: RuntimeDep, q: Annotated[str, Query(min_length=1, max_length=2000)],
           k: Annotated[int, Query(ge=1, le=50)] = 10, kind: KindQuery = None,
           year: YearQuery = None) -> SearchPublic:
    return search_public(rt, q, k, [str(x) for x in kind or ()], year)


@router.get("/sources/{source_id}", response_model=SourcePublic,
            responses=error_responses(404, 503),
            summary="A source: bibliographic data, passages, citing articles")
def get_source(source_id: IdPath, rt: RuntimeDep, viewer: ViewerDep) -> SourcePublic:
    return source_public(rt, source_id, viewer)


@router.get("/passages/{uid}", response_model=PassageWithSource, responses=READ_ERRORS,
            summary="One passage with its source (optionally a highlighted span)")
def get_passage(uid: str, rt: RuntimeDep,
                start: Annotated[int | None, Query(ge=0)] = None,
                end: Annotated[int | None, Query(ge=0)] = None) -> PassageWithSource:
    p, s = reads.get_passage(rt, uid=uid)
    return PassageWithSource(passage=passage_public(p), source=source_brief(s),
                             highlight=highlight(p, start, end))


@router.get("/health", response_model=HealthPublic, summary="Liveness")
def health() -> HealthPublic:
    return HealthPublic(version=__version__)


@router.get("/ready", response_model=ReadyPublic, summary="Readiness: DB, migrations, index",
            responses={503: {"model": ReadyPublic}})
def ready(rt: RuntimeDep) -> JSONResponse:
    ok, checks, detail = reads.readiness(rt)
    body = ReadyPublic(ready=ok, checks=checks, detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.app.state.metrics.render(),
                             media_type="text/plain; version=0.0.4; charset=utf-8")
