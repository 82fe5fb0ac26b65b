"""The web application: `create_app` puts the REST API (`curbside.api`) and the web pages
(`curbside.web`) together with the middleware and the error mapping.

``uvicorn --factory curbside.app:create_app`` serves it (``curbside serve`` does that).
"""

from curbside.app.factory import create_app

__all__ = ["create_app"]
