"""The one error type the sandbox raises, rendered as the JSON error body of docs/sandbox.md."""

from typing import Any


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def bad_request(message: str, **details: Any) -> ApiError:
    return ApiError(400, "invalid_request", message, details)


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)


def validation_error(fields: dict[str, str], message: str | None = None) -> ApiError:
    names = ", ".join(sorted(fields))
    return ApiError(422, "validation_error", message or f"Invalid properties: {names}.", {"fields": fields})
