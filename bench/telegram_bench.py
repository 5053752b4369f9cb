"""Benchmark: N simulated pupils talk to the real `wegwijs run` through the fake Bot API.

Open loop: pupils' messages are pushed at a fixed total rate (default 30/s) for a fixed time;
each message's latency is the time from pushing the update to the first sendMessage to that
pupil's chat (and to the last one of that reply). Also reports throughput and the bot
process's memory. With `--rasa` (or RASA_URL set) the real Rasa NLU server is in the loop and
the bench also measures Rasa's own /model/parse latency for the same texts.

    .venv/bin/python -m bench.telegram_bench                     # keyword mode (no Rasa)
    .venv/bin/python -m bench.telegram_bench --rasa              # trains/starts Rasa first
    .venv/bin/python -m bench.telegram_bench --pupils 100 --rate 30 --seconds 30

`make bench` runs it with Rasa in the loop and the rate limiter as shipped (on).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.telegram.conftest import bot_env  # noqa: E402
from tests.channels.telegram.content import usable_content  # noqa: E402
from tests.channels.telegram.process import BotProcess  # noqa: E402
from tests.support.fake_bot_api import FakeBotApi  # noqa: E402

# Free text (goes through the safety screen and the NLU) mixed with commands.
MESSAGES = ["hallo", "ik wil stoppen met school", "ik ben vaak afwezig op school",
            "ik voel me niet zo goed", "welke andere richtingen zijn er", "/help",
            "ik woon in Gent", "wie kan mij helpen", "/start", "dank je"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    args = _parser().parse_args(argv)
    with ExitStack() as stack:
        rasa = _rasa(stack) if args.rasa else _external_rasa()
        api = stack.enter_context(FakeBotApi())
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = bot_env(api, scratch / "data", usable_content(scratch))
        env["WEGWIJS_TELEGRAM_RATE_LIMIT"] = "off" if args.no_rate_limit else "on"
        env["WEGWIJS_TELEGRAM_JOIN"] = "off" if args.no_join else "on"
        if rasa:
            env.update({"RASA_URL": rasa[0], "RASA_TOKEN": rasa[1]})
        bot = BotProcess(api, env).start(timeout=120)  # content load is slow on a busy machine
        stack.callback(bot.close)
        pupils = [1_000_000 + i for i in range(args.pupils)]
        _warm_up(api, pupils)
        rss_before, cpu_before = _rss(bot), _cpu(bot)
        first, last, elapsed, sent = _run(api, pupils, args.rate, args.seconds)
        rss_peak, cpu = _rss(bot, "VmHWM"), _cpu(bot) - cpu_before
        parse = _rasa_parse_latency(rasa) if rasa else None
        _report(args, first, last, elapsed, sent, rss_before, rss_peak, parse, bool(rasa))
        print(f"  bot CPU: {cpu:.1f} s for the run = {cpu / max(1, len(first)) * 1000:.1f} ms per "
              f"pupil message ({cpu / elapsed * 100:.0f}% of one core); machine load "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=60)
    parser.add_argument("--rate", type=float, default=30.0, help="pupil messages per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rasa", action="store_true", help="start the real Rasa (nlu/.venv)")
    parser.add_argument("--no-rate-limit", action="store_true",
                        help="turn the sender's Telegram rate limiter off")
    parser.add_argument("--no-join", action="store_true",
                        help="send every bubble of a turn as its own message")
    return parser


def _warm_up(api: FakeBotApi, pupils: list[int]) -> None:
    """Every pupil starts (not measured), so the measured messages meet a running chat."""
    for pupil in pupils:
        api.push_command(pupil, "start")
    api.wait_for(lambda: all(api.buttons(p) for p in pupils), 120)
    time.sleep(1.0)


def _run(api: FakeBotApi, pupils: list[int], rate: float, seconds: float
         ) -> tuple[list[float], list[float], float, int]:
    interval = 1 / rate
    pushed: list[tuple[int, float, int]] = []  # (chat, pushed at, messages before)
    start = time.monotonic()
    for index in range(int(rate * seconds)):
        due = start + index * interval
        time.sleep(max(0.0, due - time.monotonic()))
        pupil = pupils[index % len(pupils)]
        before = len(api.sent(pupil))
        at = time.monotonic()
        text = MESSAGES[(index // len(pupils)) % len(MESSAGES)]
        if text.startswith("/"):
            api.push_command(pupil, text[1:])
        else:
            api.push_text(pupil, text)
        pushed.append((pupil, at, before))
    elapsed = time.monotonic() - start
    api.wait_for(lambda: all(len(api.sent(c)) > b for c, _, b in pushed[-len(pupils):]), 60)
    time.sleep(1.0)
    first, last = _latencies(api, pushed)
    sent = sum(1 for c in api.calls_of("sendMessage") if c.at >= start and c.status == 200)
    return first, last, elapsed, sent


def _latencies(api: FakeBotApi, pushed: list[tuple[int, float, int]]
               ) -> tuple[list[float], list[float]]:
    """Per pushed message: ms to the first and to the last reply before the pupil's next one."""
    by_chat: dict[str, list[float]] = {}
    for call in api.calls_of("sendMessage"):
        if call.status == 200:
            by_chat.setdefault(str(call.params["chat_id"]), []).append(call.at)
    first, last = [], []
    next_push: dict[int, float] = {}
    for chat, at, _ in reversed(pushed):
        until = next_push.get(chat, float("inf"))
        replies = [t for t in by_chat.get(str(chat), []) if at <= t < until]
        next_push[chat] = at
        if replies:
            first.append((replies[0] - at) * 1000)
            last.append((replies[-1] - at) * 1000)
    return first, last


