"""Nothing lost: an unreachable group, urgent first, restarts with pending and active cases."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bot.app import App, build
from bot.delivery.outbox import Dispatcher
from bot.infra.sql import OutboxEntry
from bot.settings import Settings
from tests.handoff.support import (
    LIMBURG_CHAT,
    OFFICE_TIME,
    SARA,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
    pending,
)

GROUP = f"tg:{LIMBURG_CHAT}"


async def sent_entries(app: App, prefix: str) -> int:
    """How many outbox entries to destinations with this prefix were marked sent."""
    async with app.store.transaction() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.status == "sent", OutboxEntry.destination.startswith(prefix))
            )
            or 0
        )


async def test_unreachable_group_then_reachable_delivers_every_message_exactly_once(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    first = PupilChat(happ, "1")
    await first.ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:1:claim")
    await drain(happ, dispatcher)

    group.down = True
    words = [f"bericht {i}" for i in range(5)]
    for word in words:
        assert (await first.say(word)).relayed
    second = PupilChat(happ, "2")
    await second.ask_for_a_person("none", network="limburg")
    await drain(happ, dispatcher)
    assert group.refused > 0, "the group was never tried"
    assert await pending(happ) > 0, "messages for the group were dropped"
    assert any("wachten" in t or "begeleiders" in t for t in pupils.texts(second.destination)), (
        "a failing group blocked the pupil's replies"
    )

    group.down = False
    await drain(happ, dispatcher)
    assert await pending(happ) == 0
    relayed = [t.split(": ", 1)[1] for t in group.texts(GROUP) if t.startswith("💬")]
    assert relayed == words, "relayed messages lost, duplicated or out of order"
    assert max(Counter(group.texts(GROUP)).values()) == 1, "a group message arrived twice"
    assert await sent_entries(happ, "tg:") == len(group.sent)
    assert await sent_entries(happ, "pupil:") == len(pupils.sent)
    assert [c.thread_ref is not None for c in await cases(happ)] == [True, True]


async def test_urgent_alert_overtakes_normal_messages_to_the_same_group(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    for user in "abc":
        await PupilChat(happ, user).ask_for_a_person("none", network="limburg")
    crisis = PupilChat(happ, "d")
    await crisis.say("/start")
    await crisis.set_slots(network="limburg")
    async with happ.store.pupil_transaction(crisis.id) as session:
        from bot.flows.state import State

        await happ.handoff.raise_alert(
            session,
            crisis.id,
            State(slots={"network": "limburg"}),
            "suicide_self_harm",
            "test_rule",
            "k1",
        )
    await dispatcher.deliver_due()  # one pass: the head of each queue, urgent first
    assert group.sent[0].text.startswith("🚨 Veiligheidsmelding")
    assert group.sent[0].destination == GROUP, "the lane suffix reached the Telegram sender"
    await drain(happ, dispatcher)
    assert len(group.to(GROUP)) == 4


async def test_urgent_case_is_notified_before_waiting_normal_cases(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    for user in "abc":
        await PupilChat(happ, user).ask_for_a_person("none", network="limburg")
    urgent = PupilChat(happ, "u")
    await urgent.say("/start")
    async with happ.store.pupil_transaction(urgent.id) as session:
        from bot.flows.state import State

        await happ.handoff.open_case(
            session, urgent.id, State(slots={"network": "limburg"}), "crisis", "urgent"
        )
    await dispatcher.deliver_due()
    assert group.sent[0].text.startswith("🚨 DRINGEND · vraag #4")


async def _restarted(env: dict[str, str], old: App) -> App:
    await old.close()
    app = await build(Settings.from_env(env), content=old.content)
    app.handoff.clock = lambda: OFFICE_TIME
    return app


async def test_restart_with_a_pending_case_then_claim_and_talk(
    happ: App, handoff_env: dict[str, str]
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg")
    group, pupils = RecordingSender(), RecordingSender()
    app = await _restarted(handoff_env, happ)
    try:
        dispatcher = app.dispatcher({"pupil": pupils, "tg": group})
        await drain(app, dispatcher)
        assert len(group.to(GROUP)) == 1, "the case notification was lost in the restart"
        pupil.app = app
        await Counsellor(app, SARA, LIMBURG_CHAT).press("case:1:claim")
        assert (await pupil.say("ben je daar?")).relayed
        await drain(app, dispatcher)
        assert group.texts(GROUP)[-1].endswith("ben je daar?")
    finally:
        await app.close()


async def test_restart_with_an_active_case_keeps_the_talk_going(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, handoff_env: dict[str, str]
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:1:claim")
    await pupil.say("eerste")  # relayed, not yet delivered when the bot stops
    app = await _restarted(handoff_env, happ)
    try:
        group2, pupils2 = RecordingSender(), RecordingSender()
        dispatcher2 = app.dispatcher({"pupil": pupils2, "tg": group2})
        pupil.app = app
        handled = await pupil.say("tweede")
        assert handled.relayed and handled.messages == ()
        await drain(app, dispatcher2)
        assert [t for t in group2.texts(GROUP) if t.startswith("💬")] == [
            "💬 Jongere (#1): eerste",
            "💬 Jongere (#1): tweede",
        ]
        assert any(
            t.startswith("Sara (CLB-medewerker) is er nu") for t in pupils2.texts(pupil.destination)
        )
        thread = group.to(GROUP)[0].message_id
        await Counsellor(app, SARA, LIMBURG_CHAT).reply(thread, "Ik ben er nog")
        await drain(app, dispatcher2)
        assert pupils2.texts(pupil.destination)[-1] == "Sara (CLB-medewerker): Ik ben er nog"
    finally:
        await app.close()
