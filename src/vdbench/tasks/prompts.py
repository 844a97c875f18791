"""Every prompt vdbench sends, as data: one template file per prompt in `tasks/templates/`,
with named placeholders in Python's str.format syntax (`{action_description}`; a literal brace
is written twice, `{{` and `}}`). A template is its file's text, verbatim (a final newline is
part of it).

A benchmark may bring its own templates: a `TemplateRegistry` (its placeholder specs and the
folder of its files), passed to `PromptSet.from_dir(DIR, registry)` and `PromptSet.default`;
vdbench's registry (`DEFAULT_REGISTRY`, VidDiffBench's templates) is the default.

`PromptSet.from_dir(DIR)` is vdbench's set with every file of DIR named like one of ours
(`closed.txt`, ...) in place of ours: `--prompts DIR`. A user's template is checked when it is
read: its name must be one of ours, and its placeholders those the template is filled with
(`PLACEHOLDERS`): none unknown, none of the required ones missing. Each template is hashed
(sha256 of its text); models and judges record the hashes of the templates they use.
docs/protocol.md ("Prompts") lists the templates and their placeholders.
"""

from __future__ import annotations

import functools
import hashlib
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vdbench.core.errors import InputError

SUFFIX = ".txt"
HASH_CHARS = 16
PACKAGED_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Placeholders:
    """What a template is filled with. `required` must each appear; `optional` may; of each
    group in `one_of` at least one must appear (the same content in two formats, so that a
    published prompt can be written exactly). The types are those of the values passed."""

    required: Mapping[str, type] | None = None
    optional: Mapping[str, type] | None = None
    one_of: tuple[Mapping[str, type], ...] = ()

    def __post_init__(self) -> None:  # read-only, like the rest of this module's data
        for name in ("required", "optional"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name) or {})))
        object.__setattr__(self, "one_of", tuple(MappingProxyType(dict(g)) for g in self.one_of))

    def types(self) -> dict[str, type]:
        out = {**(self.required or {}), **(self.optional or {})}
        for group in self.one_of:
            out.update(group)
        return out


# Every template vdbench sends, by name (the file is NAME.txt), and the values it is given.
PLACEHOLDERS: Mapping[str, Placeholders] = MappingProxyType({
    # tasks.closed: each annotated difference, a or b?
    "closed": Placeholders(
        required={"action_description": str, "video_layout": str, "differences": str},
        optional={"example": str, "full_example": str}),
    # tasks.open: the model names the differences itself
    "open": Placeholders(
        required={"action_description": str, "video_layout": str, "n_differences": int}),
    # the {video_layout} of closed and open: how the frames of the two videos are given
    # ({fps_int}: video b's rate as the reference prints it, int(fps_original / step))
    "video_layout": Placeholders(
        optional={"n_a": int, "n_b": int, "fps_a": float, "fps_b": float, "fps_int": int}),
    # ... and how the two videos are given to a model shown videos (Gemini's uploads, vLLM)
    "video_layout_video": Placeholders(
        optional={"n_a": int, "n_b": int, "fps_a": float, "fps_b": float, "fps_int": int}),
    # scoring.judge.llm: match annotated to predicted differences
    # ({gt_keys}: the annotated keys in prompt order; {gt_keys_sorted}, {pred_keys}: in
    # numeric order, as the reference lists them)
    "judge_match": Placeholders(
        required={"action": str, "gt": str, "pred": str},
        optional={"pred_keys": str, "last_index": int},
        one_of=({"gt_keys": str, "gt_keys_sorted": str},)),
    # scoring.judge.llm: does a matched prediction state the opposite?
    "judge_direction": Placeholders(
        optional={"n": int}, one_of=({"pairs": str, "pairs_list": str},)),
    # models.viddiff, stage 1 (proposer): differences to look for (open mode)
    "viddiff_differences": Placeholders(required={"action": str, "n": int}),
    # stage 1: the action's sub-action stages and their retrieval strings
    # (the reference's states its stage limit in words: {max_stages} may be left out)
    "viddiff_stages": Placeholders(
        required={"action": str, "n_strings": int}, optional={"max_stages": int}),
    # stage 1 (refine_retrieval): the same stages, keeping the strings that tell them apart
    "viddiff_refine": Placeholders(required={"action": str, "stages": str}),
    # stage 1: which stages show which difference
    "viddiff_links": Placeholders(
        required={"action": str, "stages": str, "differences": str}),
    # stage 3 (differencer): the text before the frames ...
    "viddiff_differencer_intro": Placeholders(required={"action": str}),
    # ... and the question after them
    "viddiff_differencer_question": Placeholders(
        optional={"n_a": int, "times_a": str, "n_b": int, "times_b": str},
        one_of=({"description": str, "query_string": str},)),
    # stage 3 under the reference's layout: the whole text before the frames, for one frame
    # of each video ...
    "viddiff_differencer_one": Placeholders(
        required={"action": str}, one_of=({"description": str, "query_string": str},)),
    # ... and for several ({time_diff}: seconds between a video's frames, "0.38")
    "viddiff_differencer_several": Placeholders(
        required={"action": str}, optional={"n_a": int, "n_b": int, "time_diff": str},
        one_of=({"description": str, "query_string": str},)),
    # stage 3: the differencer's system prompt
    "viddiff_system": Placeholders(),
})

