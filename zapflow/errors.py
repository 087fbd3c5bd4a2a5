"""One error type with its HTTP status, a few subclasses, and one response shape:
`{"error": "<code>", "detail": "<sentence for a person>"}`."""

from __future__ import annotations

from typing import Any, ClassVar

from zapflow.kit.i18n import translate


class ZapflowError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message_key: str, /, **params: Any) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params
        self.headers: dict[str, str] = {}

    def detail(self, locale: str) -> str:
        return translate(self.message_key, locale, **self.params)


class Invalid(ZapflowError):
    status_code = 422
    code = "invalid"


class Unauthorized(ZapflowError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ZapflowError):
    status_code = 403
    code = "forbidden"


class NotFound(ZapflowError):
    """404 for a resource named by its catalogue key (`resource.api_key`)."""

    status_code = 404
    code = "not_found"

    def __init__(self, resource: str) -> None:
        super().__init__("not_found", resource=resource)

    def detail(self, locale: str) -> str:
        return translate(
            "not_found", locale, resource=translate(f"resource.{self.params['resource']}", locale)
        )


class Conflict(ZapflowError):
    status_code = 409
    code = "conflict"


class TooLarge(ZapflowError):
    status_code = 413
    code = "too_large"


class TooManyRequests(ZapflowError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message_key: str, /, *, retry_after: int, **params: Any) -> None:
        super().__init__(message_key, retry_after=retry_after, **params)
        self.headers["Retry-After"] = str(retry_after)
