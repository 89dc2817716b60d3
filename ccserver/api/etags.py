"""Optimistic concurrency over HTTP: a customer's `version` is its ETag; `If-Match` names the one edited."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header
from fastapi.exceptions import RequestValidationError

from ccserver.api.schemas.types import MAX_INT

_TAG = re.compile(r'^(?:W/)?"?([0-9]{1,10})"?$')


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(
    if_match: Annotated[
        str | None, Header(description='The ETag (version) being edited, e.g. `"3"`; 412 if stale.')
    ] = None,
) -> int | None:
    """The version named by `If-Match`, or None when absent or `*`."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _TAG.match(if_match.strip())
    if match is None or not 1 <= int(match.group(1)) <= MAX_INT:
        raise _invalid('must be an ETag from this API, like "3"')
    return int(match.group(1))


def expected_version(header: int | None, body: int | None) -> int | None:
    if header is not None and body is not None and header != body:
        raise _invalid(f"says version {header} but the body says {body}")
    return header if header is not None else body


def _invalid(msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("header", "if-match"), "msg": msg, "type": "value_error"}])
