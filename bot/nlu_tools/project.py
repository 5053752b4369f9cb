"""The Rasa project on disk: where it is, its venv, its training fingerprint and models."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import WegwijsError

TRAINING_INPUTS = ("config.yml", "domain.yml")
COMPONENTS = "wegwijs_nlu"  # our own Rasa components (Python package in nlu/)
MODEL_PREFIX = "nlu-"


class NluError(WegwijsError):
    """The NLU project cannot be trained, served or evaluated."""


def rasa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for every Rasa process: telemetry off, quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.update(extra or {})
    return env


@dataclass(frozen=True, slots=True)
class NluProject:
    """The Rasa project directory (nlu/) and everything derived from it."""

    root: Path

    @classmethod
    def locate(cls, configured: Path | None = None) -> NluProject:
        """Find nlu/: `configured` (WEGWIJS_NLU_DIR), else ./nlu, else next to the bot package."""
        candidates = [configured] if configured else []
        candidates += [Path.cwd() / "nlu", Path(__file__).resolve().parents[2] / "nlu"]
        for candidate in candidates:
            if (candidate / "config.yml").is_file():
                return cls(candidate.resolve())
        raise NluError(
            "cannot find the Rasa project (nlu/config.yml); run from the repository "
            "root or set WEGWIJS_NLU_DIR"
        )

    @property
    def models_dir(self) -> Path:
        """Where trained models are kept."""
        return self.root / "models"

    @property
    def reports_dir(self) -> Path:
        """Where `wegwijs nlu eval` writes its reports."""
        return self.root / "reports"

    def rasa(self) -> Path:
        """The `rasa` executable of nlu/.venv, or a clear error when the venv is missing."""
        path = self.root / ".venv" / "bin" / "rasa"
        if not path.exists():
            raise NluError(
                f"{path} is missing: create the NLU environment with 'make nlu-setup' "
                "(or 'bash nlu/setup_venv.sh')"
            )
        return path

    def training_files(self) -> list[Path]:
        """The files whose content decides the trained model: config, domain, data, components."""
        files = [self.root / name for name in TRAINING_INPUTS]
        files += sorted(p for p in (self.root / "data").rglob("*") if p.suffix in (".yml", ".yaml"))
        files += sorted((self.root / COMPONENTS).glob("*.py"))
        return files

    def fingerprint(self) -> str:
        """A hash of every training input (paths and contents)."""
        digest = hashlib.sha256()
        for path in self.training_files():
            digest.update(path.relative_to(self.root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes() if path.exists() else b"<missing>")
            digest.update(b"\0")
        return digest.hexdigest()[:16]

    def model_for(self, fingerprint: str) -> Path:
        """The model file that training inputs with this fingerprint produce."""
        return self.models_dir / f"{MODEL_PREFIX}{fingerprint}.tar.gz"
