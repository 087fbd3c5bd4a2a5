"""401 without credentials on every API route; 403 for operators on admin routes."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.api import create_app
from zapflow.config import Settings
from zapflow.db.engine import create_engine
from zapflow.models import Role

PUBLIC = {("POST", "/api/v1/auth/login")}


def api_routes(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) of the API, read from the OpenAPI schema, ids filled with 1."""
    app = create_app(settings, create_engine("postgresql://unused/none"))
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if path.startswith("/api/v1") and (method.upper(), path) not in PUBLIC:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return routes


async def test_every_api_route_requires_credentials(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    routes = api_routes(settings)
    assert len(routes) >= 10  # the walk found the routes
    for method, path in routes:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/users/1"),
        ("PATCH", "/api/v1/users/1"),
    ],
)
async def test_operators_are_forbidden_admin_routes(
    client: httpx.AsyncClient, db: AsyncSession, method: str, path: str
) -> None:
    operator = await create_user(db, role=Role.operator)
    _key, plaintext = await create_api_key(db, operator)
    response = await client.request(method, path, json={}, headers=bearer(plaintext))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_admins_may_use_admin_routes(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await create_user(db, role=Role.admin)
    _key, plaintext = await create_api_key(db, admin)
    response = await client.get("/api/v1/users", headers=bearer(plaintext))
    assert response.status_code == 200
    assert admin.email in [u["email"] for u in response.json()]
