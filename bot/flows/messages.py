"""The checker's messages in the editors' language: a catalogue keyed by the English text.

The checker writes its findings in English (tests and logs read those). For editors the report
is translated with `content/checker_messages.yml`, where each entry pairs an English template
with its Dutch text; `{name}` in a template stands for what the checker filled in. A message
without an entry stays English, so a new check never shows an empty line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MESSAGES_FILE = "checker_messages.yml"
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Messages:
    """Translations of messages and hints, and the words of the report itself."""

    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    words: Mapping[str, str] = field(default_factory=dict)

    def text(self, english: str) -> str:
        """The translation of a message or hint, or the English text when there is none."""
        for pattern, translated in self.patterns:
            found = pattern.fullmatch(english)
            if found:
                return _fill(translated, found)
        return english

    def word(self, english: str) -> str:
        """A word of the report ("error", "fix", ...) in this language."""
        return self.words.get(english, english)


ENGLISH = Messages()


def _fill(template: str, found: re.Match[str]) -> str:
    return _FIELD.sub(lambda m: found.group(m.group(1)) or "", template)


def _compile(template: str) -> re.Pattern[str]:
    parts = _FIELD.split(template)
    regex = "".join(
        f"(?P<{part}>.+?)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def load_messages(content_dir: Path, lang: str) -> Messages:
    """The messages for `lang` ('en' or 'nl'); English when the catalogue cannot be read."""
    path = content_dir / MESSAGES_FILE
    if lang == "en" or not path.is_file():
        return ENGLISH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = [*data.get("messages", ()), *data.get("hints", ())]
        patterns = tuple((_compile(str(e["en"])), str(e[lang])) for e in entries if lang in e)
        words = {str(k): str(v[lang]) for k, v in data.get("words", {}).items() if lang in v}
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError, re.error):
        return ENGLISH
    return Messages(patterns, words)
