"""Server-rendered pages. Every page has a JSON twin at the same address plus ``.json``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from curbside import services
from curbside.article import Article
from curbside.edge.deps import RuntimeDep, article_for, call, check_audience
from curbside.edge.errors import ApiError
from curbside.edge.public import (
    highlight,
    passage_public,
    search_public,
    source_brief,
    source_public,
    thread_public,
)
from curbside.edge.schemas import ArticlePublic, PassageWithSource, clean_question
from curbside.edge.types import IdPath, KindQuery, VersionQuery, YearQuery
from curbside.edge.viewer import ViewerDep
from curbside.services import ANONYMOUS, Runtime, reads
from curbside.web import views
from curbside.web.templating import STATIC, render

router = APIRouter(include_in_schema=False)

BUILTIN_POLICY = """# Editorial policy

Curbside articles are assembled from the sources in this library. In the default (offline)
mode every sentence is a sentence of a cited source, selected and ordered, and every citation
links to the passage it comes from.

* **Review status.** New articles are drafts. An article shows *Approved* only when a
  reviewer of the Medical Advisory Board approved that exact version; any later change makes
  a new version that needs review again.
* **Evidence.** Guidelines come first, then systematic reviews, trials and observational
  studies. Retracted sources are never cited.
* **Red flags.** Warning signs that need urgent care are shown to every reader.
* **Private questions.** An article stays private until a reviewer approves it: only its reader
  key (returned to the person who asked) or a signed-in editor or reviewer opens a draft.
* **Not medical advice.** Articles support, and never replace, the judgement of a clinician.
"""

AudienceQ = Annotated[str | None, Query(max_length=20)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _article_url(article: Article, audience: str | None = None, key: str | None = None) -> str:
    params = {k: v for k, v in (("audience", audience), ("key", key)) if v}
    q = f"?{urlencode(params)}" if params else ""
    return f"/articles/{article.id}{q}"


def article_context(rt: Runtime, article: Article, audience: str | None,
                    key: str | None = None) -> dict[str, Any]:
    """The article page's context; `key` (the reader key that opened it) goes into its links."""
    shown = article_for(rt, article, audience)
    public = services.public_status(rt, article.id or 0, article.version)
    status = views.review_status(public)
    updated = public.last_updated or article.created_at
    cites = views.Citations(shown, reads.passage_sources(rt, passage_ids=views.passage_ids(shown)))
    mode = shown.audience
    return {
        "article": shown, "status": status, "last_updated": updated, "cites": cites,
        "audience": mode, "audiences": views.AUDIENCE_LABELS,
        "urgency_labels": views.urgency_labels(mode), "reference_links": views.reference_links,
        "disclaimer": views.DISCLAIMERS["patient" if mode == "patient" else "professional"],
        "title": shown.question, "key": key,
    }


