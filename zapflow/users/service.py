"""Accounts: creation (by an admin, the CLI or first start), edits, password changes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.audit.service import AuditContext
from zapflow.auth import secrets
from zapflow.auth.principal import Principal
from zapflow.auth.service import revoke_user_sessions
from zapflow.db.unique import flush_unique
from zapflow.errors import Conflict, Invalid, NotFound
from zapflow.models import Role, User
from zapflow.users import repository
from zapflow.users.schemas import PasswordChangeIn, ProfileUpdateIn, UserCreateIn, UserUpdateIn

SYSTEM = AuditContext(actor_user_id=None)


async def create_user(
    session: AsyncSession, data: UserCreateIn, *, context: AuditContext = SYSTEM
) -> User:
    """Create an account. A duplicate e-mail (in any letter case) is a 409, even under a race."""
    if await repository.email_exists(session, data.email):
        raise Conflict("users.email_taken", email=data.email)
    user = User(
        email=data.email.strip(),
        name=data.name,
        password_hash=secrets.hash_password(data.password),
        role=data.role,
        locale=data.locale,
        timezone=data.timezone,
    )
    await flush_unique(session, Conflict("users.email_taken", email=data.email), user)
    await audit.record(
        session,
        context,
        "user.created",
        target_type="user",
        target_id=user.id,
        role=user.role.value,
    )
    return user


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("user")
    return user


async def update_user(
    session: AsyncSession, admin: Principal, user_id: int, data: UserUpdateIn
) -> User:
    user = await get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    if user.id == admin.user_id and (
        changes.get("role", Role.admin) is not Role.admin or changes.get("is_active") is False
    ):
        raise Invalid("users.cannot_demote_self")
    for field, value in changes.items():
        setattr(user, field, value)
    if data.password is not None:
        user.password_hash = secrets.hash_password(data.password)
        changes["password"] = "changed"  # noqa: S105 (an audit marker)
    if data.password is not None or changes.get("is_active") is False:
        await revoke_user_sessions(session, user.id)
    await audit.record(
        session,
        admin.audit,
        "user.updated",
        target_type="user",
        target_id=user.id,
        fields=sorted(changes),
    )
    await session.flush()
    return user


async def update_profile(
    session: AsyncSession, principal: Principal, data: ProfileUpdateIn
) -> User:
    user = principal.user
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, field, value)
    await session.flush()
    return user


async def change_password(
    session: AsyncSession, principal: Principal, data: PasswordChangeIn
) -> None:
    """Change one's own password; every other browser session of the user ends."""
    user = principal.user
    if not secrets.verify_password(user.password_hash, data.current_password):
        raise Invalid("auth.wrong_current_password")
    user.password_hash = secrets.hash_password(data.new_password)
    await revoke_user_sessions(session, user.id, keep_session_id=principal.auth_session_id)
    await audit.record(
        session, principal.audit, "user.password_changed", target_type="user", target_id=user.id
    )


async def ensure_admin(
    session: AsyncSession, *, email: str, password: str, name: str = "Admin"
) -> User | None:
    """Create the first admin from the environment, unless that e-mail already exists."""
    if await repository.email_exists(session, email):
        return None
    data = UserCreateIn(email=email, name=name, password=password, role=Role.admin)
    return await create_user(session, data)
