"""Request and response bodies for /api/v1/queues. The fields themselves are `QueueConfig`'s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from ccserver.api.schemas.types import MAX_INT
from ccserver.crm.acd_model import Name, QueueConfig
from ccserver.crm.queues import Queue

_EXAMPLE: dict[str, Any] = {
    "name": "billing",
    "description": "Invoices and payments",
    "priority": 5,
    "required_skills": {"billing": 5},
    "sl_target_pct": 80,
    "sl_threshold_s": 20,
    "max_wait_s": 300,
    "wrapup_s": 15,
    "strategy": "most_skilled",
    "overflow_queue": "general",
    "announce_every_s": 45,
    "escalation": [
        {"after_s": 30, "action": "relax_skill", "skill": "billing", "min_level": 3},
        {"after_s": 60, "action": "widen", "skills": {"technical": 5}},
        {"after_s": 120, "action": "offer_callback"},
        {"after_s": 240, "action": "overflow", "queue": "general"},
    ],
}


class QueueCreate(QueueConfig):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: Name = Field(description="Letters, digits, `_`, `.`, `-`: what IVR flows route to.")

    def config(self) -> QueueConfig:
        return QueueConfig.model_validate(self.model_dump(exclude={"name"}))


class QueueReplace(QueueConfig):
    """The whole configuration: a field left out takes its default."""

    model_config = ConfigDict(json_schema_extra={"examples": [{k: v for k, v in _EXAMPLE.items() if k != "name"}]})

    version: int | None = Field(None, ge=1, le=MAX_INT, description="The version replaced (or send `If-Match`).")

    def config(self) -> QueueConfig:
        return QueueConfig.model_validate(self.model_dump(exclude={"version"}))


class QueueOut(QueueConfig):
    """A queue's configuration. Its live and today's figures: `GET /api/v1/queues/{name}/stats`."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(examples=["billing"])
    version: int = Field(examples=[1], description="Send it back (or as `If-Match`) when replacing.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, queue: Queue) -> QueueOut:
        return cls.model_validate(
            {**queue.config.model_dump(), "name": queue.name, "version": queue.version,
             "created_at": queue.created_at, "updated_at": queue.updated_at}
        )
