"""Load `content/safety.yml`: check it, compile its patterns, report every problem with its line.

Over 400 lines: one file with many sections (word families, rules, harmless frames, care,
heightened lines, NLU settings), each with its own checks and compiled form. The next split is
one module per section, once a second file shares a section format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.flows.problems import Problem
from bot.flows.yamlio import YamlDoc, load_yaml
from bot.safety import lexicon_cache, model_cache
from bot.safety.model import Example, SafetyModel, train
from bot.safety.patterns import PatternCompiler, PatternError
from bot.safety.screen import (
    CARE_KINDS,
    Care,
    Category,
    Concept,
    Context,
    Frame,
    Harmless,
    Heightened,
    Helpline,
    Level,
    Lexicon,
    ModelSignal,
    NetRule,
    NluSignal,
    Normaliser,
    Rule,
    canonical_word,
    fold,
    fuzzy_index,
)

FILE = "content/safety.yml"
HELPLINE_FIELDS = ("id", "name", "number", "for", "hours", "url", "source", "reviewed", "text")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Reader:
    """Reads the YAML document and collects problems with their lines."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def problem(self, path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        self.problems.append(Problem(FILE, self.doc.lines.line(path), message, hint))

    def mapping(self, data: Any, path: tuple[str | int, ...]) -> Mapping[str, Any]:
        if isinstance(data, Mapping):
            return data
        if data is not None:
            self.problem(
                path,
                f"'{'/'.join(map(str, path)) or 'top'}' must be a mapping (key: value lines)",
                "indent the entries under it",
            )
        return {}

    def strings(self, data: Any, path: tuple[str | int, ...]) -> list[str]:
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(x, str | int) for x in data):
            self.problem(
                path,
                f"'{path[-1]}' must be a list of texts",
                "write one item per line, starting with '- '",
            )
            return []
        return [str(x) for x in data]