# -- home, ask ---------------------------------------------------------------------------------
def _home(request: Request, rt: Runtime, *, error: str | None = None, question: str = "",
          audience: str = "clinician", status_code: int = 200) -> HTMLResponse:
    recent = services.recent_for(rt, viewer=ANONYMOUS, status="approved", limit=10)
    return render(request, "home.html", {
        "title": "Ask a clinical question", "recent": recent, "error": error,
        "question": question, "audience": audience, "audiences": views.AUDIENCE_LABELS,
    }, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _home(request, rt)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for it on pages without a <link rel=icon> (the JSON twins)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


@router.get("/index.json")
def home_json(rt: RuntimeDep) -> JSONResponse:
    rows = services.recent_for(rt, viewer=ANONYMOUS, status="approved", limit=10)
    return JSONResponse({"recent_approved": [
        {"id": r["id"], "title": r["title"], "status": r["status"],
         "updated_at": r["updated_at"].isoformat()} for r in rows]})


@router.post("/ask", response_model=None)
def ask_form(request: Request, rt: RuntimeDep, viewer: ViewerDep,
             question: Annotated[str, Form(max_length=20000)] = "",
             audience: Annotated[str, Form(max_length=20)] = "clinician",
             writer: Annotated[str, Form(max_length=20)] = "extractive") -> Response:
    mode = check_audience(audience, "clinician")
    try:
        text = clean_question(question)
    except ValueError as exc:
        return _home(request, rt, error=str(exc), question=question[:2000], audience=mode,
                     status_code=422)
    if writer not in ("extractive", "llm"):
        raise ApiError(422, "invalid_input", "unknown writer", "writer")
    asked = call(services.ask_as, rt, viewer, question=text, audience=mode, writer=writer)
    return _redirect(_article_url(asked.article, key=asked.key))


# -- articles ------------------------------------------------------------------------------------
@router.get("/articles/{article_id:int}.json", response_model=ArticlePublic)
def article_json(article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep, audience: AudienceQ = None,
                 version: VersionQuery = None) -> Article:
    art = services.read_article(rt, article_id=article_id, version=version, viewer=viewer)
    return article_for(rt, art, audience)


@router.get("/articles/{article_id:int}.pdf")
def article_pdf(article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep, audience: AudienceQ = None,
                version: VersionQuery = None) -> Response:
    from curbside.web.pdf import article_pdf_bytes

    art = services.read_article(rt, article_id=article_id, version=version, viewer=viewer)
    ctx = article_context(rt, art, audience)
    data = article_pdf_bytes(ctx["article"], status=ctx["status"], updated=ctx["last_updated"],
                             disclaimer=ctx["disclaimer"])
    name = f"curbside-article-{article_id}-v{art.version}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"'})


@router.get("/articles/{article_id:int}", response_class=HTMLResponse)
def article_page(request: Request, article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                 audience: AudienceQ = None,
                 version: VersionQuery = None) -> HTMLResponse:
    art = services.read_article(rt, article_id=article_id, version=version, viewer=viewer)
    key = services.shared_key(rt, article_id, viewer)
    return render(request, "article.html", article_context(rt, art, audience, key))


@router.post("/articles/{article_id:int}/followups", response_model=None)
def follow_up_form(request: Request, article_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                   question: Annotated[str, Form(max_length=20000)] = "",
                   audience: Annotated[str, Form(max_length=20)] = "clinician") -> Response:
    mode = check_audience(audience, "clinician")
    art = services.read_article(rt, article_id=article_id, viewer=viewer)
    try:
        text = clean_question(question)
    except ValueError as exc:
        ctx = article_context(rt, art, mode, services.shared_key(rt, article_id, viewer))
        ctx.update(followup_error=str(exc), followup_question=question[:2000])
        return render(request, "article.html", ctx, status_code=422)
    asked = call(services.follow_up_as, rt, viewer, article_id=article_id, question=text,
                 audience=mode)
    return _redirect(_article_url(asked.article, key=asked.key))


# -- threads -------------------------------------------------------------------------------------
@router.get("/threads/{thread_id:int}.json")
def thread_json(thread_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                audience: AudienceQ = None) -> JSONResponse:
    return JSONResponse(thread_public(rt, thread_id, audience, viewer).model_dump(mode="json"))


@router.get("/threads/{thread_id:int}", response_class=HTMLResponse)
def thread_page(request: Request, thread_id: IdPath, rt: RuntimeDep, viewer: ViewerDep,
                audience: AudienceQ = None) -> HTMLResponse:
    thread = thread_public(rt, thread_id, audience, viewer)
    turns = []
    for art in thread.articles:
        cites = views.Citations(art, reads.passage_sources(rt, passage_ids=views.passage_ids(art)))
        public = services.public_status(rt, art.id or 0, art.version)
        turns.append({"article": art, "cites": cites, "status": views.review_status(public),
                      "labels": views.urgency_labels(art.audience)})
    last = thread.articles[-1]
    return render(request, "thread.html", {
        "title": f"Thread {thread_id}", "thread_id": thread_id, "turns": turns, "last": last,
        "audience": last.audience, "key": services.shared_key(rt, last.id or 0, viewer),
    })


# -- search, sources, passages -------------------------------------------------------------------
@router.get("/search.json")
def search_json(rt: RuntimeDep, q: Annotated[str, Query(min_length=1, max_length=2000)],
                k: Annotated[int, Query(ge=1, le=50)] = 10, kind: KindQuery = None,
                year: YearQuery = None) -> JSONResponse:
    result = search_public(rt, q, k, [str(x) for x in kind or ()], year)
    return JSONResponse(result.model_dump(mode="json"))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, rt: RuntimeDep,
                q: Annotated[str, Query(max_length=2000)] = "",
                k: Annotated[int, Query(ge=1, le=50)] = 10) -> HTMLResponse:
    result, error = None, None
    if q.strip():
        try:
            result = search_public(rt, q, k)
        except ApiError as exc:
            error = exc.message
    return render(request, "search.html", {"title": "Search the library", "q": q,
                                           "result": result, "error": error},
                  status_code=422 if error else 200)


@router.get("/sources/{source_id:int}.json")
def source_json(source_id: IdPath, rt: RuntimeDep, viewer: ViewerDep) -> JSONResponse:
    return JSONResponse(source_public(rt, source_id, viewer).model_dump(mode="json"))


@router.get("/sources/{source_id:int}", response_class=HTMLResponse)
def source_page(request: Request, source_id: IdPath, rt: RuntimeDep,
                viewer: ViewerDep) -> HTMLResponse:
    src = source_public(rt, source_id, viewer)
    return render(request, "source.html", {"title": src.source.title, "src": src,
                                           "reference_links": views.reference_links,
                                           "key": viewer.key})


@router.get("/passages/{uid}.json", response_model=PassageWithSource)
def passage_json(uid: str, rt: RuntimeDep,
                 start: Annotated[int | None, Query(ge=0)] = None,
                 end: Annotated[int | None, Query(ge=0)] = None) -> PassageWithSource:
    p, s = reads.get_passage(rt, uid=uid)
    return PassageWithSource(passage=passage_public(p), source=source_brief(s),
                             highlight=highlight(p, start, end))


@router.get("/passages/{uid}", response_class=HTMLResponse)
def passage_page(request: Request, uid: str, rt: RuntimeDep,
                 start: Annotated[int | None, Query(ge=0)] = None,
                 end: Annotated[int | None, Query(ge=0)] = None) -> HTMLResponse:
    p, s = reads.get_passage(rt, uid=uid)
    hl = highlight(p, start, end)
    before, marked, after = views.highlight_parts(p.text, hl.start if hl else None,
                                                  hl.end if hl else None)
    return render(request, "passage.html", {
        "title": f"Passage from {s.title}", "passage": p, "source": source_brief(s),
        "before": before, "marked": marked, "after": after,
    })


# -- editorial policy ----------------------------------------------------------------------------
def _policy_markdown() -> str:
    try:
        return services.editorial_policy()
    except (FileNotFoundError, OSError):
        return BUILTIN_POLICY


@router.get("/editorial-policy.json")
def policy_json() -> JSONResponse:
    return JSONResponse({"markdown": _policy_markdown()})


@router.get("/editorial-policy", response_class=HTMLResponse)
def policy_page(request: Request) -> HTMLResponse:
    from markdown_it import MarkdownIt

    # html=False: any markup in the file is shown as text, never interpreted.
    body = MarkdownIt("commonmark", {"html": False}).render(_policy_markdown())
    return render(request, "policy.html", {"title": "Editorial policy", "body": body})
