"""Fault: the database is briefly unavailable (a PostgreSQL restart). The service retries; when
the database stays down the pupil gets an honest "one moment" and the message is not lost:
the channel does not acknowledge it, delivers it again, and it is handled exactly once."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App, build
from bot.channels import console
from bot.conversation.guard import StoreUnavailable
from bot.conversation.service import Inbound
from bot.settings import Settings
from tests.faults.pg_cluster import ThrowawayCluster
from tests.privacy.scenario import pupil_state, say
from tests.privacy.support import SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    try:
        pg = ThrowawayCluster()
        pg.init()
        pg.start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"cannot create a throwaway PostgreSQL cluster: {exc}")
    try:
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
async def outage_app(
    cluster: ThrowawayCluster, tmp_path: Path, hardened_content_dir: Path
) -> AsyncIterator[App]:
    if not _running(cluster):
        cluster.start()
    url = await cluster.new_database()
    env = {
        "DATABASE_URL": url,
        "WEGWIJS_SECRET_KEY": SECRET,
        "WEGWIJS_CONTENT_DIR": str(hardened_content_dir),
    }
    built = await build(Settings.from_env(env, data_dir=tmp_path / "data"))
    yield built
    if not _running(cluster):
        cluster.start()
    await built.close()


def _running(cluster: ThrowawayCluster) -> bool:
    return (cluster.data / "postmaster.pid").exists()


async def test_postgres_restart_between_messages_is_absorbed_by_retries(
    cluster: ThrowawayCluster, outage_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    await say(outage_app, "/start", user="restart")
    caplog.set_level(logging.WARNING, logger="bot.conversation.guard")
    await asyncio.to_thread(cluster.stop)
    restart = asyncio.create_task(asyncio.to_thread(cluster.start))
    handled = await say(outage_app, button="!flow:probe", user="restart")
    await restart
    assert any("retry" in r.getMessage() for r in caplog.records), "no retry was needed?"
    assert handled.messages and handled.messages[-1].text == "Vertel eens?"
    state = await pupil_state(outage_app, "restart")
    assert state is not None and state.waiting is not None and state.waiting.flow == "probe"


async def test_database_down_gives_store_unavailable_and_redelivery_is_handled_once(
    cluster: ThrowawayCluster, outage_app: App
) -> None:
    await say(outage_app, "/start", user="down")
    inbound = Inbound("telegram", "down", "down", "upd-77", button="!flow:probe")
    await asyncio.to_thread(cluster.stop)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await outage_app.service.handle(inbound)
    assert time.monotonic() - started < 15  # brief retries, then an honest answer
    assert outage_app.content.text("busy_retry")  # the text the channel sends meanwhile
    await asyncio.to_thread(cluster.start)
    redelivered = await outage_app.service.handle(inbound)  # Telegram delivers it again
    assert not redelivered.duplicate and redelivered.messages
    assert (await outage_app.service.handle(inbound)).duplicate
    state = await pupil_state(outage_app, "down")
    assert state is not None and state.waiting is not None and state.waiting.flow == "probe"


async def test_console_waits_for_the_database_and_says_one_moment(
    cluster: ThrowawayCluster, outage_app: App
) -> None:
    await say(outage_app, "/start", user="c1", channel="console")
    await asyncio.to_thread(cluster.stop)
    stdin = io.BytesIO(b'{"user": "c1", "button": "!flow:probe", "id": "m1"}\n')
    stdout = io.StringIO()
    serving = asyncio.create_task(console.run_jsonl(outage_app.service, stdin, stdout, patience=60))
    await asyncio.sleep(4)
    assert not serving.done()  # still waiting, message kept
    await asyncio.to_thread(cluster.start)
    await asyncio.wait_for(serving, 60)
    reply = json.loads(stdout.getvalue())
    texts = [r["text"] for r in reply["replies"]]
    assert texts[0] == outage_app.content.text("busy_retry")
    assert texts[-1] == "Vertel eens?"