@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per benchmark
class TemplateRegistry:
    """The templates a benchmark sends: name -> placeholders, each read from
    `directory/NAME.txt`."""

    placeholders: Mapping[str, Placeholders]
    directory: Path

    def spec(self, name: str) -> Placeholders:
        return self.placeholders[name]


DEFAULT_REGISTRY = TemplateRegistry(PLACEHOLDERS, PACKAGED_DIR)

# A value of each type to try a template with when it is read, so that a format spec that
# does not fit its value (`{action:d}`) is reported before the run, not in the middle of it.
_PROBES: Mapping[type, Any] = MappingProxyType({str: "text", int: 2, float: 2.5})


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    source: str  # "vdbench" or the user's file
    # what it is filled with; None: vdbench's registry (PLACEHOLDERS[name])
    placeholders: Placeholders | None = field(default=None, compare=False, repr=False)

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(_fields(self.text))

    def render(self, **values: Any) -> str:
        """Fill the template. The caller passes every value the template may use (a
        programming error otherwise); the template uses those it names."""
        expected = (self.placeholders or PLACEHOLDERS[self.name]).types()
        if set(values) != set(expected):
            raise TypeError(f"template {self.name!r} is filled with {sorted(expected)}, "
                            f"got {sorted(values)}")
        try:
            return self.text.format(**values)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise InputError(f"prompt template {self.source}: cannot be filled "
                             f"({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class PromptSet:
    """The templates of one run: vdbench's, with those of `directory` in their place."""

    templates: tuple[Template, ...]
    directory: Path | None = None

    @classmethod
    def from_dir(cls, user_dir: Path | None,
                 registry: TemplateRegistry = DEFAULT_REGISTRY) -> PromptSet:
        if user_dir is None:
            return _packaged(registry)
        base = _packaged(registry)
        found = _read_user_dir(Path(user_dir), registry)
        return cls(tuple(found.get(t.name, t) for t in base.templates), Path(user_dir))

    @classmethod
    def default(cls, registry: TemplateRegistry = DEFAULT_REGISTRY) -> PromptSet:
        return _packaged(registry)

    def load(self, name: str) -> Template:
        for template in self.templates:
            if template.name == name:
                return template
        known = ", ".join(t.name for t in self.templates)
        raise KeyError(f"no prompt template {name!r}; known: {known}")

    def render(self, name: str, **values: Any) -> str:
        return self.load(name).render(**values)

    def hashes(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """Template name -> sha256 of its text (16 hex digits)."""
        chosen = list(names) if names is not None else [t.name for t in self.templates]
        return {name: self.load(name).hash for name in chosen}

    def digest(self, names: Iterable[str] | None = None) -> str:
        """One hash of the named templates (all by default), names included."""
        chosen = sorted(names) if names is not None else [t.name for t in self.templates]
        spec = "\n".join(f"{name}\0{hashlib.sha256(self.load(name).text.encode()).hexdigest()}"
                         for name in chosen)
        return text_hash(spec)

    def joint_hash(self, names: Iterable[str], sep: str = "") -> str:
        """The hash of the named templates' texts joined by `sep`, in the given order: how a
        model's `prompt_hash` is computed, unchanged since prompts were Python strings, so that
        runs recorded before and after compare equal."""
        return text_hash(sep.join(self.load(name).text for name in names))

    def overridden(self) -> list[str]:
        """The names whose template comes from the user's folder."""
        return [t.name for t in self.templates if t.source != "vdbench"]


@functools.lru_cache(maxsize=8)
def _packaged(registry: TemplateRegistry = DEFAULT_REGISTRY) -> PromptSet:
    templates = []
    for name, spec in registry.placeholders.items():
        path = registry.directory / f"{name}{SUFFIX}"
        text = path.read_text(encoding="utf-8")
        problems = check_template(name, text, registry)
        if problems:  # a packaging mistake, never the user's
            raise RuntimeError(f"vdbench's template {path}: {'; '.join(problems)}")
        templates.append(Template(name, text, "vdbench", spec))
    return PromptSet(tuple(templates))


def _read_user_dir(user_dir: Path, registry: TemplateRegistry = DEFAULT_REGISTRY
                   ) -> dict[str, Template]:
    if not user_dir.is_dir():
        raise InputError(f"--prompts {user_dir}: not a folder")
    known = [f"{name}{SUFFIX}" for name in registry.placeholders]
    found: dict[str, Template] = {}
    problems: list[str] = []
    for path in sorted(user_dir.iterdir()):
        if path.name.startswith("."):  # .DS_Store, editor swap files
            continue
        name = path.name.removesuffix(SUFFIX)
        if path.name not in known or not path.is_file():
            problems.append(f"{path}: not a template name; known: {', '.join(known)}")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot be read as UTF-8 text ({exc})")
            continue
        problems += [f"{path}: {p}" for p in check_template(name, text, registry)]
        found[name] = Template(name, text, str(path), registry.spec(name))
    if problems:
        raise InputError(f"--prompts {user_dir}: {len(problems)} problem(s)", problems=problems)
    return found


def _fields(text: str) -> list[str]:
    """The field names of a format string, nested ones (`{x:{width}}`) included. Raises
    ValueError for a malformed one (a single `{` or `}`)."""
    names: list[str] = []
    for _, field_name, spec, _ in string.Formatter().parse(text):
        if field_name is not None:
            names.append(field_name)
        if spec and "{" in spec:
            names += _fields(spec)
    return names


def _braces(names: Iterable[str]) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names))


