"""What the ACD makes of the dialplan's hand-off and of agents' state requests."""

from __future__ import annotations

import pytest

from ccserver.acd.agent_requests import events_for_request
from ccserver.acd.agi import parse_skills
from ccserver.routing import Login, Logout, NotReady, Ready
from ccserver.routing.agent_states import EndWrapupEarly, ExtendWrapup
from ccserver.routing.model import AgentStatus


def test_skills_from_the_channel_variable_keep_names_with_colons() -> None:
    assert parse_skills("billing:5,lang:es:1") == {"billing": 5, "lang:es": 1}
    assert parse_skills("") == {}


@pytest.mark.parametrize("text", ["billing", "billing:0", "billing:11", ":5", "billing:x"])
def test_a_malformed_skill_requirement_is_left_out(text: str) -> None:
    assert parse_skills(f"{text},technical:3") == {"technical": 3}


@pytest.mark.parametrize(("state", "asked", "reason", "extend", "events"), [
    ("logged_out", "ready", None, None, [Login(ready=True)]),
    ("logged_out", "not_ready", "break", None, [Login(ready=False), NotReady("break")]),
    ("not_ready", "ready", None, None, [Ready()]),
    ("ready", "not_ready", "lunch", None, [NotReady("lunch")]),
    ("on_call", "logged_out", None, None, [Logout()]),
    ("wrap_up", "wrap_up", None, 30.0, [ExtendWrapup(30.0)]),
    ("wrap_up", "wrap_up", None, None, [EndWrapupEarly()]),
])
def test_a_requested_state_becomes_the_engine_s_agent_events(
    state: str, asked: str, reason: str | None, extend: float | None, events: list[object],
) -> None:
    status = AgentStatus(agent_id="a1", state=state)  # type: ignore[arg-type]
    assert events_for_request(status, asked, reason, extend) == events
