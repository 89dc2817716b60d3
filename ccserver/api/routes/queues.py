"""/api/v1/queues: queue configuration (skills, priority, service level, waits, overflow, escalation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from ccserver.api.auth import AnyRole, ConfigWriter
from ccserver.api.deps import SessionDep, tell_acd_of_config_writes
from ccserver.api.etags import etag, expected_version, if_match_version
from ccserver.api.schemas.common import problem_responses
from ccserver.api.schemas.queues import QueueCreate, QueueOut, QueueReplace
from ccserver.crm import queues
from ccserver.crm.acd_model import NAME_PATTERN

router = APIRouter(
    prefix="/api/v1/queues", tags=["queues"], responses=problem_responses(401, 403, 404, 422),
    dependencies=[Depends(tell_acd_of_config_writes)],
)

IfMatch = Annotated[int | None, Depends(if_match_version)]
QueueName = Annotated[str, Path(pattern=NAME_PATTERN)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_queue(body: QueueCreate, session: SessionDep, _: ConfigWriter, response: Response) -> QueueOut:
    """Skills, overflow and escalation targets must exist; escalation steps in time order."""
    queue = await queues.create_queue(session=session, name=body.name, config=body.config())
    response.headers["ETag"] = etag(queue.version)
    response.headers["Location"] = f"{router.prefix}/{queue.name}"
    return QueueOut.of(queue)


@router.get("", summary="Queues by name")
async def list_queues(session: SessionDep, _: AnyRole) -> list[QueueOut]:
    return [QueueOut.of(q) for q in await queues.list_queues(session=session)]


@router.get("/{name}")
async def get_queue(name: QueueName, session: SessionDep, _: AnyRole, response: Response) -> QueueOut:
    queue = await queues.get_queue(session=session, name=name)
    response.headers["ETag"] = etag(queue.version)
    return QueueOut.of(queue)


@router.put("/{name}", responses=problem_responses(412))
async def replace_queue(
    name: QueueName, body: QueueReplace, session: SessionDep, _: ConfigWriter, if_match: IfMatch, response: Response
) -> QueueOut:
    """Replaces the whole configuration (fields left out take their defaults). Calls waiting keep their place."""
    queue = await queues.update_queue(
        session=session, name=name, config=body.config(), expected_version=expected_version(if_match, body.version)
    )
    response.headers["ETag"] = etag(queue.version)
    return QueueOut.of(queue)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(409, 412))
async def delete_queue(name: QueueName, session: SessionDep, _: ConfigWriter, if_match: IfMatch) -> None:
    """Refused (409) while another queue overflows or escalates to it."""
    await queues.delete_queue(session=session, name=name, expected_version=if_match)
