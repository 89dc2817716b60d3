"""/api/v1/admin: switch operations for the admin role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel

from ccserver.api.auth import require_role
from ccserver.api.deps import ContextDep
from ccserver.api.schemas.common import problem_responses
from ccserver.asterisk.gateway import SwitchUnavailable, UnknownSwitch
from ccserver.crm.apikeys import ApiKey, Role

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=problem_responses(401, 403, 404, 503))

AdminKey = Annotated[ApiKey, Depends(require_role(Role.ADMIN))]


class ReloadOut(BaseModel):
    switch_id: str
    message: str

    model_config = {"json_schema_extra": {"examples": [{"switch_id": "pbx1", "message": "Module Reloaded"}]}}


@router.post("/switches/{switch_id}/reload", response_model=ReloadOut, summary="Reload a switch's configuration")
async def reload_switch(
    _: AdminKey, context: ContextDep, switch_id: Annotated[str, Path(max_length=200)]
) -> ReloadOut:
    """Asterisk re-reads `asterisk-conf/` and `dialplans/` as deployed on its host (for the sandbox,
    `ccserver sandbox reload` deploys and reloads in one go). Calls in progress are not dropped."""
    if context.switches is None:
        raise HTTPException(503, "This ccserver has no switches connected.")
    try:
        result = await context.switches.reload_config(switch_id)
    except UnknownSwitch:
        raise HTTPException(404, f"No switch {switch_id!r}; known: {context.switches.switch_ids()}") from None
    except SwitchUnavailable as exc:
        raise HTTPException(503, f"Switch {switch_id!r} cannot reload now: {exc}") from None
    return ReloadOut(switch_id=result.switch_id, message=result.message)
