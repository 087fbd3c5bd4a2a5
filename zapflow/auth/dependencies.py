"""Authentication for every endpoint: a browser cookie (with CSRF on writes) or an API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from zapflow.auth import secrets, service
from zapflow.auth.principal import Principal
from zapflow.errors import Forbidden, Unauthorized
from zapflow.web.deps import DbSession, client_ip, request_id
from zapflow.web.ratelimit import limit_by_credential

SESSION_COOKIE = "zapflow_session"
CSRF_COOKIE = "zapflow_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


async def current_principal(request: Request, db: DbSession) -> Principal:
    """The authenticated caller. API keys win over cookies when both are sent."""
    ip, rid = client_ip(request), request_id(request)
    token = _bearer_token(request)
    if token is not None:
        found = await service.user_for_api_key(db, token)
        if found is None:
            raise Unauthorized("auth.invalid_api_key")
        user, key = found
        await limit_by_credential(request, f"key:{key.id}")
        return Principal(user=user, via="api_key", api_key_id=key.id, ip=ip, request_id=rid)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("auth.required")
    found_session = await service.user_for_session_token(db, cookie)
    if found_session is None:
        raise Unauthorized("auth.session_expired")
    user, auth_session = found_session
    if request.method not in SAFE_METHODS:
        _check_csrf(request, auth_session.csrf_token_hash)
    await limit_by_credential(request, f"user:{user.id}")
    return Principal(
        user=user, via="cookie", auth_session_id=auth_session.id, ip=ip, request_id=rid
    )


def _check_csrf(request: Request, expected_hash: str) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not secrets.same_secret(secrets.sha256_hex(sent), expected_hash):
        raise Forbidden("auth.csrf")


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("auth.admin_only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AdminPrincipal = Annotated[Principal, Depends(admin_principal)]
