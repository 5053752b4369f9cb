"""`wegwijs counsellor add|disable|reset`: the admin's commands for desk accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.desk.accounts import ROLES, AccountError, Accounts, Enrolment
from bot.infra.crypto import Cipher
from bot.infra.sql import Store, database_url
from bot.settings import Settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `counsellor` subcommands (registered by bot.cli)."""
    add = commands.add_parser("add", help="make a desk account (prints the TOTP secret once)")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="first name, as the pupil will see it")
    add.add_argument("--role", choices=ROLES, default="counsellor")
    add.add_argument(
        "--network",
        action="append",
        required=True,
        help="network id (repeat for more; '*' for every network)",
    )
    add.add_argument(
        "--title", default="default", help="role label key from content/counsellor.yml (e.g. clb)"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (for scripts)",
    )
    add.set_defaults(counsellor_action="add")
    disable = commands.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("login")
    disable.set_defaults(counsellor_action="disable")
    reset = commands.add_parser(
        "reset", help="new password and TOTP secret, unlocks (prints the secret once)"
    )
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(counsellor_action="reset")


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """Carry out one `counsellor` subcommand; 0 on success, 1 with the reason on stderr."""
    out = out or sys.stdout
    action = getattr(args, "counsellor_action", None)
    if action is None:
        print("wegwijs counsellor: choose add, disable or reset", file=sys.stderr)
        return 2
    password = "" if action == "disable" else _password(args.password_stdin)

    async def add(accounts: Accounts) -> Enrolment | None:
        networks = [n for given in args.network for n in given.split(",")]
        return await accounts.add(args.login, args.name, args.role, networks, password, args.title)

    async def disable(accounts: Accounts) -> Enrolment | None:
        await accounts.disable(args.login)
        return None

    async def reset(accounts: Accounts) -> Enrolment | None:
        return await accounts.reset(args.login, password)

    chosen = {"add": add, "disable": disable, "reset": reset}[action]
    try:
        enrolment = asyncio.run(_with_accounts(settings, chosen))
    except AccountError as exc:
        print(f"wegwijs counsellor: {exc}", file=sys.stderr)
        return 1
    if enrolment is None:
        print(f"account {args.login} disabled", file=out)
        return 0
    print(
        f"account {enrolment.login} ready. Scan this in an authenticator app (shown once):",
        file=out,
    )
    print(f"totp-uri: {enrolment.uri}", file=out)
    print(f"totp-secret: {enrolment.secret}", file=out)
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("password again: ") != first:
        raise SystemExit("wegwijs counsellor: the passwords differ")
    return first


async def _with_accounts(
    settings: Settings, action: Callable[[Accounts], Awaitable[Enrolment | None]]
) -> Enrolment | None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(database_url(settings.database_url, settings.data_dir))
    try:
        await store.migrate()
        return await action(Accounts(store, Cipher(settings.ensure_secret_key().reveal())))
    finally:
        await store.close()
