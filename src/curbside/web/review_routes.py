"""Reviewer pages: sign in, the review queue, claim-by-claim review, version diffs.

Server-side sessions (cookie holds a random token; the database keeps its hash) and a CSRF
token (an HMAC of the session token) in every form. JSON twins need the same session.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from curbside.edge.deps import RuntimeDep
from curbside.edge.errors import ApiError
from curbside.edge.types import INT64_MAX, IdPath, RequiredVersionQuery, VersionQuery
from curbside.review.editorial import Actor
from curbside.services import Runtime, accounts, review
from curbside.store.audit import AuditKeyError
from curbside.store.users import User
from curbside.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

SESSION_COOKIE = accounts.SESSION_COOKIE
LOGIN_COOKIE = "curbside_login"  # pre-session token: CSRF protection for the sign-in form
ACTION_LABELS = {"submit": "Submit for review", "start": "Start review", "approve": "Approve",
                 "request_changes": "Request changes", "reject": "Reject",
                 "outdate": "Mark outdated", "revise": "Create a new draft version"}
VersionQ = VersionQuery


def _key(request: Request) -> bytes:
    return accounts.signing_key(request.app.state.settings)


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.environment == "production")


def _session(request: Request, rt: Runtime) -> tuple[User, str] | None:
    token = request.cookies.get(SESSION_COOKIE)
    user = accounts.resolve_session(rt, token)
    return (user, token) if user is not None and token else None


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/review/login?next={quote(request.url.path)}", status_code=303)


def _safe_next(value: str | None) -> str:
    # Only our own reviewer pages: never an open redirect.
    if value and value.startswith("/review") and not value.startswith("//"):
        return value
    return "/review"


def _check_csrf(request: Request, session_token: str, csrf: str) -> None:
    if not accounts.verify_csrf(_key(request), session_token, csrf):
        raise ApiError(403, "csrf", "This form has expired. Reload the page and try again.")


def _base(request: Request, user: User, token: str, title: str) -> dict[str, Any]:
    return {"title": title, "user": user, "csrf": accounts.csrf_token(_key(request), token)}


# -- sign in / out ---------------------------------------------------------------------------
def _login_page(request: Request, *, next_url: str, error: str | None = None,
                status_code: int = 200, name: str = "") -> HTMLResponse:
    pre = secrets.token_urlsafe(24)
    resp = render(request, "review_login.html", {
        "title": "Reviewer sign-in", "next": next_url, "error": error, "name": name,
        "csrf": accounts.csrf_token(_key(request), "login:" + pre),
    }, status_code=status_code)
    resp.set_cookie(LOGIN_COOKIE, pre, httponly=True, samesite="strict", path="/review",
                    secure=_secure(request), max_age=3600)
    return resp


@router.get("/review/login", response_class=HTMLResponse)
def login_page(request: Request,
               next: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    return _login_page(request, next_url=_safe_next(next))


@router.post("/review/login", response_model=None)
def login_form(request: Request, rt: RuntimeDep,
               name: Annotated[str, Form(max_length=100)] = "",
               password: Annotated[str, Form(max_length=1000)] = "",
               csrf: Annotated[str, Form(max_length=200)] = "",
               next: Annotated[str, Form(max_length=200)] = "/review") -> Response:
    pre = request.cookies.get(LOGIN_COOKIE)
    next_url = _safe_next(next)
    if not pre or not accounts.verify_csrf(_key(request), "login:" + pre, csrf):
        return _login_page(request, next_url=next_url, status_code=403, name=name,
                           error="The sign-in form expired. Please try again.")
    ip = request.client.host if request.client else "unknown"
    try:
        user = accounts.login(rt, name=name, password=password, ip=ip)
    except accounts.LoginThrottled as exc:
        return _login_page(request, next_url=next_url, error=str(exc), status_code=429,
                           name=name)
    except accounts.LoginFailed as exc:
        return _login_page(request, next_url=next_url, error=str(exc), status_code=401,
                           name=name)
    except AuditKeyError as exc:  # sign-ins are audited: refuse rather than write unverifiable
        log.error("sign-in refused: %s", exc)
        return _login_page(request, next_url=next_url, status_code=503, name=name,
                           error="Sign-in is unavailable: the server cannot write its audit "
                                 "log. Ask an administrator.")
    session = accounts.create_session(rt, user, ip=ip)
    resp = RedirectResponse(next_url, status_code=303)
    resp.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="lax",
                    secure=_secure(request), expires=session.expires_at, path="/")
    resp.delete_cookie(LOGIN_COOKIE, path="/review")
    return resp


@router.post("/review/logout", response_model=None)
def logout(request: Request, rt: RuntimeDep,
           csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    found = _session(request, rt)
    if found is not None:
        _check_csrf(request, found[1], csrf)
        accounts.end_session(rt, found[1])
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# -- queue -----------------------------------------------------------------------------------
@router.get("/review.json")
def queue_json(request: Request, rt: RuntimeDep) -> JSONResponse:
    if _session(request, rt) is None:
        raise ApiError(401, "unauthorized", "sign in at /review/login")
    return JSONResponse(jsonable_encoder({"items": review.review_queue(rt)}))


@router.get("/review", response_class=HTMLResponse, response_model=None)
def queue_page(request: Request, rt: RuntimeDep) -> Response:
    found = _session(request, rt)
    if found is None:
        return _to_login(request)
    ctx = _base(request, *found, "Review queue")
    ctx["items"] = review.review_queue(rt)
    return render(request, "review_queue.html", ctx)


# -- one article -----------------------------------------------------------------------------
def _detail(rt: Runtime, user: User, article_id: int, version: int | None) -> dict[str, Any]:
    return review.review_detail(rt, article_id=article_id, version=version,
                                actor=accounts.actor_of(user))


@router.get("/review/articles/{article_id:int}.json")
def article_json(request: Request, article_id: IdPath, rt: RuntimeDep,
                 version: VersionQ = None) -> JSONResponse:
    found = _session(request, rt)
    if found is None:
        raise ApiError(401, "unauthorized", "sign in at /review/login")
    return JSONResponse(jsonable_encoder(_detail(rt, found[0], article_id, version)))


def _article_page(request: Request, rt: Runtime, user: User, token: str, article_id: int,
                  version: int | None, *, error: str | None = None, notice: str | None = None,
                  status_code: int = 200) -> HTMLResponse:
    detail = _detail(rt, user, article_id, version)
    ctx = _base(request, user, token, f"Review: {detail['article'].title}")
    ctx.update(detail)
    ctx.update(error=error, notice=notice, action_labels=ACTION_LABELS)
    return render(request, "review_article.html", ctx, status_code=status_code)


@router.get("/review/articles/{article_id:int}", response_class=HTMLResponse,
            response_model=None)
def article_page(request: Request, article_id: IdPath, rt: RuntimeDep,
                 version: VersionQ = None) -> Response:
    found = _session(request, rt)
    if found is None:
        return _to_login(request)
    return _article_page(request, rt, *found, article_id, version)


@router.post("/review/articles/{article_id:int}/transition", response_model=None)
def transition_form(request: Request, article_id: IdPath, rt: RuntimeDep,
                    action: Annotated[str, Form(max_length=30)],
                    version: Annotated[int, Form(ge=1, le=INT64_MAX)],
                    csrf: Annotated[str, Form(max_length=200)] = "",
                    note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    found = _session(request, rt)
    if found is None:
        return _to_login(request)
    user, token = found
    _check_csrf(request, token, csrf)
    actor: Actor = accounts.actor_of(user)
    try:
        if action == "revise":
            res = review.revise_article(rt, article_id=article_id, actor=actor,
                                        note=note or None)
        else:
            res = review.transition_article(rt, article_id=article_id, action=action,
                                            actor=actor, version=version, note=note or None)
    except review.TransitionRefused as exc:
        return _article_page(request, rt, user, token, article_id, version,
                             error=f"Refused: {exc}", status_code=403)
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc), "action") from None
    shown = res.new_version or res.version
    return RedirectResponse(f"/review/articles/{article_id}?version={shown}", status_code=303)


@router.post("/review/articles/{article_id:int}/claims/{claim_id}", response_model=None)
def claim_form(request: Request, article_id: IdPath, claim_id: str, rt: RuntimeDep,
               action: Annotated[str, Form(max_length=20)],
               version: Annotated[int, Form(ge=1, le=INT64_MAX)],
               csrf: Annotated[str, Form(max_length=200)] = "",
               comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
    found = _session(request, rt)
    if found is None:
        return _to_login(request)
    user, token = found
    _check_csrf(request, token, csrf)
    try:
        res = review.review_claim(rt, article_id=article_id, claim_id=claim_id[:100],
                                  action=action, actor=accounts.actor_of(user), version=version,
                                  comment=comment or None)
    except review.TransitionRefused as exc:
        return _article_page(request, rt, user, token, article_id, version,
                             error=f"Refused: {exc}", status_code=403)
    except ValueError as exc:
        return _article_page(request, rt, user, token, article_id, version,
                             error=str(exc), status_code=422)
    shown = res.new_version if res and res.new_version else version
    return RedirectResponse(f"/review/articles/{article_id}?version={shown}#claim-{claim_id}",
                            status_code=303)


# -- diff ------------------------------------------------------------------------------------
@router.get("/review/articles/{article_id:int}/diff.json")
def diff_json(request: Request, article_id: IdPath, rt: RuntimeDep,
              old: RequiredVersionQuery, new: RequiredVersionQuery) -> JSONResponse:
    if _session(request, rt) is None:
        raise ApiError(401, "unauthorized", "sign in at /review/login")
    d = review.article_diff(rt, article_id=article_id, old=old, new=new)
    return JSONResponse(jsonable_encoder(d))


@router.get("/review/articles/{article_id:int}/diff", response_class=HTMLResponse,
            response_model=None)
def diff_page(request: Request, article_id: IdPath, rt: RuntimeDep,
              old: RequiredVersionQuery, new: RequiredVersionQuery) -> Response:
    found = _session(request, rt)
    if found is None:
        return _to_login(request)
    ctx = _base(request, *found, f"Changes in article {article_id}")
    ctx.update(diff=review.article_diff(rt, article_id=article_id, old=old, new=new),
               article_id=article_id)
    return render(request, "review_diff.html", ctx)
