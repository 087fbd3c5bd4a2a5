from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user
from tests.tenancy.matrix import RESOURCES, OwnedResource
from zapflow.models import Role


def _fill(body: dict | None, resource_id: int) -> dict | None:
    """Bodies may name the resource too (`{"list_id": "{id}"}`)."""
    if body is None:
        return None
    return {
        k: resource_id if v == "{id}" else [resource_id] if v == ["{id}"] else v
        for k, v in body.items()
    }


def _ids(listing: list | dict) -> list[int]:
    items = listing["items"] if isinstance(listing, dict) else listing
    return [item["id"] for item in items]


CASES = [
    pytest.param(resource, endpoint, id=f"{resource.name}:{endpoint[0]} {endpoint[1]}")
    for resource in RESOURCES
    for endpoint in resource.endpoints
]


@pytest.mark.parametrize(("resource", "endpoint"), CASES)
async def test_other_user_gets_404(
    client: httpx.AsyncClient,
    db: AsyncSession,
    resource: OwnedResource,
    endpoint: tuple[str, str, dict | None],
) -> None:
    owner, intruder = await create_user(db), await create_user(db)
    resource_id = await resource.create(db, owner)
    _key, intruder_key = await create_api_key(db, intruder)
    _key, owner_key = await create_api_key(db, owner)
    method, template, body_template = endpoint
    path = template.format(id=resource_id)
    body = _fill(body_template, resource_id)

    response = await client.request(method, path, json=body, headers=bearer(intruder_key))
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    # Same answer as for an id that does not exist at all: nothing to learn from it.
    missing_id = 2**62
    missing = await client.request(
        method,
        template.format(id=missing_id),
        json=_fill(body_template, missing_id),
        headers=bearer(intruder_key),
    )
    assert missing.status_code == 404 and missing.json() == response.json()
    # The owner still reaches it, so the 404 was about ownership, not a broken endpoint.
    owner_response = await client.request(method, path, json=body, headers=bearer(owner_key))
    assert owner_response.status_code < 300, owner_response.text


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.listings], ids=lambda r: r.name)
async def test_other_user_never_sees_it_listed(
    client: httpx.AsyncClient, db: AsyncSession, resource: OwnedResource
) -> None:
    owner, intruder = await create_user(db), await create_user(db)
    resource_id = await resource.create(db, owner)
    _key, intruder_key = await create_api_key(db, intruder)
    _key, owner_key = await create_api_key(db, owner)
    for listing in resource.listings:
        seen = await client.get(listing, headers=bearer(intruder_key))
        assert seen.status_code == 200
        assert resource_id not in _ids(seen.json())
        owner_seen = await client.get(listing, headers=bearer(owner_key))
        assert resource_id in _ids(owner_seen.json())


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
async def test_admin_sees_every_owners_resource(
    client: httpx.AsyncClient, db: AsyncSession, resource: OwnedResource
) -> None:
    owner, admin = await create_user(db), await create_user(db, role=Role.admin)
    resource_id = await resource.create(db, owner)
    _key, admin_key = await create_api_key(db, admin)
    method, template, _body = next(e for e in resource.endpoints if e[0] == "GET")
    body = None
    response = await client.request(
        method, template.format(id=resource_id), json=body, headers=bearer(admin_key)
    )
    assert response.status_code == 200
