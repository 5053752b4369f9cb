"""`wegwijs nlu train | serve | eval`: registered on the main parser by `add_commands`."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from bot.nlu_tools.project import NluError, NluProject
from bot.nlu_tools.server import DEFAULT_PORT, RasaServer, free_port, new_token
from bot.nlu_tools.train import say, train
from bot.settings import Settings


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the train, serve and eval subcommands to the `nlu` command's subparsers."""
    train_parser = subparsers.add_parser("train", help="train the model (skipped when unchanged)")
    train_parser.add_argument("--force", action="store_true", help="train even when unchanged")
    train_parser.set_defaults(handler=_train)

    serve = subparsers.add_parser(
        "serve",
        help="serve the model on 127.0.0.1 (training first when needed)",
        description="Serve the NLU on 127.0.0.1 with Rasa's HTTP API and a token. With "
        "'-- CMD ARGS...' run CMD with RASA_URL and RASA_TOKEN set, and stop "
        "Rasa when CMD exits.",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port (default {DEFAULT_PORT}, or a free one when it is taken)",
    )
    serve.add_argument(
        "command", nargs=argparse.REMAINDER, help="command to run while Rasa serves, after '--'"
    )
    serve.set_defaults(handler=_serve)

    evaluate = subparsers.add_parser("eval", help="cross-validation and held-out evaluation")
    evaluate.add_argument("--folds", type=int, default=5)
    evaluate.set_defaults(handler=_eval)


def _project() -> NluProject:
    return NluProject.locate(Settings.from_env().nlu_dir)


def _train(args: argparse.Namespace) -> int:
    def run() -> int:
        train(_project(), force=args.force)
        return 0

    return _guard(run)


def _eval(args: argparse.Namespace) -> int:
    from bot.nlu_tools.evaluate import evaluate

    def run() -> int:
        summary = evaluate(_project(), folds=args.folds)
        for part in ("cross_validation", "holdout"):
            figures = summary[part]
            say(
                f"nlu: {part}: accuracy {figures['accuracy']:.3f}, macro F1 "
                f"{figures['macro_f1']:.3f}, crisis recall {figures['crisis_recall']:.3f}, "
                f"out_of_scope precision {figures['out_of_scope_precision']:.3f}"
            )
        return 0

    return _guard(run)


def _serve(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    return _guard(lambda: serve(command, args.port))


def serve(command: list[str], port: int | None = None) -> int:
    """Serve the NLU; run `command` against it when given, else serve until interrupted."""
    settings = Settings.from_env()
    project = NluProject.locate(settings.nlu_dir)
    model = train(project)
    token = settings.rasa_token.reveal() or new_token()
    with RasaServer(project, model, port=port or free_port(DEFAULT_PORT), token=token) as server:
        say(f"nlu: starting rasa on {server.url}")
        seconds = server.wait_ready()
        say(f"nlu: rasa ready on {server.url} after {seconds:.0f} s")
        if not command:
            say("nlu: serving; press Ctrl-C to stop")
            previous = signal.signal(signal.SIGTERM, _exit_on_term)
            try:
                return server.wait()
            except KeyboardInterrupt:
                return 0
            finally:
                signal.signal(signal.SIGTERM, previous)
        env = {**os.environ, "RASA_URL": server.url, "RASA_TOKEN": server.token}
        return _run_child(command, env)


def _run_child(command: list[str], env: dict[str, str]) -> int:
    """Run the child in the foreground; Ctrl-C reaches it directly, SIGTERM is forwarded."""
    try:
        child = subprocess.Popen(command, env=env)  # noqa: S603 (the user's own command)
    except OSError as exc:
        raise NluError(f"cannot start {command[0]}: {exc}") from exc

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    interrupts = 0
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # The child got the same SIGINT: let it finish cleanly, unless asked twice.
                interrupts += 1
                if interrupts > 1:
                    child.terminate()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_term(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _guard(action: Callable[[], int]) -> int:
    try:
        result: int = action()
        return result
    except NluError as exc:
        print(f"wegwijs nlu: {exc}", file=sys.stderr)
        return 1
