"""Who is asking: the request's reader key and signed-in account, for `services.access`.

A reader key travels as the ``X-Curbside-Key`` header or the ``key`` query parameter (the web
pages put it in their links). An account is an API token (``Authorization: Bearer``) or a
reviewer session cookie. Routes pass the resulting `Viewer` to the services, which decide.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from curbside import services
from curbside.edge.deps import RuntimeDep
from curbside.services import accounts
from curbside.services.access import KEY_HEADER, MAX_KEY_CHARS, Viewer

KEY_HELP = ("Reader key of a private (not yet approved) article, returned when it was asked. "
            f"Also accepted as the {KEY_HEADER} header.")


def get_viewer(
    request: Request,
    rt: RuntimeDep,
    key: Annotated[str | None, Query(max_length=MAX_KEY_CHARS, description=KEY_HELP)] = None,
    header_key: Annotated[str | None, Header(alias=KEY_HEADER, max_length=MAX_KEY_CHARS,
                                             description="Reader key (see `key`).")] = None,
) -> Viewer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    return services.viewer_for(rt, key=header_key or key, bearer=bearer,
                               session=request.cookies.get(accounts.SESSION_COOKIE))


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
