"""The `wegwijs` command line: parse arguments, load settings, configure logging, run."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import ContentError, SettingsError, StoreError
from bot.infra.running import announce
from bot.settings import Settings

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        result: int = args.handler(args)
        return result
    except ContentError as exc:
        from bot.flows.checker import report

        print(report(list(exc.problems), _settings(args).content_dir), file=sys.stderr)
        print("Wegwijs does not start with invalid content.", file=sys.stderr)
        return 1
    except (SettingsError, StoreError) as exc:
        print(f"wegwijs: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wegwijs", description="Wegwijs chatbot")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(title="commands")

    chat = commands.add_parser("chat", help="chat in the console")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines protocol on stdin/stdout")
    chat.add_argument(
        "--data-dir", type=Path, default=None, help="default $WEGWIJS_DATA_DIR or ./data"
    )
    chat.add_argument("--flow", default=None, metavar="NAME[.STEP]",
                      help="preview: start at this flow, or at this step of it")
    chat.add_argument("--slot", action="append", default=[], metavar="NAME=VALUE",
                      help="preview: give a slot a value first (repeat for more slots)")
    chat.add_argument("--debug", action="store_true",
                      help="preview: print the flow, step and slots after each turn")
    chat.set_defaults(handler=_chat)

    run = commands.add_parser(
        "run", help="run every channel: the web chat ($WEGWIJS_WEB_BIND), and Telegram when "
        "TELEGRAM_BOT_TOKEN is set")
    run.add_argument("--webhook-url", default=None, help="Telegram webhook mode at this URL")
    run.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    run.add_argument("--port", type=int, default=8443, help="webhook listen port")
    run.add_argument("--data-dir", type=Path, default=None)
    run.set_defaults(handler=_run)

    purge = commands.add_parser("purge", help="delete data older than the retention period")
    purge.add_argument(
        "--days", type=int, default=None, help="default $WEGWIJS_RETENTION_DAYS or 90"
    )
    purge.add_argument("--data-dir", type=Path, default=None)
    purge.set_defaults(handler=_purge)

    content = commands.add_parser("content", help="content tools")
    content_commands = content.add_subparsers(title="content commands")
    check = content_commands.add_parser("check", help="validate content/")
    check.add_argument("--content-dir", type=Path, default=None)
    check.add_argument("--lang", choices=("nl", "en"), default="nl",
                       help="language of the report (default nl, for editors)")
    check.set_defaults(handler=_content_check)
    dialogues = content_commands.add_parser(
        "test", help="run the editors' dialogue tests (content/tests/*.yml)"
    )
    dialogues.add_argument("files", nargs="*", type=Path, help="files or folders (default all)")
    dialogues.add_argument("--content-dir", type=Path, default=None)
    dialogues.add_argument("--nlu", action="store_true",
                           help="parse every line with the real Rasa model ($RASA_URL)")
    dialogues.add_argument("--figures", action="store_true",
                           help="also print the listening figures of these conversations")
    dialogues.add_argument("--show", action="store_true",
                           help="print every conversation, with what the bot noticed")
    dialogues.set_defaults(handler=_content_test)
    reload = content_commands.add_parser(
        "reload", help="check content/, then make the running bot load it (SIGHUP)"
    )
    reload.add_argument("--content-dir", type=Path, default=None)
    reload.add_argument("--data-dir", type=Path, default=None,
                        help="the running bot's data dir (default $WEGWIJS_DATA_DIR or ./data)")
    reload.add_argument("--lang", choices=("nl", "en"), default="nl",
                        help="language of the report (default nl, for editors)")
    reload.set_defaults(handler=_content_reload)
    graph = content_commands.add_parser(
        "graph", help="Mermaid diagrams of every flow, or (--html) a map editors can read"
    )
    graph.add_argument("--content-dir", type=Path, default=None)
    graph.add_argument("--output", type=Path, default=None, help="write to a file (default stdout)")
    graph.add_argument("--html", nargs="?", type=Path, const=Path("wegwijs-map.html"),
                       default=None, metavar="OUT",
                       help="write one self-contained HTML page (default wegwijs-map.html)")
    graph.set_defaults(handler=_content_graph)

    safety = commands.add_parser("safety", help="safety layer tools")
    safety_commands = safety.add_subparsers(title="safety commands")
    report = safety_commands.add_parser(
        "report", help="recall and false positives on labelled sets"
    )
    report.add_argument("sets", nargs="*", type=Path, help="labelled YAML files")
    report.add_argument("--content", type=Path, default=None, help="default content/")
    report.add_argument(
        "--sets-dir", type=Path, default=None, help="labelled sets (default tests/safety)"
    )
    report.add_argument(
        "--no-nlu", action="store_true", help="rules and model only, even when RASA_URL is set"
    )
    report.add_argument(
        "--cv", action="store_true", help="leave-one-set-out figures of the learned model"
    )
    report.set_defaults(handler=_safety_report)

    answers = commands.add_parser("answers", help="question bank tools")
    answers_eval = answers.add_subparsers(title="answers commands").add_parser(
        "eval", help="CV on the bank's examples, precision/recall on held-out questions")
    answers_eval.add_argument("--content-dir", type=Path, default=None)
    answers_eval.set_defaults(handler=_answers_eval)

    counsellor = commands.add_parser("counsellor", help="counsellor desk accounts")
    counsellor.add_argument("--data-dir", type=Path, default=None)
    from bot.desk.admin import add_commands as add_counsellor_commands

    add_counsellor_commands(counsellor.add_subparsers(title="counsellor commands"))
    counsellor.set_defaults(handler=_counsellor)

    from bot.figures.cli import add_command as add_figures_command

    add_figures_command(commands)

    nlu = commands.add_parser("nlu", help="Rasa NLU: train, serve, eval")
    nlu_commands = nlu.add_subparsers(title="nlu commands")
    try:
        from bot.nlu_tools.cli import add_commands
    except ImportError:  # the NLU package is optional for the bot itself
        pass
    else:
        add_commands(nlu_commands)
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs request URLs, which contain the Telegram bot token.
    for noisy in (
        "httpx",
        "httpcore",
        "telegram",
        "apscheduler",
        "aiosqlite",
        "asyncio",
        "alembic",
        "sqlalchemy",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=getattr(args, "data_dir", None))


def _chat(args: argparse.Namespace) -> int:
    from bot.app import build
    from bot.channels import console

    if not args.verbose:  # the chat itself is the output; keep the screen for the pupil
        logging.getLogger().setLevel(logging.WARNING)

    from bot.conversation.seed import StartError, check_start, parse_slots

    preview = args.flow is not None or bool(args.slot) or args.debug
    if args.jsonl and preview:
        print("wegwijs: --flow, --slot and --debug are for the interactive chat, not --jsonl",
              file=sys.stderr)
        return 2

    async def session() -> int:
        app = await build(_settings(args))
        # SIGHUP (from 'wegwijs content reload') reloads the content before the next message
        signal.signal(signal.SIGHUP, app.request_reload)
        try:
            if args.jsonl:
                await console.run_jsonl(app.service, sys.stdin.buffer, sys.stdout,
                                        before_turn=app.reload_if_requested)
                return 0
            try:
                if args.flow is not None:
                    check_start(app.content, args.flow)
                slots = parse_slots(app.content, args.slot)
            except StartError as exc:
                print(f"wegwijs: {exc.reason}", file=sys.stderr)
                return 2
            await console.run_interactive(app.service, start=args.flow, slots=slots,
                                          debug=args.debug, before_turn=app.reload_if_requested)
            return 0
        finally:
            await app.close()

    logging.getLogger("bot.app").setLevel(logging.INFO)  # the operator sees each reload
    with announce(_settings(args).data_dir, "console"):
        return asyncio.run(session())


def _run(args: argparse.Namespace) -> int:
    from bot import server

    settings = _settings(args)
    with announce(settings.data_dir, "run"):  # so 'wegwijs content reload' finds it
        result: int = server.run(
            settings, webhook_url=args.webhook_url, listen=args.listen, port=args.port
        )
    return result


def _purge(args: argparse.Namespace) -> int:
    from bot.app import build
    from bot.delivery.retention import purge

    settings = _settings(args)

    async def once() -> str:
        app = await build(settings)
        try:
            report = await purge(app.store, None, args.days or settings.retention_days, app.handoff)
        finally:
            await app.close()
        return str(report)

    print(f"purged: {asyncio.run(once())}")
    return 0


def _counsellor(args: argparse.Namespace) -> int:
    from bot.desk.admin import run

    return run(args, _settings(args))


def _content_check(args: argparse.Namespace) -> int:
    from bot.content import load_content
    from bot.flows.checker import report
    from bot.flows.messages import load_messages

    content_dir = args.content_dir or Settings.from_env().content_dir
    content, problems = load_content(content_dir)
    print(report(problems, content_dir, load_messages(content_dir, args.lang)))
    return 0 if content is not None else 1


def _content_reload(args: argparse.Namespace) -> int:
    from bot.content import load_content
    from bot.flows.checker import report
    from bot.flows.messages import load_messages
    from bot.infra.running import signal_all

    settings = _settings(args)
    content_dir = args.content_dir or settings.content_dir
    content, problems = load_content(content_dir)
    if problems:
        print(report(problems, content_dir, load_messages(content_dir, args.lang)))
    if content is None:
        print("wegwijs: not reloaded: the running bot keeps its current content", file=sys.stderr)
        return 1
    signalled = signal_all(settings.data_dir, signal.SIGHUP)
    if not signalled:
        print(f"wegwijs: no running Wegwijs found in {settings.data_dir}", file=sys.stderr)
        return 1
    for process in signalled:
        print(f"asked {process.kind} (pid {process.pid}) to reload {content_dir}")
    return 0


def _answers_eval(args: argparse.Namespace) -> int:
    from bot.catalog.answers_eval import report
    from bot.catalog.answers_load import load_answers

    content_dir = args.content_dir or Settings.from_env().content_dir
    bank, problems = load_answers(content_dir)
    if problems:
        raise ContentError(problems)
    print(report(bank, content_dir.resolve().parent))
    return 0


def _content_test(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bot.dialogues.suite import report, run_suite

    settings = Settings.from_env()
    if args.content_dir is not None:
        settings = replace(settings, content_dir=args.content_dir)
    if args.nlu and not settings.rasa_url:
        print("wegwijs: --nlu needs RASA_URL (start Rasa with 'wegwijs nlu serve -- ...')",
              file=sys.stderr)
        return 2
    if not args.verbose:  # content warnings and alerts are for `content check` and the log
        logging.getLogger("bot").setLevel(logging.ERROR)
    results, problems = asyncio.run(run_suite(settings, args.files, args.nlu))
    text, passed = report(results, problems, figures=args.figures, show=args.show)
    print(text)
    return 0 if passed else 1


def _content_graph(args: argparse.Namespace) -> int:
    from bot.app import content_or_fail
    from bot.flows.graph import render_all

    content = content_or_fail(args.content_dir or Settings.from_env().content_dir)
    if args.html is not None:
        from bot.flows.flowmap import render_html

        page = render_html(content)
        args.html.write_text(page, encoding="utf-8")
        print(f"wrote {args.html} ({len(content.flows)} flows, {len(page) // 1024} KB)")
        return 0
    text = render_all(content)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


def _safety_report(args: argparse.Namespace) -> int:
    from bot.safety.report import main as report_main

    settings = Settings.from_env()
    sets_dir = args.sets_dir or Path(__file__).resolve().parents[1] / "tests" / "safety"
    argv = [str(path) for path in args.sets]
    argv += ["--content", str(args.content or settings.content_dir), "--sets-dir", str(sets_dir)]
    if args.cv:
        argv.append("--cv")
    if settings.rasa_url and not args.no_nlu:
        argv += ["--rasa-url", settings.rasa_url]
    result: int = report_main(argv, rasa_token=settings.rasa_token.reveal() or None)
    return result


if __name__ == "__main__":
    sys.exit(main())
