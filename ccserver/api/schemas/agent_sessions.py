"""Request and response bodies of /api/v1/agent-sessions: an agent signs in to the desktop."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Loose on purpose: a wrong extension or password, whatever its shape, is the same 401.
_Text = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AgentSessionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"extension": "1001", "password": "correct-horse-battery"}]}
    )

    extension: _Text = Field(description="The agent's extension (its softphone's SIP user).")
    password: _Text = Field(description="The agent's SIP password.")


class AgentSessionOut(BaseModel):
    agent_id: UUID
    key: str = Field(description="An agent-role API key acting for this agent only. Shown once.",
                     examples=["ccs_1a2b3c4d_" + "x" * 32])
    name: str = Field(examples=["Ada Lovelace"])
    extension: str = Field(examples=["1001"])
