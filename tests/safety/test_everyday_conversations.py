"""No line of the hard everyday set raises a priority alert (issue 15), end to end.

Every line of tests/safety/everyday.yml is sent through the real conversation service (SQLite)
as the first message of a new pupil, once with an NLU that knows nothing and once with an NLU
that calls every line `crisis` with confidence 0.999 (worse than Rasa ever was on these lines):
no crisis reply and no priority alert either way.
"""

from __future__ import annotations

import pytest

from bot.app import App
from bot.flows.nlu import NluResult
from bot.safety.report import read_cases
from tests.safety.conftest import SETS_DIR
from tests.safety.support import Pupil, ScriptedNlu, alerts

EVERYDAY = [case.text for case in read_cases(SETS_DIR / "everyday.yml")]
NLU = {
    "quiet": NluResult("out_of_scope", 0.9),
    "crisis_everywhere": NluResult("crisis", 0.999, ranking=(("crisis", 0.999),)),
}


def test_the_everyday_set_is_there() -> None:
    assert len(EVERYDAY) >= 300


@pytest.mark.parametrize("nlu", NLU)
async def test_no_everyday_line_raises_a_priority_alert(app: App, nlu: str) -> None:
    app.service.nlu = ScriptedNlu(NLU[nlu])
    crisis = []
    for i, text in enumerate(EVERYDAY):
        handled = await Pupil(app, f"everyday{i}").send(text)
        if handled.safety == "crisis":
            crisis.append(text)
    assert crisis == []
    assert await alerts(app) == []
