"""Every error leaves the API as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ccserver.crm.errors import Conflict, InvalidInput, NotFound, VersionMismatch

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ProblemResponse(Response):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        # ASCII escapes: a lone surrogate echoed back from bad input must not break the encoder.
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "instance": request.url.path,
    }
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def _loc(parts: Sequence[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in parts]


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return problem(request, 422, "The request has invalid fields.", errors=errors)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    errors = [{"loc": ["body", *_loc(e.loc)], "msg": e.msg, "type": "value_error"} for e in exc.errors]
    return problem(request, 422, "The request has invalid fields.", errors=errors)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(request, exc.status_code, detail, headers=exc.headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem(request, 404, str(exc))


async def _version_mismatch(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VersionMismatch)
    return problem(request, 412, str(exc), current_version=exc.current)


async def _conflict(request: Request, exc: Exception) -> Response:
    return problem(request, 409, str(exc))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(VersionMismatch, _version_mismatch)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(Exception, _unexpected)
