"""The rules of logging in: lockout, browser sessions, API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.audit.service import AuditContext
from zapflow.auth import secrets
from zapflow.auth.principal import Principal, get_owned, owned_by
from zapflow.config import Settings
from zapflow.models import ApiKey, AuthSession, LoginAttempt, User

# last_used_at is written at most this often per key, so a busy key does not write per request.
API_KEY_TOUCH_INTERVAL = timedelta(seconds=60)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LoginSuccess:
    user: User
    session_token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class LoginRejected:
    retry_after: int | None  # set when locked out


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(func.lower(User.email) == email.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    context: AuditContext,
    user_agent: str | None,
) -> LoginSuccess | LoginRejected:
    """Check the lockout first (a locked account stays locked even for the right password),
    then the password. Failures are counted per e-mail and per IP."""
    keys = _attempt_keys(email, context.ip)
    retry_after = await _seconds_locked(session, keys)
    if retry_after is not None:
        await audit.record(session, context, "auth.login_locked", email=email.lower())
        return LoginRejected(retry_after=retry_after)
    user = await find_user_by_email(session, email)
    password_ok = secrets.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        await _count_failure(session, settings, keys)
        await audit.record(
            session,
            AuditContext(user.id if user else None, None, context.ip, context.request_id),
            "auth.login_failed",
            email=email.lower(),
            reason="inactive" if user and password_ok else "bad_credentials",
        )
        return LoginRejected(retry_after=None)
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    if secrets.password_needs_rehash(user.password_hash):
        user.password_hash = secrets.hash_password(password)
    user.last_login_at = utcnow()
    success = await _open_browser_session(session, settings, user, context, user_agent)
    await audit.record(
        session, AuditContext(user.id, None, context.ip, context.request_id), "auth.login"
    )
    return success


def _attempt_keys(email: str, ip: str | None) -> list[str]:
    return [f"email:{email.strip().lower()}", f"ip:{ip or 'unknown'}"]


async def _seconds_locked(session: AsyncSession, keys: list[str]) -> int | None:
    stmt = select(func.max(LoginAttempt.locked_until)).where(
        LoginAttempt.key.in_(keys), LoginAttempt.locked_until > func.now()
    )
    locked_until = (await session.execute(stmt)).scalar_one_or_none()
    if locked_until is None:
        return None
    return max(1, int((locked_until - utcnow()).total_seconds()) + 1)


_COUNT_FAILURE = text(
    """
    INSERT INTO login_attempts (key, failures, window_started_at, locked_until)
    VALUES (:key, 1, now(), CASE WHEN 1 >= :max_failures THEN now() + :lockout END)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN login_attempts.window_started_at < now() - :lockout
                      THEN 1 ELSE login_attempts.failures + 1 END,
      window_started_at = CASE WHEN login_attempts.window_started_at < now() - :lockout
                               THEN now() ELSE login_attempts.window_started_at END,
      locked_until = CASE
        WHEN login_attempts.window_started_at >= now() - :lockout
             AND login_attempts.failures + 1 >= :max_failures
        THEN now() + :lockout ELSE login_attempts.locked_until END
    """
)


async def _count_failure(session: AsyncSession, settings: Settings, keys: list[str]) -> None:
    """One atomic upsert per key, so concurrent API processes count every failure."""
    lockout = timedelta(seconds=settings.login_lockout_seconds)
    limits = (settings.login_max_failures, settings.login_ip_max_failures)
    for key, max_failures in zip(keys, limits, strict=True):
        await session.execute(
            _COUNT_FAILURE, {"key": key, "max_failures": max_failures, "lockout": lockout}
        )


async def _open_browser_session(
    session: AsyncSession,
    settings: Settings,
    user: User,
    context: AuditContext,
    user_agent: str | None,
) -> LoginSuccess:
    token, csrf = secrets.new_session_token(), secrets.new_csrf_token()
    expires_at = utcnow() + timedelta(hours=settings.session_ttl_hours)
    session.add(
        AuthSession(
            user_id=user.id,
            token_hash=secrets.sha256_hex(token),
            csrf_token_hash=secrets.sha256_hex(csrf),
            ip=context.ip,
            user_agent=(user_agent or "")[:400] or None,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return LoginSuccess(user=user, session_token=token, csrf_token=csrf, expires_at=expires_at)


async def logout(session: AsyncSession, principal: Principal) -> None:
    if principal.auth_session_id is not None:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == principal.auth_session_id)
            .values(revoked_at=func.now())
        )
    await audit.record(session, principal.audit, "auth.logout")


async def revoke_user_sessions(
    session: AsyncSession, user_id: int, *, keep_session_id: int | None = None
) -> None:
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        stmt = stmt.where(AuthSession.id != keep_session_id)
    await session.execute(stmt.values(revoked_at=func.now()))


async def user_for_session_token(
    session: AsyncSession, token: str
) -> tuple[User, AuthSession] | None:
    stmt = (
        select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == secrets.sha256_hex(token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > func.now(),
            User.is_active.is_(True),
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def user_for_api_key(session: AsyncSession, plaintext: str) -> tuple[User, ApiKey] | None:
    stmt = (
        select(User, ApiKey)
        .join(ApiKey, ApiKey.user_id == User.id)
        .where(
            ApiKey.key_hash == secrets.sha256_hex(plaintext),
            ApiKey.revoked_at.is_(None),
            (ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > func.now()),
            User.is_active.is_(True),
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    user, key = row[0], row[1]
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > API_KEY_TOUCH_INTERVAL:
        key.last_used_at = now
    return user, key


# --- API keys -------------------------------------------------------------------------------


async def create_api_key(
    session: AsyncSession, principal: Principal, *, name: str, expires_in_days: int | None
) -> tuple[ApiKey, str]:
    new = secrets.new_api_key()
    key = ApiKey(
        user_id=principal.user_id,
        name=name,
        prefix=new.prefix,
        key_hash=new.key_hash,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session, principal.audit, "api_key.created", target_type="api_key", target_id=key.id
    )
    return key, new.plaintext


async def list_api_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    stmt = select(ApiKey).where(owned_by(principal, ApiKey)).order_by(ApiKey.created_at.desc())
    return list((await session.execute(stmt)).scalars())


async def get_api_key(session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    return await get_owned(session, principal, ApiKey, key_id, "api_key")


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    key = await get_api_key(session, principal, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await audit.record(
            session, principal.audit, "api_key.revoked", target_type="api_key", target_id=key.id
        )
    return key
