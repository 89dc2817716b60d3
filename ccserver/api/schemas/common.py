"""Envelopes shared by every resource: pages and RFC 9457 problem details."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=[
            "WyIyMDI0LTA2LTAxVDEyOjAwOjAwKzAwOjAwIiwiNmY5NjE5ZmYtOGI4Ni1kMDExLWI0MmQtMDBjMDRmYzk2NGZmIl0"
        ],
    )


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "phones", 0, "number"]])
    msg: str = Field(examples=["not a phone number: 'abc'"])
    type: str = Field(examples=["value_error"])


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json`."""

    type: str = "about:blank"
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["The request has invalid fields."])
    instance: str | None = Field(default=None, examples=["/api/v1/customers"])
    errors: list[FieldProblem] | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries saying these status codes come back as problem details."""
    return {code: {"model": Problem, "content": {"application/problem+json": {}}} for code in codes}