EXAMPLES_FILE = "safety_examples.yml"
# Generated from nlu/data by scripts/build_safety_examples.py; shipped with the bot (the bot's
# image has no nlu/ folder), not in content/: editors do not edit it.
NLU_EXAMPLES = Path(__file__).resolve().parent / "data" / "nlu_examples.yml"
NLU_EXAMPLES_DISPLAY = "bot/safety/data/nlu_examples.yml"
NLU_SET = "nlu"  # set name of the messages from the NLU data (always used to train)
LABELS = ("crisis", "none", "check")
_EXAMPLE_KEYS = frozenset({"text", "label", "category", "also", "set"})
MIN_EXAMPLES = 5  # per label (crisis, none) and per category, or the model is not trained


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """One message of content/safety_examples.yml as the editor wrote it."""

    text: str
    label: str
    category: Category | None
    also: tuple[Category, ...]
    set_name: str


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The `model:` section: the examples the learned signal is trained on, its thresholds."""

    examples: str
    nlu_examples: bool
    check_threshold: float
    crisis_threshold: float


@dataclass(frozen=True, slots=True)
class Compiled:
    """What safety.yml compiles to: the lexicon without its learned model, and the settings
    to train or find that model. Kept across loads by bot/safety/lexicon_cache.py."""

    lexicon: Lexicon
    model: ModelSettings | None = None


def load(
    content_dir: Path, *, cache_dir: Path | None = None, nlu_examples: Path = NLU_EXAMPLES
) -> tuple[Lexicon | None, list[Problem]]:
    """Load and compile the safety lexicon; None when it has errors.

    The compiled lexicon and the learned model are made once per process and source, and kept
    in `cache_dir` (e.g. the data folder's cache) across processes when given
    (bot/safety/lexicon_cache.py, bot/safety/model_cache.py).
    `nlu_examples`: the generated NLU messages `model: nlu_examples: true` adds.
    """
    path = content_dir / "safety.yml"
    if not path.exists():
        return None, [
            Problem(
                FILE,
                None,
                "file is missing; the safety screen needs it",
                "restore content/safety.yml from git",
            )
        ]
    key = lexicon_cache.key_of(path)
    compiled = lexicon_cache.lookup(key, cache_dir, Compiled)
    problems: list[Problem] = []
    if compiled is None:
        compiled, problems = _compile(path)
        if compiled is None:
            return None, problems
        if not problems:
            lexicon_cache.store(key, compiled, cache_dir)
    lexicon = compiled.lexicon
    if compiled.model is not None:
        lexicon, found = _with_model(
            lexicon, compiled.model, content_dir, cache_dir, nlu_examples, checked=not problems
        )
        problems += found
    if any(p.severity == "error" for p in problems):
        return None, problems
    return lexicon, problems


def _compile(path: Path) -> tuple[Compiled | None, list[Problem]]:
    """Read and compile safety.yml; the model settings are read when the rest has no problems."""
    doc, problems = load_yaml(path, FILE)
    if doc is None:
        return None, problems
    reader = _Reader(doc)
    lexicon = _lexicon(reader, reader.mapping(doc.data, ()))
    problems += reader.problems
    raw = reader.mapping(doc.data, ()).get("model") if isinstance(doc.data, Mapping) else None
    settings = None
    if raw is not None and not problems:
        settings = _model_settings(reader, raw)
        problems += reader.problems
    return Compiled(lexicon, settings), problems


def _lexicon(r: _Reader, data: Mapping[str, Any]) -> Lexicon:
    known = {
        "normalise",
        "negation",
        "contexts",
        "nlu",
        "priority",
        "words",
        "rules",
        "harmless",
        "helplines",
        "concepts",
        "model",
        "care",
        "heightened",
    }
    for key in data:
        if key not in known:
            r.problem((key,), f"unknown key '{key}'", "allowed: " + ", ".join(sorted(known)))
    norm = r.mapping(data.get("normalise"), ("normalise",))
    spellings = _spellings(r, r.mapping(norm.get("spellings"), ("normalise", "spellings")))
    compiler = PatternCompiler(spellings)
    _macros(r, compiler, r.mapping(data.get("words"), ("words",)))
    rules = _rules(r, compiler, r.mapping(data.get("rules"), ("rules",)))
    harmless = _harmless(r, compiler, data.get("harmless"))
    concepts_data = r.mapping(data.get("concepts"), ("concepts",))
    concepts, net = _concepts(r, compiler, concepts_data)
    frames = _frames(r, concepts_data.get("frames"), concepts)
    negation = r.mapping(data.get("negation"), ("negation",))
    negators = frozenset(
        canonical_word(fold(w)) for w in r.strings(negation.get("words"), ("negation", "words"))
    )
    contexts = _contexts(r, compiler, data.get("contexts", []))
    vocabulary = frozenset(
        compiler.words
        | set(spellings)
        | set(spellings.values())
        | {
            compiler.word(fold(w))
            for w in r.strings(norm.get("vocabulary"), ("normalise", "vocabulary"))
        }
    )
    tolerant = frozenset(
        compiler.word(fold(w))
        for w in r.strings(norm.get("typo_tolerant"), ("normalise", "typo_tolerant"))
    )
    symbols = r.mapping(norm.get("symbols"), ("normalise", "symbols"))
    normaliser = Normaliser(
        symbols=MappingProxyType({fold(str(k)): fold(str(v)) for k, v in symbols.items()}),
        spellings=MappingProxyType(spellings),
        vocabulary=vocabulary,
        fuzzy_index=fuzzy_index(tolerant, 6),
        fuzzy_min=6,
        dialect=tuple(
            (canonical_word(fold(str(k))), canonical_word(fold(str(v))))
            for k, v in r.mapping(norm.get("dialect"), ("normalise", "dialect")).items()
        ),
    )
    helplines, intro = _helplines(r, r.mapping(data.get("helplines"), ("helplines",)))
    return Lexicon(
        rules=rules,
        harmless=harmless,
        normaliser=normaliser,
        negators=negators,
        negation_window=_int(r, negation.get("window", 2), ("negation", "window"), 0, 5),
        contexts=contexts,
        nlu=_nlu(r, r.mapping(data.get("nlu"), ("nlu",))),
        priority=tuple(_categories(r, data.get("priority"), ("priority",))) or tuple(Category),
        helplines=helplines,
        helplines_intro=intro,
        concepts=MappingProxyType(concepts),
        net=net,
        frames=frames,
        frame_window=_int(
            r, concepts_data.get("frame_window", 6), ("concepts", "frame_window"), 0, 20
        ),
        care=_care(r, compiler, data.get("care", [])),
        heightened=_heightened(r, compiler, r.mapping(data.get("heightened"), ("heightened",))),
    )


def _care(r: _Reader, compiler: PatternCompiler, data: Any) -> tuple[Care, ...]:
    if not isinstance(data, list):
        r.problem(("care",), "'care' must be a list", "start each entry with '- id: ...'")
        return ()
    result: list[Care] = []
    for i, entry in enumerate(data):
        path: tuple[str | int, ...] = ("care", i)
        item = r.mapping(entry, path)
        kind = item.get("kind")
        if kind not in CARE_KINDS:
            hint = "use " + " or ".join(CARE_KINDS)
            r.problem((*path, "kind"), f"kind '{kind}' is not valid", hint)
            continue
        patterns = r.strings(item.get("patterns"), (*path, "patterns"))
        for _, regex, _ in _compile_all(r, compiler, patterns, (*path, "patterns")):
            result.append(Care(str(item.get("id", f"care_{i}")), str(kind), regex))
    return tuple(result)


def _heightened(r: _Reader, compiler: PatternCompiler, data: Mapping[str, Any]) -> Heightened:
    default = Heightened()
    numbers: dict[str, float] = {}
    for key in ("hours", "alert_minutes", "model_check_threshold", "nlu_check_threshold"):
        value = data.get(key, getattr(default, key))
        high = 1.0 if key.endswith("threshold") else 24.0 * 365
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= high:
            r.problem(("heightened", key), f"'{key}' must be a number between 0 and {high:g}")
            value = getattr(default, key)
        numbers[key] = float(value)
    patterns = r.strings(data.get("ambiguous", []), ("heightened", "ambiguous"))
    where: tuple[str | int, ...] = ("heightened", "ambiguous")
    ambiguous = tuple(rx for _, rx, _ in _compile_all(r, compiler, patterns, where))
    return Heightened(
        numbers["hours"],
        numbers["alert_minutes"],
        numbers["model_check_threshold"],
        numbers["nlu_check_threshold"],
        ambiguous,
    )


def _model_settings(r: _Reader, settings: Any) -> ModelSettings | None:
    """The `model:` section; None when it names no usable examples file (a problem says why)."""
    data = r.mapping(settings, ("model",))
    for key in data:
        if key not in ("examples", "nlu_examples", "check_threshold", "crisis_threshold", "note"):
            r.problem(
                ("model", key),
                f"unknown key '{key}'",
                "allowed: examples, nlu_examples, check_threshold, crisis_threshold",
            )
    thresholds = {}
    for key, default in (("check_threshold", 0.8), ("crisis_threshold", 0.95)):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            r.problem(("model", key), f"'{key}' must be a number between 0 and 1")
            value = default
        thresholds[key] = float(value)
    if thresholds["check_threshold"] > thresholds["crisis_threshold"]:
        r.problem(
            ("model",),
            "check_threshold is higher than crisis_threshold",
            "the check threshold must be the lower one",
        )
    name = data.get("examples", EXAMPLES_FILE)
    if not isinstance(name, str) or "/" in name or not name.endswith(".yml"):
        r.problem(
            ("model", "examples"), "'examples' must be a file name in content/ ending in .yml"
        )
        return None
    with_nlu = data.get("nlu_examples", False)
    if not isinstance(with_nlu, bool):
        r.problem(
            ("model", "nlu_examples"),
            "'nlu_examples' must be true or false",
            f"true: also learn from the NLU training data ({NLU_EXAMPLES_DISPLAY}, generated)",
        )
        return None
    return ModelSettings(
        name, with_nlu, thresholds["check_threshold"], thresholds["crisis_threshold"]
    )


def _with_model(
    lexicon: Lexicon,
    settings: ModelSettings,
    content_dir: Path,
    cache_dir: Path | None,
    nlu_examples: Path,
    *,
    checked: bool,
) -> tuple[Lexicon, list[Problem]]:
    """Train the learned second signal on the examples file named in `model:`.

    `checked`: safety.yml has no problems (else the examples are only read for their problems).
    """
    nlu_file = nlu_examples if settings.nlu_examples else None
    files = [content_dir / settings.examples] + ([nlu_file] if nlu_file is not None else [])
    cache_key = model_cache.key_of(files, lexicon.normaliser)
    model = None
    if cache_key is not None and checked:
        model = model_cache.lookup(cache_key, cache_dir)
    problems: list[Problem] = []
    if model is None:
        examples, problems = _read_training(content_dir, settings.examples, nlu_file)
        if not checked or any(p.severity == "error" for p in problems):
            return lexicon, problems
        model = train_model(examples, lexicon)
        if cache_key is not None:
            model_cache.store(cache_key, model, cache_dir)
    signal = ModelSignal(model, settings.check_threshold, settings.crisis_threshold)
    return replace(lexicon, model=signal), problems


def train_model(examples: list[LabelledExample], lexicon: Lexicon) -> SafetyModel:
    """Train the model on labelled examples (check lines are left out), on normalised words."""
    words = lexicon.normaliser.words
    return train(
        Example(words(e.text), e.label == "crisis", e.category)
        for e in examples
        if e.label != "check"
    )


def training_examples(
    content_dir: Path, nlu_examples: Path = NLU_EXAMPLES
) -> list[LabelledExample]:
    """Every example the model learns from: safety_examples.yml plus the NLU messages."""
    everyday = nlu_examples if nlu_examples.exists() else None
    return _read_training(content_dir, EXAMPLES_FILE, everyday)[0]


def _read_training(
    content_dir: Path, examples_file: str, nlu_file: Path | None
) -> tuple[list[LabelledExample], list[Problem]]:
    examples, problems = read_examples(content_dir / examples_file)
    if nlu_file is not None:
        everyday, more = read_nlu_examples(nlu_file)
        examples, problems = examples + everyday, problems + more
    return examples, problems


def read_nlu_examples(path: Path) -> tuple[list[LabelledExample], list[Problem]]:
    """Read the NLU messages (generated from nlu/data; NLU_EXAMPLES), set name `nlu`."""
    display = NLU_EXAMPLES_DISPLAY if path == NLU_EXAMPLES else str(path)
    doc, problems = _examples_file(
        path,
        "`model: nlu_examples`",
        "run: .venv/bin/python scripts/build_safety_examples.py",
        display,
    )
    if doc is None:
        return [], problems
    data = doc.data if isinstance(doc.data, Mapping) else {}
    examples: list[LabelledExample] = []
    for label in ("crisis", "none"):
        items = data.get(label)
        if not isinstance(items, list) or not all(isinstance(t, str | int) for t in items):
            problems.append(
                Problem(
                    display,
                    doc.lines.line((label,)),
                    f"'{label}' must be a list of messages",
                    "run: .venv/bin/python scripts/build_safety_examples.py",
                )
            )
            continue
        examples += [LabelledExample(str(t), label, None, (), NLU_SET) for t in items]
    return examples, problems


def _examples_file(
    path: Path, named_by: str, hint: str, display: str | None = None
) -> tuple[YamlDoc | None, list[Problem]]:
    """Load an examples file; a missing file is a problem that says how to get it back."""
    display = display or f"content/{path.name}"
    if not path.exists():
        missing = f"file is missing; safety.yml {named_by} names it"
        return None, [Problem(display, None, missing, hint)]
    return load_yaml(path, display)


def read_examples(path: Path) -> tuple[list[LabelledExample], list[Problem]]:
    """Read and check content/safety_examples.yml; every problem with its line."""
    display = f"content/{path.name}"
    doc, problems = _examples_file(
        path, "`model:`", "restore it from git or remove the `model:` section"
    )
    if doc is None:
        return [], problems

    def problem(where: PathKey, message: str, hint: str = "") -> None:
        problems.append(Problem(display, doc.lines.line(where), message, hint))

    data = doc.data if isinstance(doc.data, Mapping) else {}
    for key in data:
        if key != "examples":
            problem((key,), f"unknown key '{key}'", "the file has one key: examples")
    items = data.get("examples")
    if not isinstance(items, list):
        problem(
            ("examples",), "'examples' must be a list", "start each example with '- {text: ...'"
        )
        return [], problems
    examples: list[LabelledExample] = []
    labels: dict[str, str] = {}
    for i, item in enumerate(items):
        example = _example(item, ("examples", i), problem)
        if example is None:
            continue
        key = example.set_name + "|" + " ".join(fold(example.text).split())
        if labels.get(key, example.label) != example.label:
            problem(
                ("examples", i),
                f"'{example.text}' is labelled both {labels[key]} and {example.label}"
                f" in set '{example.set_name}'",
                "one message gets one label within a set",
            )
        labels[key] = example.label
        examples.append(example)
    counts = {label: sum(e.label == label for e in examples) for label in LABELS}
    counts.update({c.value: sum(e.category == c for e in examples) for c in Category})
    for name in ("crisis", "none", *(c.value for c in Category)):
        if counts[name] < MIN_EXAMPLES:
            problem(
                ("examples",),
                f"only {counts[name]} examples of '{name}'; the model needs {MIN_EXAMPLES}",
                "add examples written the way pupils write",
            )
    return examples, problems


PathKey = tuple[str | int, ...]


def _example(
    item: Any, path: PathKey, problem: Callable[[PathKey, str, str], None]
) -> LabelledExample | None:
    if not isinstance(item, Mapping):
        problem(path, "an example must be a mapping", "{text: ..., label: ..., set: ...}")
        return None
    unknown = sorted(str(k) for k in item if k not in _EXAMPLE_KEYS)
    if unknown:
        problem(
            path,
            "unknown key(s): " + ", ".join(unknown),
            "allowed: " + ", ".join(sorted(_EXAMPLE_KEYS)),
        )
    text, label, category = item.get("text"), item.get("label"), item.get("category")
    ok = True
    if not isinstance(text, str | int) or not str(text).strip():
        problem((*path, "text"), "the example has no text", "write the message in 'text'")
        ok = False
    if label not in LABELS:
        problem((*path, "label"), f"label '{label}' is not valid", "use crisis, none or check")
        ok = False
    chosen: Category | None = None
    if label == "crisis":
        try:
            chosen = Category(str(category))
        except ValueError:
            problem(
                (*path, "category"),
                f"a crisis example needs a valid category, not '{category}'",
                "use one of: " + ", ".join(Category),
            )
            ok = False
    elif category is not None:
        problem((*path, "category"), f"a '{label}' example has no category", "remove 'category'")
    also: list[Category] = []
    for j, name in enumerate(item.get("also") or ()):
        try:
            also.append(Category(str(name)))
        except ValueError:
            problem(
                (*path, "also", j),
                f"unknown category '{name}'",
                "use one of: " + ", ".join(Category),
            )
    origin = item.get("set", "editors")
    if not isinstance(origin, str) or not _RULE_ID.match(origin):
        problem(
            (*path, "set"), f"set '{origin}' is not valid", "use lowercase letters, digits and '_'"
        )
        ok = False
    if not ok:
        return None
    return LabelledExample(str(text), str(label), chosen, tuple(also), str(origin))


def _spellings(r: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for word, variants in data.items():
        target = canonical_word(fold(str(word)))
        for variant in r.strings(variants, ("normalise", "spellings", word)):
            key = canonical_word(fold(variant))
            if key in result and result[key] != target:
                r.problem(
                    ("normalise", "spellings", word),
                    f"'{variant}' is listed as a spelling of both '{word}' and another word",
                    "keep it under one word only",
                )
            if key != target:
                result[key] = target
    return result


def _macros(r: _Reader, compiler: PatternCompiler, data: Mapping[str, Any]) -> None:
    for name, alternatives in data.items():
        path = ("words", name)
        if not _RULE_ID.match(str(name)):
            r.problem(
                path,
                f"building block name '{name}' is not valid",
                "use lowercase letters, digits and '_'",
            )
        texts = r.strings(alternatives, path)
        for i, alternative in enumerate(texts):
            if "@" in alternative or "..." in alternative:
                r.problem(
                    (*path, i),
                    f"'{alternative}': building blocks cannot use '@' or '...'",
                    "write the words out",
                )
        usable = [a for a in texts if "@" not in a and "..." not in a]
        for failure in compiler.macro(str(name), usable):
            r.problem(path, failure, _SYNTAX_HINT)


_SYNTAX_HINT = "see the syntax explained at the top of content/safety.yml"


def _rules(r: _Reader, compiler: PatternCompiler, data: Mapping[str, Any]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for category_name, entries in data.items():
        path: tuple[str | int, ...] = ("rules", category_name)
        category = _category(r, category_name, path)
        if not isinstance(entries, list):
            r.problem(
                path,
                f"the rules of '{category_name}' must be a list",
                "start each rule with '- id: ...'",
            )
            continue
        for i, entry in enumerate(entries):
            rule = _rule(r, compiler, entry, (*path, i), category, seen)
            if rule is not None:
                rules.extend(rule)
    for category in Category:
        if not any(rule.category == category and rule.level == "crisis" for rule in rules):
            r.problem(
                ("rules",),
                f"category '{category}' has no crisis rule",
                "every category needs at least one rule with level: crisis",
            )
    return tuple(rules)


def _rule(
    r: _Reader,
    compiler: PatternCompiler,
    entry: Any,
    path: tuple[str | int, ...],
    category: Category | None,
    seen: set[str],
) -> list[Rule] | None:
    data = r.mapping(entry, path)
    allowed = {"id", "level", "patterns", "negation", "note"}
    for key in data:
        if key not in allowed:
            r.problem(
                (*path, key),
                f"unknown key '{key}' in a rule",
                "allowed: " + ", ".join(sorted(allowed)),
            )
    rule_id = str(data.get("id", ""))
    if not _RULE_ID.match(rule_id):
        r.problem(
            path,
            f"rule id '{rule_id}' is missing or not valid",
            "use lowercase letters, digits and '_'",
        )
    elif rule_id in seen:
        r.problem((*path, "id"), f"rule id '{rule_id}' is used twice", "rename one of them")
    seen.add(rule_id)
    level = data.get("level")
    if level not in ("crisis", "check"):
        r.problem((*path, "level"), f"level '{level}' is not valid", "use crisis or check")
    negation = data.get("negation", "check")
    if negation not in ("check", "none", "ignore"):
        r.problem(
            (*path, "negation"),
            f"negation '{negation}' is not valid",
            "use check (default), none or ignore",
        )
    patterns = r.strings(data.get("patterns"), (*path, "patterns"))
    if not patterns:
        r.problem(path, f"rule '{rule_id}' has no patterns", "add a 'patterns:' list")
    compiled = _compile_all(r, compiler, patterns, (*path, "patterns"))
    if category is None or level not in ("crisis", "check") or not compiled:
        return None
    negated: Level | None = None if negation == "ignore" else negation
    rules = []
    for pattern, regex, literal in compiled:
        found = compiler.anchors(pattern)
        words = None if found is None else frozenset(w for w in found if not w.endswith("*"))
        prefixes = () if found is None else tuple(sorted(w[:-1] for w in found if w.endswith("*")))
        rules.append(Rule(rule_id, category, level, regex, negated, literal, words, prefixes))
    return rules


def _compile_all(
    r: _Reader, compiler: PatternCompiler, patterns: list[str], path: tuple[str | int, ...]
) -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    compiled = []
    for j, pattern in enumerate(patterns):
        try:
            compiled.append((pattern, *compiler.pattern(pattern)))
        except (PatternError, re.error) as exc:
            r.problem((*path, j), f"pattern '{pattern}' cannot be used: {exc}", _SYNTAX_HINT)
    return compiled


def _harmless(r: _Reader, compiler: PatternCompiler, data: Any) -> tuple[Harmless, ...]:
    if not isinstance(data, list):
        r.problem(("harmless",), "'harmless' must be a list", "start each entry with '- id: ...'")
        return ()
    result: list[Harmless] = []
    for i, entry in enumerate(data):
        path: tuple[str | int, ...] = ("harmless", i)
        item = r.mapping(entry, path)
        cap = item.get("cap", "none")
        if cap not in ("none", "check"):
            r.problem((*path, "cap"), f"cap '{cap}' is not valid", "use none or check")
            continue
        patterns = r.strings(item.get("patterns"), (*path, "patterns"))
        for _, regex, _ in _compile_all(r, compiler, patterns, (*path, "patterns")):
            name = str(item.get("id", f"harmless_{i}"))
            result.append(Harmless(name, regex, cap, final=item.get("final") is True))
    return tuple(result)


def _contexts(r: _Reader, compiler: PatternCompiler, data: Any) -> tuple[Context, ...]:
    if not isinstance(data, list):
        r.problem(("contexts",), "'contexts' must be a list", "start each entry with '- id: ...'")
        return ()
    result = []
    for i, entry in enumerate(data):
        path: tuple[str | int, ...] = ("contexts", i)
        item = r.mapping(entry, path)
        cap = item.get("cap", "check")
        if cap not in ("none", "check"):
            r.problem((*path, "cap"), f"cap '{cap}' is not valid", "use none or check")
            continue
        categories = frozenset(_categories(r, item.get("categories"), (*path, "categories")))
        words = r.strings(item.get("words"), (*path, "words"))
        compiled = _compile_all(r, compiler, words, (*path, "words"))
        if compiled and categories:
            regex = re.compile("|".join(f"(?:{c.pattern})" for _, c, _ in compiled))
            result.append(Context(str(item.get("id", f"context_{i}")), regex, categories, cap))
    return tuple(result)


def _frames(r: _Reader, data: Any, concepts: Mapping[str, Concept]) -> tuple[Frame, ...]:
    """Frames: a family near a match of the listed categories lowers it to `cap`."""
    if data is None:
        return ()
    if not isinstance(data, list):
        r.problem(("concepts", "frames"), "'frames' must be a list", "- {family: ..., ...}")
        return ()
    frames = []
    for i, entry in enumerate(data):
        path: tuple[str | int, ...] = ("concepts", "frames", i)
        item = r.mapping(entry, path)
        family, cap = str(item.get("family", "")), item.get("cap", "check")
        categories = frozenset(_categories(r, item.get("categories"), (*path, "categories")))
        if family not in concepts:
            r.problem(path, f"unknown family '{family}'", "define it under concepts: families")
        elif cap not in ("none", "check"):
            r.problem((*path, "cap"), f"cap '{cap}' is not valid", "use none or check")
        elif categories:
            frames.append(Frame(family, categories, cap))
    return tuple(frames)


def _concepts(
    r: _Reader, compiler: PatternCompiler, data: Mapping[str, Any]
) -> tuple[dict[str, Concept], tuple[NetRule, ...]]:
    """The concept families and the net rules that combine them."""
    for key in data:
        if key not in ("families", "net", "frames", "frame_window"):
            r.problem(
                ("concepts", key),
                f"unknown key '{key}'",
                "allowed: families, net, frames, frame_window",
            )
    concepts: dict[str, Concept] = {}
    families = r.mapping(data.get("families"), ("concepts", "families"))
    for name, items in families.items():
        path: tuple[str | int, ...] = ("concepts", "families", name)
        if not _RULE_ID.match(str(name)):
            r.problem(path, f"family name '{name}' is not valid", "use lowercase letters and '_'")
        texts = r.strings(items, path)
        if not texts:
            r.problem(path, f"family '{name}' has no words", "list its words and phrases")
        family, failed = compiler.family(texts)
        for failure in failed:
            r.problem(path, failure, _SYNTAX_HINT)
        concepts[str(name)] = Concept(
            str(name),
            frozenset(family.words),
            tuple(sorted(family.prefixes)),
            family.regex,
            None if family.unanchored else frozenset(family.anchors),
            tuple(sorted(family.anchor_prefixes)),
        )
    net: list[NetRule] = []
    seen: set[str] = set()
    for category_name, entries in r.mapping(data.get("net"), ("concepts", "net")).items():
        path = ("concepts", "net", category_name)
        category = _category(r, category_name, path)
        if not isinstance(entries, list):
            r.problem(path, "net rules must be a list", "start each rule with '- id: ...'")
            continue
        for i, entry in enumerate(entries):
            rule = _net_rule(r, r.mapping(entry, (*path, i)), (*path, i), category, concepts)
            if rule is not None and rule.id in seen:
                r.problem((*path, i, "id"), f"net rule id '{rule.id}' is used twice")
            elif rule is not None:
                seen.add(rule.id)
                net.append(rule)
    return concepts, tuple(net)


_NET_KEYS = {"id", "level", "needs", "within", "unless", "cap", "negation", "despite", "note"}


def _net_rule(
    r: _Reader,
    data: Mapping[str, Any],
    path: tuple[str | int, ...],
    category: Category | None,
    concepts: Mapping[str, Concept],
) -> NetRule | None:
    for key in data:
        if key not in _NET_KEYS:
            r.problem(
                (*path, key), f"unknown key '{key}' in a net rule", ", ".join(sorted(_NET_KEYS))
            )
    rule_id = str(data.get("id", ""))
    if not _RULE_ID.match(rule_id):
        r.problem(path, f"net rule id '{rule_id}' is missing or not valid", "use a-z, 0-9 and '_'")
    level, cap, negation = data.get("level"), data.get("cap", "none"), data.get("negation", "check")
    if level not in ("crisis", "check"):
        r.problem((*path, "level"), f"level '{level}' is not valid", "use crisis or check")
    if cap not in ("none", "check"):
        r.problem((*path, "cap"), f"cap '{cap}' is not valid", "use none or check")
    if negation not in ("check", "none", "ignore"):
        r.problem((*path, "negation"), f"negation '{negation}' is not valid", "check, none, ignore")
    needs = r.strings(data.get("needs"), (*path, "needs"))
    unless = r.strings(data.get("unless"), (*path, "unless"))
    despite = r.strings(data.get("despite"), (*path, "despite"))
    if not needs:
        r.problem((*path, "needs"), "a net rule needs at least one family", "e.g. [death, wish]")
    for name in [*needs, *unless]:
        if name not in concepts:
            r.problem(path, f"unknown family '{name}'", "define it under concepts: families")
    within = _int(r, data.get("within", 8), (*path, "within"), 1, 30)
    if (
        category is None
        or level not in ("crisis", "check")
        or cap not in ("none", "check")
        or negation not in ("check", "none", "ignore")
        or not needs
        or any(name not in concepts for name in [*needs, *unless])
    ):
        return None
    return NetRule(
        rule_id,
        category,
        level,
        tuple(needs),
        within,
        tuple(unless),
        cap,
        None if negation == "ignore" else negation,
        frozenset(despite),
    )


def _category(r: _Reader, name: Any, path: tuple[str | int, ...]) -> Category | None:
    try:
        return Category(str(name))
    except ValueError:
        r.problem(path, f"unknown category '{name}'", "use one of: " + ", ".join(Category))
        return None


def _categories(r: _Reader, data: Any, path: tuple[str | int, ...]) -> list[Category]:
    found = [_category(r, name, (*path, i)) for i, name in enumerate(r.strings(data, path))]
    return [c for c in found if c is not None]


def _int(r: _Reader, value: Any, path: tuple[str | int, ...], low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    r.problem(path, f"'{path[-1]}' must be a whole number from {low} to {high}")
    return low


def _nlu(r: _Reader, data: Mapping[str, Any]) -> NluSignal:
    default = NluSignal()
    values = {}
    for key in ("check_threshold", "crisis_threshold", "confirm_threshold"):
        value = data.get(key, getattr(default, key))
        if key != "check_threshold" and value in ("never", math.inf):
            value = math.inf  # never: the NLU does not give (or confirm) the crisis reply
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            r.problem(("nlu", key), f"'{key}' must be a number between 0 and 1")
            value = getattr(default, key)
        values[key] = float(value)
    if values["check_threshold"] > values["crisis_threshold"]:
        r.problem(
            ("nlu",),
            "check_threshold is higher than crisis_threshold",
            "the check threshold must be the lower one",
        )
    category = _category(r, data.get("category", default.category), ("nlu", "category"))
    quiet = data.get("quiet_in_everyday", default.quiet_in_everyday)
    if not isinstance(quiet, bool):
        r.problem(("nlu", "quiet_in_everyday"), "'quiet_in_everyday' must be true or false")
        quiet = default.quiet_in_everyday
    return NluSignal(
        str(data.get("intent", default.intent)),
        values["check_threshold"],
        values["crisis_threshold"],
        category or default.category,
        values["confirm_threshold"],
        quiet,
    )


def _helplines(r: _Reader, data: Mapping[str, Any]) -> tuple[tuple[Helpline, ...], str]:
    intro = str(data.get("intro", ""))
    lines: list[Helpline] = []
    entries = data.get("lines")
    if not isinstance(entries, list) or not entries:
        r.problem(
            ("helplines",),
            "'helplines' needs a non-empty 'lines' list",
            "list 112, 1813, 102, 1712 and 106 with their sources",
        )
        return (), intro
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        path: tuple[str | int, ...] = ("helplines", "lines", i)
        item = r.mapping(entry, path)
        missing = [f for f in HELPLINE_FIELDS if not str(item.get(f, "")).strip()]
        if missing:
            r.problem(
                path,
                "help line is missing: " + ", ".join(missing),
                "every fact needs its source and a review date",
            )
            continue
        if str(item["id"]) in seen:
            r.problem((*path, "id"), f"help line id '{item['id']}' is used twice")
        seen.add(str(item["id"]))
        if not _DATE.match(str(item["reviewed"])):
            r.problem(
                (*path, "reviewed"),
                "'reviewed' must be a date like 2025-01-31",
                "put the date in quotes",
            )
        if str(item["number"]) not in str(item["text"]):
            r.problem(
                (*path, "text"),
                f"the text does not mention the number {item['number']}",
                "pupils must see the number itself",
            )
        verified = item.get("hours_verified", False)
        if not isinstance(verified, bool):
            r.problem((*path, "hours_verified"), "'hours_verified' must be true or false")
        lines.append(
            Helpline(
                str(item["id"]),
                str(item["name"]),
                str(item["number"]),
                str(item["for"]),
                str(item["hours"]),
                str(item["url"]),
                str(item["source"]),
                str(item["reviewed"]),
                str(item["text"]),
                verified is True,
            )
        )
    return tuple(lines), intro


__all__ = ["LabelledExample", "PatternError", "load", "read_examples", "train_model"]
