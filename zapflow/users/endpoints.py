"""Accounts: admins manage users; everyone manages their own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, status

from zapflow.auth.dependencies import AdminPrincipal, CurrentPrincipal
from zapflow.auth.schemas import UserOut
from zapflow.users import repository, service
from zapflow.users.schemas import PasswordChangeIn, ProfileUpdateIn, UserCreateIn, UserUpdateIn
from zapflow.web.deps import DbSession

router = APIRouter(tags=["users"])


@router.patch("/auth/me", response_model=UserOut)
async def update_me(body: ProfileUpdateIn, principal: CurrentPrincipal, db: DbSession) -> UserOut:
    return UserOut.model_validate(await service.update_profile(db, principal, body))


@router.post("/auth/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(
    body: PasswordChangeIn, principal: CurrentPrincipal, db: DbSession
) -> None:
    await service.change_password(db, principal, body)


@router.get("/users", response_model=list[UserOut])
async def list_users(admin: AdminPrincipal, db: DbSession) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await repository.list_users(db)]


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreateIn, admin: AdminPrincipal, db: DbSession) -> UserOut:
    return UserOut.model_validate(await service.create_user(db, body, context=admin.audit))


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int, admin: AdminPrincipal, db: DbSession) -> UserOut:
    return UserOut.model_validate(await service.get_user(db, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int, body: UserUpdateIn, admin: AdminPrincipal, db: DbSession
) -> UserOut:
    return UserOut.model_validate(await service.update_user(db, admin, user_id, body))
