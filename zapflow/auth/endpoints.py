"""Log-in, log-out, the current user, and API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from zapflow.audit.service import AuditContext
from zapflow.auth import service
from zapflow.auth.dependencies import CSRF_COOKIE, SESSION_COOKIE, CurrentPrincipal
from zapflow.auth.schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut, LoginIn, LoginOut, UserOut
from zapflow.kit.i18n import translate
from zapflow.web.deps import AppSettings, DbSession, client_ip, request_id, request_locale
from zapflow.web.error_handlers import error_response

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/login",
    response_model=LoginOut,
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Locked"}},
)
async def login(
    body: LoginIn, request: Request, response: Response, db: DbSession, settings: AppSettings
) -> LoginOut | JSONResponse:
    """Start a browser session: sets an httpOnly session cookie and returns the CSRF token."""
    context = AuditContext(None, None, client_ip(request), request_id(request))
    outcome = await service.login(
        db,
        settings,
        email=body.email,
        password=body.password,
        context=context,
        user_agent=request.headers.get("user-agent"),
    )
    locale = request_locale(request)
    # A rejection is a normal outcome, not an exception: returning it lets the request commit
    # the failure count and the audit entry.
    if isinstance(outcome, service.LoginRejected):
        if outcome.retry_after is not None:
            detail = translate("auth.locked", locale, retry_after=outcome.retry_after)
            return error_response(429, "locked", detail, {"Retry-After": str(outcome.retry_after)})
        return error_response(
            401, "invalid_credentials", translate("auth.invalid_credentials", locale)
        )
    max_age = settings.session_ttl_hours * 3600
    secure = settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        outcome.session_token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        outcome.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="strict",
        path="/",
    )
    return LoginOut(
        user=UserOut.model_validate(outcome.user),
        csrf_token=outcome.csrf_token,
        expires_at=outcome.expires_at,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, db: DbSession, response: Response) -> None:
    await service.logout(db, principal)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/auth/me", response_model=UserOut)
async def me(principal: CurrentPrincipal) -> UserOut:
    return UserOut.model_validate(principal.user)


@router.get("/api-keys", response_model=list[ApiKeyOut], tags=["api-keys"])
async def list_api_keys(principal: CurrentPrincipal, db: DbSession) -> list[ApiKeyOut]:
    keys = await service.list_api_keys(db, principal)
    return [ApiKeyOut.model_validate(k) for k in keys]


@router.post("/api-keys", response_model=ApiKeyCreatedOut, status_code=201, tags=["api-keys"])
async def create_api_key(
    body: ApiKeyIn, principal: CurrentPrincipal, db: DbSession
) -> ApiKeyCreatedOut:
    """Create a key for programs. The response holds the key itself, once; only a hash is kept."""
    key, plaintext = await service.create_api_key(
        db, principal, name=body.name, expires_in_days=body.expires_in_days
    )
    return ApiKeyCreatedOut(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@router.get("/api-keys/{key_id}", response_model=ApiKeyOut, tags=["api-keys"])
async def get_api_key(key_id: int, principal: CurrentPrincipal, db: DbSession) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await service.get_api_key(db, principal, key_id))


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, tags=["api-keys"])
async def revoke_api_key(key_id: int, principal: CurrentPrincipal, db: DbSession) -> ApiKeyOut:
    """Revoke a key at once; requests made with it answer 401 from now on."""
    return ApiKeyOut.model_validate(await service.revoke_api_key(db, principal, key_id))
