"""Dependencies shared by the API and web routes: the runtime, input-error mapping, reader modes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from curbside import services
from curbside.article import Article
from curbside.edge.errors import ApiError, invalid_input_error
from curbside.services import Runtime, open_runtime

T = TypeVar("T")
_open_lock = threading.Lock()

AUDIENCES = ("clinician", "patient", "student")


def get_runtime(request: Request) -> Runtime:
    """The app's runtime (opened by the lifespan, or here on first use without one)."""
    state = request.app.state
    rt: Runtime | None = state.runtime
    if rt is None:
        with _open_lock:
            if state.runtime is None:
                state.runtime = open_runtime(state.settings)
            rt = state.runtime
    assert rt is not None
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _input_errors() -> tuple[type[Exception], ...]:
    invalid: Any = getattr(services, "InvalidInput", None)
    if isinstance(invalid, type) and issubclass(invalid, Exception):
        return (invalid, ValueError)
    return (ValueError,)


@contextmanager
def input_errors() -> Iterator[None]:
    """Turn a service's InvalidInput/ValueError into a 422 with the field it names."""
    try:
        yield
    except _input_errors() as exc:
        raise invalid_input_error(exc) from None


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with input_errors():
        return fn(*args, **kwargs)


def check_audience(value: str | None, default: str) -> str:
    if value is None or value == "":
        return default
    if value not in AUDIENCES:
        raise ApiError(422, "invalid_input",
                       "unknown reader mode; choose one of: clinician, patient, student",
                       "audience")
    return value


def article_for(rt: Runtime, article: Article, audience: str | None) -> Article:
    """The article in the requested reader mode (default: the one it was written for)."""
    from curbside.services import reads

    mode = check_audience(audience, article.audience)
    return reads.render_article(article, audience=mode)
