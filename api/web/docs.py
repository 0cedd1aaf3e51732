"""The interactive API docs (`/docs`, Swagger UI; `/redoc`, ReDoc) with every asset served by
this application: a bureau's intranet server has no internet access, and FastAPI's defaults
load both from a CDN. The assets ship inside a registry package (fastapi-offline's ``static``
folder), installed with the application; nothing is fetched at run time."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = Path(str(files("fastapi_offline") / "static"))
PREFIX = "/static/api-docs"


def install(app: FastAPI) -> None:
    """Serve the assets and the two docs pages (the app is made with docs_url=None)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="api-docs")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:  # noqa: ARG001
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:  # noqa: ARG001
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/favicon.png",
            with_google_fonts=False,
        )
