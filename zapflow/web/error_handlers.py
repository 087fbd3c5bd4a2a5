"""Every error leaves as `{"error": "<code>", "detail": "<sentence>"}` in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zapflow.errors import ZapflowError
from zapflow.kit.i18n import (
    describe_validation_error,
    describe_validation_problem,
    error_location,
    translate,
)
from zapflow.logging import get_logger
from zapflow.web.deps import request_id, request_locale

log = get_logger(__name__)


def error_response(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status, headers=headers)


async def _zapflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZapflowError)
    return error_response(
        exc.status_code, exc.code, exc.detail(request_locale(request)), exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = request_locale(request)
    errors = list(exc.errors())
    json_errors = [e for e in errors if e.get("type") == "json_invalid"]
    if json_errors:
        message = str((json_errors[0].get("ctx") or {}).get("error", "JSON"))
        detail = translate("validation.invalid_json", locale, message=message)
        return error_response(400, "invalid_json", detail)
    problems = [describe_validation_error(dict(e), locale) for e in errors]
    fields = [
        {"field": error_location(dict(e)), "problem": describe_validation_problem(dict(e), locale)}
        for e in errors
    ]
    detail = translate("validation.failed", locale, problems="; ".join(problems))
    return error_response(422, "validation_error", detail, fields=fields)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = getattr(request.app.state, "dashboard_page", None)
    browsing = request.method == "GET" and not request.url.path.startswith(
        ("/api/", "/healthz", "/readyz")
    )
    if exc.status_code == 404 and browsing and page is not None:
        return page(request.url.path)  # type: ignore[no-any-return]  # the app's own routes
    locale = request_locale(request)
    keys = {
        404: ("not_found", "http.not_found"),
        405: ("method_not_allowed", "http.method_not_allowed"),
    }
    code, key = keys.get(exc.status_code, ("http_error", "http.error"))
    return error_response(exc.status_code, code, translate(key, locale), exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not exc.connection_invalidated and not isinstance(exc, OperationalError):
        return await _unexpected(request, exc)
    log.warning("database_unavailable", error=type(exc.orig).__name__)
    detail = translate("db.unavailable", request_locale(request))
    return error_response(503, "database_unavailable", detail, {"Retry-After": "5"})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", path=request.url.path)
    rid = request_id(request) or "-"
    return error_response(
        500, "internal_error", translate("server.error", request_locale(request), request_id=rid)
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ZapflowError, _zapflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
