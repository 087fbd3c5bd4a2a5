"""Media given by URL: fetched once, with the same size limit and type sniffing as an upload.

A URL may point anywhere, including services inside the network Zapflow runs in, so hosts
that resolve to private, loopback or link-local addresses are refused (unless
ZAPFLOW_MEDIA_URL_ALLOW_PRIVATE), redirects are followed by hand and each hop is checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from zapflow.config import Settings
from zapflow.errors import Invalid, TooLarge

MAX_REDIRECTS = 3


async def fetch(url: str, settings: Settings) -> tuple[bytes, str | None]:
    """The bytes at `url` and a file name from its path; `Invalid` with the reason if not."""
    limit = settings.max_media_mb * 1024 * 1024
    async with httpx.AsyncClient(timeout=settings.media_url_timeout_seconds) as client:
        for _ in range(MAX_REDIRECTS + 1):
            await _check_target(url, settings)
            try:
                async with client.stream("GET", url, follow_redirects=False) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise Invalid("media.url_failed", status=response.status_code)
                    return await _read_limited(response, limit, settings), _filename(url)
            except httpx.HTTPError as exc:
                raise Invalid("media.url_unreachable", problem=type(exc).__name__) from exc
    raise Invalid("media.url_failed", status="redirects")


async def _read_limited(response: httpx.Response, limit: int, settings: Settings) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("media.too_large", limit_mb=settings.max_media_mb)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise TooLarge("media.too_large", limit_mb=settings.max_media_mb)
    return bytes(body)


async def _check_target(url: str, settings: Settings) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("media.bad_url")
    if settings.media_url_allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except OSError as exc:
        raise Invalid("media.url_unreachable", problem="DNS") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Invalid("media.url_private")


def _filename(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name or None
