"""A data folder whose content cache is already filled, for tests that start the bot as a process.

Every start of `wegwijs run` or `wegwijs chat` on a new data folder compiles the safety lexicon,
trains its model and checks the content files (about 2 s), then keeps what it derived in
`DATA_DIR/cache`. Tests that start the bot as a process, many of them several times, are not
about that first start: `seed` copies what one clean process derived from the same content
into the data folder, as a second start of the bot would find it. The cache itself, and a start
without it, are tested in tests/flows/test_checked_content.py and tests/safety.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

# One clean process per content folder and test process derives the files (never this process:
# what it keeps in memory is not written to a cache folder).
_DERIVE = (
    "import sys; from pathlib import Path; from bot.content import load_content; "
    "load_content(Path(sys.argv[1]), Path(sys.argv[2]))"
)
_root: Path | None = None
_made: dict[Path, Path] = {}


def seed(data_dir: Path | str, content_dir: Path | str | None = None) -> None:
    """Fill `data_dir/cache` with what loading `content_dir` (default: content/) derives.

    Content a test changes later only misses the cache: the bot then derives it again."""
    source = _derived(Path(content_dir or CONTENT_DIR).resolve())
    target = Path(data_dir) / "cache"
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if not (target / path.name).exists():
            shutil.copyfile(path, target / path.name)


def _derived(content_dir: Path) -> Path:
    global _root
    if content_dir in _made:
        return _made[content_dir]
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="wegwijs-test-cache-"))
        atexit.register(shutil.rmtree, _root, True)
    cache = _root / hashlib.sha256(str(content_dir).encode()).hexdigest()[:16]
    cache.mkdir()
    subprocess.run([sys.executable, "-c", _DERIVE, str(content_dir), str(cache)], check=True,
                   capture_output=True, timeout=120)
    _made[content_dir] = cache
    return cache