def check_template(name: str, text: str,
                   registry: TemplateRegistry = DEFAULT_REGISTRY) -> list[str]:
    """What is wrong with `text` as template `name`: [] when it can be used."""
    spec = registry.spec(name)
    try:
        used = _fields(text)
    except ValueError as exc:
        return [f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}"]
    problems: list[str] = []
    plain = {n for n in used if n.isidentifier()}
    odd = sorted({n for n in used if not n.isidentifier()})
    if odd:
        problems.append("placeholders must be plain names, not "
                        + ", ".join("{" + n + "}" for n in odd)
                        + "; write a literal brace as {{ or }}")
    types = spec.types()
    unknown = plain - set(types)
    missing = set(spec.required or {}) - plain
    unmet = [group for group in spec.one_of if not plain & set(group)]
    if missing or unmet:
        text_missing = [_braces(missing)] if missing else []
        text_missing += [" or ".join("{" + n + "}" for n in group) for group in unmet]
        problems.append(f"missing placeholder(s) {'; '.join(text_missing)}")
    if unknown:
        problems.append(f"unknown placeholder(s) {_braces(unknown)}")
    if unknown or missing or unmet or odd:
        problems[-1] += f" (template {name!r} takes: {describe(name, registry)})"
        return problems
    try:
        text.format(**{n: _PROBES[t] for n, t in types.items()})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        problems.append(f"cannot be filled ({type(exc).__name__}: {exc})")
    return problems


def describe(name: str, registry: TemplateRegistry = DEFAULT_REGISTRY) -> str:
    """The placeholders of template `name`, for messages and docs."""
    spec = registry.spec(name)
    parts = []
    if spec.required:
        parts.append(f"required {_braces(spec.required)}")
    for group in spec.one_of:
        parts.append("one of " + " or ".join("{" + n + "}" for n in group))
    if spec.optional:
        parts.append(f"optional {_braces(spec.optional)}")
    return "; ".join(parts) or "no placeholders"
