"""`wegwijs run` refuses to start without a token, naming the setting."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.channels.telegram.process import BIN


def test_run_with_a_bad_web_address_exits_1_naming_the_setting(tmp_path: Path) -> None:
    # without a token `wegwijs run` serves the web chat only (tests/web/test_run.py)
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["WEGWIJS_WEB_BIND"] = "8080"
    result = subprocess.run([str(BIN), "run", "--data-dir", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "WEGWIJS_WEB_BIND" in result.stderr
