"""The pure engine imports no I/O: checked on the modules a fresh interpreter loads."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("bot.infra", "bot.channels", "sqlalchemy", "httpx", "telegram")


def test_importing_the_engine_loads_no_infra_channels_or_io_libraries() -> None:
    code = "import json, sys; import bot.flows.engine; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "bot.flows.engine" in loaded
    wrong = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert wrong == []
