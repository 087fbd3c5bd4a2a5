"""The HTTP application: wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow import __version__
from zapflow.audit.endpoints import router as audit_router
from zapflow.auth.endpoints import router as auth_router
from zapflow.campaigns.endpoints import router as campaigns_router
from zapflow.config import Settings
from zapflow.contacts.endpoints import router as contacts_router
from zapflow.db.engine import create_sessionmaker
from zapflow.health.endpoints import router as health_router
from zapflow.media.endpoints import router as media_router
from zapflow.messages.endpoints import router as messages_router
from zapflow.reports.endpoints import router as reports_router
from zapflow.safety.endpoints import router as safety_router
from zapflow.sessions.endpoints import router as sessions_router
from zapflow.sessions.simulator_endpoints import router as simulator_router
from zapflow.users.endpoints import router as users_router
from zapflow.web.context import RequestContextMiddleware
from zapflow.web.error_handlers import install_error_handlers
from zapflow.web.ratelimit import limit_by_ip

STATIC_DIR = Path(__file__).parent / "web" / "static"


def mount_dashboard(app: FastAPI, built: Path) -> None:
    """The dashboard's built files at `/`. Any other GET outside the API that finds no route
    gets its index.html (the app routes in the browser; see the 404 handler). Files are listed
    once here, so a request can only ever reach a file of the build."""
    if (built / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=built / "assets"), name="assets")
    files = {
        path.relative_to(built).as_posix(): path
        for path in (built.iterdir() if built.is_dir() else [])
        if path.is_file()
    }
    index = files.get("index.html")

    def page(path: str) -> Response:
        found = files.get(path.lstrip("/"))
        if found is not None and found is not index:
            return FileResponse(found)
        if index is not None:
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return FileResponse(STATIC_DIR / "no-dashboard.html", status_code=503)

    app.state.dashboard_page = page


def create_app(settings: Settings, engine: AsyncEngine) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="Zapflow",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)

    v1 = APIRouter(prefix="/api/v1", dependencies=[Depends(limit_by_ip)])
    routers = (
        auth_router,
        users_router,
        audit_router,
        contacts_router,
        sessions_router,
        media_router,
        messages_router,
        campaigns_router,
        safety_router,
        reports_router,
    )
    for router in routers:
        v1.include_router(router)
    if settings.simulator_on:
        v1.include_router(simulator_router)
    app.include_router(v1)
    app.include_router(health_router)

    mount_dashboard(app, settings.dashboard_dir)

    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    return app
