"""A case handled in the desk only, with a Telegram pupil: queue, claim, chat, note, close,
feedback; the Telegram group and the desk agree on who has the case."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import App, build
from bot.delivery.outbox import Dispatcher
from bot.desk.accounts import Accounts
from bot.flows.model import Content
from bot.flows.state import State
from bot.handoff.tables import DeskNote
from bot.infra.sql import AuditEntry, Case
from bot.settings import Settings
from tests.desk.support import Clock, DeskUser, get, post, sign_in
from tests.handoff.support import (
    ANTWERPEN_CHAT,
    LIMBURG_CHAT,
    SARA,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
)

Client = TestClient[web.Request, web.Application]
GROUP = f"tg:{LIMBURG_CHAT}"
ANSWERS = {"network": "limburg", "age": 16, "importance": 7, "plan_shared": "no"}


async def _case(happ: App, dispatcher: Dispatcher, user: str = "4242") -> tuple[PupilChat, int]:
    pupil = PupilChat(happ, user)
    await pupil.ask_for_a_person("full", **ANSWERS)
    await drain(happ, dispatcher)
    return pupil, (await cases(happ))[-1].id


async def test_a_case_from_queue_to_feedback_in_the_desk_only(
    happ: App,
    dispatcher: Dispatcher,
    client: Client,
    users: dict[str, DeskUser],
    group: RecordingSender,
    pupils: RecordingSender,
) -> None:
    pupil, case_id = await _case(happ, dispatcher)
    lotte = users["lotte"]
    await sign_in(client, lotte)
    [row] = (await get(client, "/desk/api/queue"))["cases"]
    assert row["id"] == case_id and row["status"] == "pending" and row["network"] == "limburg"
    assert row["promise"].startswith("belofte: binnen 30 min")

    case = await get(client, f"/desk/api/cases/{case_id}")
    assert ["Leeftijd", "16"] in case["summary"]
    assert case["transcript"], "with full consent the talk with the bot is shared"

    claimed = await post(client, lotte, f"/desk/api/cases/{case_id}/claim")
    assert claimed["status"] == "claimed" and claimed["counsellor"] == "Lotte"
    await drain(happ, dispatcher)
    assert any("Lotte" in t for t in group.texts(GROUP)), "the group sees who claimed it"
    assert any("Lotte" in t for t in pupils.texts(pupil.destination)), "the pupil is told"

    await post(client, lotte, f"/desk/api/cases/{case_id}/reply", text="Hoi, ik ben Lotte.")
    await drain(happ, dispatcher)
    assert any("Hoi, ik ben Lotte." in t for t in pupils.texts(pupil.destination))

    await pupil.say("ik wil eigenlijk van school veranderen")
    case = await get(client, f"/desk/api/cases/{case_id}")
    said = [(line["author"], line["text"]) for line in case["live"]]
    assert ("pupil", "ik wil eigenlijk van school veranderen") in said
    assert any(a == "counsellor" and "Hoi, ik ben Lotte." in t for a, t in said)

    await post(client, lotte, f"/desk/api/cases/{case_id}/note", text="Bellen met de school.")
    await drain(happ, dispatcher)
    assert not any("Bellen" in t for t in pupils.texts(pupil.destination)), "notes stay inside"
    async with happ.store.transaction() as session:
        [note] = (await session.scalars(select(DeskNote))).all()
    assert b"Bellen" not in note.body, "notes are encrypted at rest"

    closed = await post(client, lotte, f"/desk/api/cases/{case_id}/close", outcome="appointment")
    assert closed["status"] == "closed"
    await drain(happ, dispatcher)
    assert pupil.last is not None
    feedback_buttons = [
        d.buttons for d in pupils.to(pupil.destination) if d.buttons and "👍 Ja" in str(d.buttons)
    ]
    assert feedback_buttons, "the pupil gets the feedback question"
    assert (await get(client, "/desk/api/queue"))["cases"] == []

    await pupil.say("ja")
    history = (await get(client, "/desk/api/history"))["cases"]
    assert [(c["id"], c["outcome"]) for c in history] == [(case_id, "Afspraak gemaakt")]
    assert (await get(client, f"/desk/api/cases/{case_id}"))["feedback"] == "good"

    async with happ.store.transaction() as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case_id))
        ).all()
    for action in ("open", "read", "claim", "reply", "note", "close"):
        assert action in actions, action


async def test_a_claim_in_the_telegram_group_shows_in_the_desk_and_blocks_a_desk_claim(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    _, case_id = await _case(happ, dispatcher)
    lotte = users["lotte"]
    await sign_in(client, lotte)
    await Counsellor(happ, SARA, LIMBURG_CHAT).press(f"case:{case_id}:claim")
    [row] = (await get(client, "/desk/api/queue"))["cases"]
    assert (row["status"], row["counsellor"], row["mine"]) == ("claimed", "Sara", False)
    taken = await post(client, lotte, f"/desk/api/cases/{case_id}/claim", expect=409)
    assert taken == {"error": "taken", "name": "Sara"}
    await post(client, lotte, f"/desk/api/cases/{case_id}/reply", expect=403, text="hallo")


async def test_a_second_counsellor_sees_the_claim_and_cannot_reply(
    happ: App, dispatcher: Dispatcher, server: TestServer, users: dict[str, DeskUser]
) -> None:
    _, case_id = await _case(happ, dispatcher)
    async with TestClient(server) as first, TestClient(server) as second:
        await sign_in(first, users["lotte"])
        await sign_in(second, users["ines"])
        await post(first, users["lotte"], f"/desk/api/cases/{case_id}/claim")
        [row] = (await get(second, "/desk/api/queue"))["cases"]
        assert (row["status"], row["counsellor"], row["mine"]) == ("claimed", "Lotte", False)
        await post(second, users["ines"], f"/desk/api/cases/{case_id}/claim", expect=409)
        await post(second, users["ines"], f"/desk/api/cases/{case_id}/reply", expect=403, text="x")


async def test_transfer_to_a_colleague_and_to_another_network(
    happ: App,
    dispatcher: Dispatcher,
    server: TestServer,
    users: dict[str, DeskUser],
    group: RecordingSender,
    pupils: RecordingSender,
) -> None:
    pupil, case_id = await _case(happ, dispatcher)
    async with (
        TestClient(server) as lotte_c,
        TestClient(server) as ines_c,
        TestClient(server) as bram_c,
    ):
        lotte, ines, bram = users["lotte"], users["ines"], users["bram"]
        for client, user in ((lotte_c, lotte), (ines_c, ines), (bram_c, bram)):
            await sign_in(client, user)
        await post(lotte_c, lotte, f"/desk/api/cases/{case_id}/claim")
        names = [c["login"] for c in (await get(lotte_c, "/desk/api/colleagues"))["counsellors"]]
        assert "ines" in names and "bram" not in names
        await post(lotte_c, lotte, f"/desk/api/cases/{case_id}/transfer", expect=403, login="bram")
        moved = await post(lotte_c, lotte, f"/desk/api/cases/{case_id}/transfer", login="ines")
        assert moved["counsellor"] == "Ines" and not moved["mine"]
        await drain(happ, dispatcher)
        assert any("Ines" in t for t in pupils.texts(pupil.destination))
        await post(ines_c, ines, f"/desk/api/cases/{case_id}/reply", text="Ik ben Ines.")
        await drain(happ, dispatcher)
        assert any("Ik ben Ines." in t for t in pupils.texts(pupil.destination))

        assert (await get(bram_c, "/desk/api/queue"))["cases"] == []
        await post(ines_c, ines, f"/desk/api/cases/{case_id}/transfer", network="antwerpen")
        await drain(happ, dispatcher)
        assert group.texts(f"tg:{ANTWERPEN_CHAT}"), "the Antwerpen group gets the case"
        [row] = (await get(bram_c, "/desk/api/queue"))["cases"]
        assert (row["id"], row["status"], row["network"]) == (case_id, "pending", "antwerpen")
        assert (await get(ines_c, "/desk/api/queue"))["cases"] == []
        await get(ines_c, f"/desk/api/cases/{case_id}", expect=404)


async def test_the_coordinator_reads_the_audit_of_their_network_only(
    happ: App, dispatcher: Dispatcher, server: TestServer, users: dict[str, DeskUser]
) -> None:
    _, limburg = await _case(happ, dispatcher, "8001")
    pupil = PupilChat(happ, "8002")
    await pupil.ask_for_a_person("summary", network="antwerpen")
    antwerpen = (await cases(happ))[-1].id
    async with TestClient(server) as lotte_c, TestClient(server) as koen_c:
        await sign_in(lotte_c, users["lotte"])
        await post(lotte_c, users["lotte"], f"/desk/api/cases/{limburg}/claim")
        await get(lotte_c, f"/desk/api/cases/{limburg}")
        await sign_in(koen_c, users["koen"])
        await sign_in(lotte_c, users["admin"])
        shown = await get(lotte_c, f"/desk/api/cases/{antwerpen}")
        assert shown["transcript"] is None, "summary consent: the talk with the bot is not shared"
        entries = (await get(koen_c, "/desk/api/audit"))["entries"]
    seen = {(e["actor"], e["action"], e["case"]) for e in entries}
    assert ("desk:lotte", "claim", limburg) in seen
    assert ("desk:lotte", "read", limburg) in seen
    assert all(e["case"] != antwerpen for e in entries), "an Antwerpen case in Limburg's audit"
    async with happ.store.transaction() as session:
        case = await session.get(Case, limburg)
    assert case is not None and case.counsellor_id == "desk:lotte"


async def test_a_network_served_by_the_desk_only_promises_an_answer(
    handoff_env: dict[str, str], loaded_content: Content, clock: Clock
) -> None:
    env = {k: v for k, v in handoff_env.items() if k != "WEGWIJS_COUNSELLOR_CHAT_ID"}
    app = await build(Settings.from_env(env), content=loaded_content)
    app.handoff.clock = clock
    try:
        before = await PupilChat(app, "9001").ask_for_a_person("summary", network="brussel")
        assert any("niet doorgeven" in m.text for m in before.messages), "no desk, no group"
        await Accounts(app.store, app.cipher, clock).add(
            "sam", "Sam", "counsellor", ["brussel"], "een lang wachtwoord"
        )
        after = await PupilChat(app, "9002").ask_for_a_person("summary", network="brussel")
        assert not any("niet doorgeven" in m.text for m in after.messages)
        assert any(m.text.startswith("De begeleiders van") for m in after.messages)
    finally:
        await app.close()


async def test_erasing_the_pupil_erases_the_notes_on_their_cases(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    pupil, case_id = await _case(happ, dispatcher)
    await sign_in(client, users["lotte"])
    await post(client, users["lotte"], f"/desk/api/cases/{case_id}/note", text="Notitie.")
    async with happ.store.pupil_transaction(pupil.id) as session:
        await happ.handoff.erase(session, pupil.id)
    async with happ.store.transaction() as session:
        assert (await session.scalars(select(DeskNote))).all() == []
    await get(client, f"/desk/api/cases/{case_id}", expect=404)


async def test_urgent_cases_come_first_in_the_queue(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser], clock: Clock
) -> None:
    _, normal = await _case(happ, dispatcher, "9101")
    clock.advance(minutes=5)
    pupil = PupilChat(happ, "9102")
    await pupil.say("/start")
    async with happ.store.pupil_transaction(pupil.id) as session:
        state = State().with_slots(network="limburg")
        await happ.handoff.open_case(session, pupil.id, state, "crisis", "urgent")
    urgent = (await cases(happ))[-1].id
    await sign_in(client, users["lotte"])
    rows = (await get(client, "/desk/api/queue"))["cases"]
    assert [(r["id"], r["urgent"]) for r in rows] == [(urgent, True), (normal, False)]
    assert rows[1]["waiting_minutes"] >= 5 > rows[0]["waiting_minutes"]
