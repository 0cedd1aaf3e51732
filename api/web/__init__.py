"""The web pages: the public portal, the supervisor's console, the analyst's dashboard and the
offline API docs, server-rendered (Jinja2) by the same FastAPI application, in Chinese.

Pages read the same read models (``projections.queries``) and audit queries
(``jiebang_es.audit.queries``) as the JSON routes and apply the same object-level
authorisation (``api.visibility``); they are not part of the OpenAPI contract.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import console, dashboard, docs, draws, portal, signin
from api.web.render import install_page_errors
from jiebang_es.errors import InvalidValueError

STATIC = Path(__file__).parent / "static"
MIN_SECRET = 32


def install(app: FastAPI) -> None:
    """Mount the static assets and the pages' routers on the API's application.

    A session secret too short to sign with is refused here, naming the setting, so that
    ``jiebang serve`` does not start with it (as a short JWT secret is refused)."""
    secret = app.state.settings.session_secret
    if secret is not None and len(secret.get_secret_value()) < MIN_SECRET:
        raise InvalidValueError("JIEBANG_SESSION_SECRET", f"use at least {MIN_SECRET} characters")
    docs.install(app)  # its /static/api-docs mount before /static, which would shadow it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (portal, draws, signin, console, dashboard):
        app.include_router(module.router)
    # The pages are left out of the OpenAPI document, where a 405's Allow header looks first.
    app.state.page_routes = [
        route
        for module in (portal, draws, signin, console, dashboard)
        for route in module.router.routes
    ]
    for route in app.state.page_routes:
        # HEAD wherever GET is (as Starlette's own routes do; FastAPI's do not): link checkers,
        # crawlers and caches ask for a page's headers alone. The server sends no body.
        methods = getattr(route, "methods", None)
        if methods is not None and "GET" in methods:
            methods.add("HEAD")
    install_page_errors(app)
