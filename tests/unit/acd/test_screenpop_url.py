"""A queue's external CRM screen-pop URL: checked when the queue is saved, filled in per call."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ccserver.crm.acd_model import QueueConfig, screenpop_url


def test_the_template_is_filled_in_url_encoded_and_unknown_values_left_empty() -> None:
    template = QueueConfig(screenpop_url="https://crm.example/c?phone={caller}&acct={account}&q={queue}").screenpop_url
    assert template is not None
    url = screenpop_url(template, {"caller": "+1 415 555", "account": None, "queue": "billing&vip"})
    assert url == "https://crm.example/c?phone=%2B1%20415%20555&acct=&q=billing%26vip"


@pytest.mark.parametrize(("template", "problem"), [
    ("javascript:alert(1)", "http"),
    ("https://crm.example/{phone}", "unknown placeholder {phone}"),
])
def test_a_template_that_is_not_a_web_address_or_names_an_unknown_value_is_refused(template: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        QueueConfig(screenpop_url=template)