def _rss(bot: BotProcess, field: str = "VmRSS") -> float:
    """Memory of the bot process in MiB (VmRSS now, or VmHWM: the peak)."""
    assert bot.process is not None
    for line in Path(f"/proc/{bot.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu(bot: BotProcess) -> float:
    """CPU seconds (user + system) the bot process has used."""
    assert bot.process is not None
    fields = Path(f"/proc/{bot.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rasa(stack: ExitStack) -> tuple[str, str]:
    from bot.nlu_tools.project import NluProject
    from bot.nlu_tools.server import RasaServer
    from bot.nlu_tools.train import train

    project = NluProject.locate()
    server = stack.enter_context(RasaServer(project, train(project)))
    server.wait_ready()
    return server.url, server.token


def _external_rasa() -> tuple[str, str] | None:
    url = os.environ.get("RASA_URL")
    return (url.rstrip("/"), os.environ.get("RASA_TOKEN", "")) if url else None


def _rasa_parse_latency(rasa: tuple[str, str]) -> list[float]:
    """Rasa's own /model/parse latency for the same texts, sequential (ms)."""
    url, token = rasa
    times = []
    with httpx.Client(timeout=5.0) as client:
        for text in [m for m in MESSAGES if not m.startswith("/")] * 10:
            start = time.monotonic()
            client.post(f"{url}/model/parse", params={"token": token}, json={"text": text})
            times.append((time.monotonic() - start) * 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(args: argparse.Namespace, first: list[float], last: list[float], elapsed: float,
            sent: int, rss: float, rss_peak: float, parse: list[float] | None,
            with_rasa: bool) -> None:
    mode = "Rasa NLU in the loop" if with_rasa else "no Rasa (keyword mode)"
    limiter = "off" if args.no_rate_limit else "on"
    limiter += ", bubbles of a turn " + ("apart" if args.no_join else "joined")
    print(f"telegram bench: {args.pupils} pupils, {args.rate:g} msg/s for {args.seconds:g} s, "
          f"{mode}, rate limiter {limiter}")
    print(f"  command: .venv/bin/python -m bench.telegram_bench {' '.join(sys.argv[1:])}")
    print(f"  pupil messages: {len(first)} answered in {elapsed:.1f} s "
          f"({len(first) / elapsed:.1f} msg/s in); bot sent {sent} messages "
          f"({sent / elapsed:.1f} msg/s out); {sent / max(1, len(first)):.2f} messages per turn")
    print(f"  latency update -> first reply: p50 {_pct(first, 0.5):.1f} ms, "
          f"p99 {_pct(first, 0.99):.1f} ms, max {max(first, default=float('nan')):.1f} ms")
    print(f"  latency update -> last reply:  p50 {_pct(last, 0.5):.1f} ms, "
          f"p99 {_pct(last, 0.99):.1f} ms")
    if parse:
        print(f"  rasa /model/parse alone: p50 {statistics.median(parse):.1f} ms, "
              f"p99 {_pct(parse, 0.99):.1f} ms")
    print(f"  bot process memory: RSS {rss:.0f} MiB after warm-up, peak {rss_peak:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
