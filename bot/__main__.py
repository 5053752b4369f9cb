"""`python -m bot`: the same command line as the `wegwijs` script."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
