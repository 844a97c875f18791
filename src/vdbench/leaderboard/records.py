"""Leaderboard rows from what is recorded: submissions/NAME/ and runs/*/results.json. Each row
names its benchmark (results.benchmark); the leaderboard gives each benchmark its own section
with its own columns (layout.py)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from vdbench.core.errors import InputError
from vdbench.core.results import VIDDIFFBENCH, Results
from vdbench.data.loader import is_mini
from vdbench.data.viddiffbench_facts import SPLITS
from vdbench.leaderboard.layout import layout_of
from vdbench.scoring.judge.select import judge_heading

OPEN_ERRORS = ("err_nomatch", "err_flippedpred")
Z95 = 1.959963984540054
# Recorded provenance kept on a row; anything else (paths, scratch folders) stays out.
PROVENANCE_KEYS = ("vdbench_version", "revision", "selection", "seed", "frame_sampling",
                   "model", "prompt_hash", "skipped_missing_videos", "created")
SUBSET_KEYS = ("domain", "action", "per_action", "limit")
# What provenance.model records about a run rather than about the configuration (calls, costs,
# cache hits per stage): never part of a row's identity.
RUN_STATS = ("stages",)
# The frame settings a run chose; target_fps is derived from fps and fps_by_domain.
DERIVED_FRAME_KEYS = ("target_fps",)
VIEW_PAGE = ("view", "index.html")  # written into a run folder by `vdbench view RUN`
Source = Literal["submission", "run", "paper"]


class RecordError(ValueError):
    """A recorded folder that is not a usable vdbench result; it is skipped with this reason."""


@dataclass(frozen=True)
class Cell:
    """One metric value (a fraction) with what is known about its uncertainty."""

    value: float
    ci95: tuple[float, float] | None = None
    p_vs_chance: float | None = None
    n_scored: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": list(self.ci95) if self.ci95 else None,
                "p_vs_chance": self.p_vs_chance, "n_scored": self.n_scored}


@dataclass
class Row:
    id: str  # "submission:NAME", "run:FOLDER" or "paper:MODEL"
    source: Source
    method: str
    mode: str
    dataset: str  # a hub id, "mini", or "local folder"
    revision: str
    judge: str | None
    splits: dict[str, Cell]  # only the splits the record covers
    average: Cell | None  # the paper's Average: unweighted mean of the three splits
    overall: Cell | None = None  # pooled over every scored difference
    coverage: float | None = None
    errors: dict[str, float] = field(default_factory=dict)  # open mode: err_nomatch, ...
    subset: str | None = None  # why the record is not the whole of its splits
    info: dict[str, str] = field(default_factory=dict)  # submission metadata
    judge_quality: dict[str, Any] | None = None  # the judge's figures on the held-out gold
    judge_text: str | None = None  # the judge for a reader: its name and models
    provenance: dict[str, Any] = field(default_factory=dict)
    # One configuration: the model and its options, protocol, seed, dataset, revision, judge,
    # selection. Same config = reruns of one another, and the newest run is kept.
    config: str = ""
    family: str = ""  # the config without the seed: rows that differ only in their seed
    options: dict[str, Any] = field(default_factory=dict)  # the model's settings, flattened
    seed: int | None = None  # the seed the model ran with (None: no model ran, e.g. a file)
    protocol: str | None = None  # provenance.protocol.name
    prompt_set: str | None = None  # hash of the model's prompt hashes: tables never mix sets
    label: str = ""  # the method and what tells it apart from rows of the same method
    seed_spread: dict[str, Any] | None = None  # mean and sd over the seeds of its family
    view_file: Path | None = field(default=None, repr=False, compare=False)  # RUN/view/...
    viewer: str = ""  # link to view_file, relative to the leaderboard's folder (publish.py)
    rank: int | None = None
    failed: bool = False  # the record says complete: false (samples failed)
    benchmark: str = VIDDIFFBENCH  # results.benchmark: the leaderboard section it belongs to
    # Benchmarks other than VidDiffBench: their other columns by name (ViDiC-1K: the
    # difference and similarity accuracy, then one per question class); `overall` is the
    # headline metric, the ranked number.
    columns: dict[str, Cell] = field(default_factory=dict)
    chance: float | None = None  # the headline's chance level for this record (spec.chance)

    def __post_init__(self) -> None:
        self.label = self.label or self.method

    @property
    def created(self) -> str:
        return str(self.provenance.get("created", ""))

    @property
    def headline(self) -> Cell | None:
        """The number a row is ranked by: VidDiffBench's average of the splits, another
        benchmark's headline metric over the whole selection."""
        return self.average if self.benchmark == VIDDIFFBENCH else self.overall

    @property
    def complete(self) -> bool:
        return self.headline is not None and self.subset is None

    def to_json(self) -> dict[str, Any]:
        if self.benchmark != VIDDIFFBENCH:
            return {**self._json(), "benchmark": self.benchmark, "chance": self.chance,
                    "columns": {k: c.to_json() for k, c in self.columns.items()}}
        return self._json()

    def _json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "id": self.id, "source": self.source, "method": self.method,
            "mode": self.mode, "dataset": self.dataset, "revision": self.revision,
            "judge": self.judge, "splits": {s: c.to_json() for s, c in self.splits.items()},
            "average": self.average.to_json() if self.average else None,
            "overall": self.overall.to_json() if self.overall else None,
            "coverage": self.coverage, "errors": self.errors, "subset": self.subset,
            "info": self.info, "provenance": self.provenance, "label": self.label,
            "options": self.options, "seed": self.seed, "protocol": self.protocol,
            "seed_spread": self.seed_spread, "viewer": self.viewer or None,
        }


def split_average(splits: dict[str, Cell]) -> Cell | None:
    """Unweighted mean of easy, medium and hard, None unless all three are there. The splits
    are disjoint sets of pairs, so their errors are independent: the interval combines each
    split's bootstrap interval by a normal approximation."""
    if not all(s in splits for s in SPLITS):
        return None
    cells = [splits[s] for s in SPLITS]
    value = sum(c.value for c in cells) / 3
    ci = None
    intervals = [c.ci95 for c in cells if c.ci95 is not None]
    if len(intervals) == len(cells):
        se = math.sqrt(sum(((hi - lo) / (2 * Z95)) ** 2 for lo, hi in intervals)) / 3
        ci = (max(0.0, value - Z95 * se), min(1.0, value + Z95 * se))
    return Cell(value, ci)


def read_records(
    submissions_dir: Path | None, runs_dir: Path | None
) -> tuple[list[Row], list[dict[str, str]]]:
    """Every usable record as a row, and the ones skipped with their reason."""
    rows: list[Row] = []
    skipped: list[dict[str, str]] = []
    for source, root in (("submission", submissions_dir), ("run", runs_dir)):
        if root is None or not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] != "."):
            rid = f"{source}:{folder.name}"
            try:
                rows.append(_read_folder(folder, rid, source))  # type: ignore[arg-type]
            except RecordError as exc:
                skipped.append({"record": rid, "reason": str(exc)})
    return rows, skipped


def _read_folder(folder: Path, rid: str, source: Source) -> Row:
    results = _load(folder / "results.json")
    metadata = _load(folder / "metadata.json") if source == "submission" else {}
    row = row_from_results(results, rid, source, metadata)
    view = folder.joinpath(*VIEW_PAGE)
    if source == "run" and view.is_file():
        row.view_file = view
    return row


def _load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordError(f"no {path.name}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path.name}: unreadable ({exc})") from None
    if not isinstance(value, dict):
        raise RecordError(f"{path.name}: not a JSON object")
    return value


def row_from_results(
    value: Any, rid: str, source: Source, metadata: dict[str, Any] | None = None
) -> Row:
    try:
        results = value if isinstance(value, Results) else Results.from_json(value)
    except InputError as exc:
        raise RecordError(str(exc)) from None
    metric = results.headline_metric
    other = results.benchmark != VIDDIFFBENCH
    try:
        prov = results.provenance
        splits = {s: _cell(block, metric) for s in SPLITS
                  if isinstance(block := (results.by_split or {}).get(s), dict)
                  and block.get(metric) is not None}
        metrics = results.metrics
        overall = None
        if metrics.get(metric) is not None:
            overall = _cell({**metrics, "ci95": metrics.get("ci95", results.ci95),
                             "n_scored": results.n_scored}, metric)
        revision = str(prov["revision"])
        dataset = _dataset(prov.get("dataset"), revision)
        judge = judge_label(results.judge)
        judge_quality = (results.judge or {}).get("measured")
        errors = {k: float(v) for k in OPEN_ERRORS
                  if isinstance(v := metrics.get(k), (int, float))}
        coverage = float(results.coverage)
        columns = _columns(results) if other else {}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecordError(
            f"results.json: not a vdbench result ({type(exc).__name__}: {exc})") from None
    if not other and not splits:
        raise RecordError(f"results.json: no per-split {metric}")
    if other and overall is None:
        raise RecordError(f"results.json: no {metric}")
    method = str((metadata or {}).get("method") or _scrub(results.model))
    selection = prov.get("selection") or {"split": results.split}
    provenance = {k: _scrub(prov[k]) for k in PROVENANCE_KEYS if k in prov}
    provenance["dataset"] = dataset
    options = config_options(provenance)
    seed = _seed(prov) if "model" in prov else None  # a scored file ran no model
    protocol = protocol_name(prov.get("protocol"))
    family = [method, results.mode, dataset, revision, judge, selection, protocol, options]
    if other:  # VidDiffBench's identities are kept as they were
        family.insert(0, results.benchmark)
    return Row(
        id=rid, source=source, method=method, mode=results.mode, dataset=dataset,
        revision=revision, judge=judge, judge_quality=judge_quality,
        judge_text=judge_text(results.judge, results.benchmark), splits=splits,
        average=split_average(splits),
        overall=overall, coverage=coverage, errors=errors, subset=_subset(selection, prov),
        info={k: str(v) for k, v in sorted((metadata or {}).items())
              if k not in ("method", "mode", "benchmark") and v is not None},
        provenance=provenance,
        config=json.dumps([*family, seed], sort_keys=True, default=str),
        family=json.dumps(family, sort_keys=True, default=str),
        options=options, seed=seed, protocol=protocol, prompt_set=_prompt_set(prov),
        failed=not results.complete, benchmark=results.benchmark, columns=columns,
        chance=_chance(results) if other else None,
    )


def _columns(results: Results) -> dict[str, Cell]:
    """A benchmark's other columns, as its layout names them: metrics of the whole selection
    (a value each) and the groups of one breakdown (each with its interval and test)."""
    layout = layout_of(results.benchmark)
    metric = results.headline_metric
    out: dict[str, Cell] = {}
    for name in layout.metric_keys(results.metrics, metric):
        value = results.metrics.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = Cell(float(value))
    groups = (results.breakdowns or {}).get(layout.breakdown or "") or {}
    for name in layout.group_keys(groups):
        block = groups.get(name)
        if isinstance(block, dict) and block.get(metric) is not None:
            out[name] = _cell(block, metric)
    return out


def _chance(results: Results) -> float | None:
    from vdbench.benchmarks.catalog import get_benchmark

    try:
        return get_benchmark(results.benchmark).chance(results.mode, results.to_json())
    except InputError:  # a benchmark this vdbench does not know: no chance line
        return None


def config_options(provenance: dict[str, Any]) -> dict[str, Any]:
    """The settings a run was made with, flattened to dotted keys: provenance.model without
    its name, seed and run statistics (the VidDiff method's `config` block unprefixed, so
    `localizer`, not `config.localizer`), and the frame sampling as `frames.*`."""
    options: dict[str, Any] = {}
    model = provenance.get("model")
    if isinstance(model, dict):
        for key, value in model.items():
            if key not in ("name", "seed") and key not in RUN_STATS:
                nested = key == "config" and isinstance(value, dict) and value
                _flatten(options, "" if nested else f"{key}.", value)
    frames = provenance.get("frame_sampling")
    if isinstance(frames, dict):
        _flatten(options, "frames.", {k: v for k, v in frames.items()
                                      if k not in DERIVED_FRAME_KEYS})
    return dict(sorted(options.items()))


def _flatten(into: dict[str, Any], prefix: str, value: Any) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(into, f"{prefix}{key}.", item)
    else:
        into[prefix.rstrip(".")] = value


def _seed(prov: dict[str, Any]) -> int | None:
    seed = prov.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def protocol_name(protocol: Any) -> str | None:
    """provenance.protocol's name; records written before protocols were recorded have none."""
    if isinstance(protocol, dict):
        protocol = protocol.get("name")
    return str(protocol) if isinstance(protocol, (str, int, float)) and protocol != "" else None


def _cell(block: dict[str, Any], metric: str) -> Cell:
    ci = block.get("ci95")
    p = block.get("p_vs_chance")
    n = block.get("n_scored")
    return Cell(float(block[metric]), (float(ci[0]), float(ci[1])) if ci else None,
                float(p) if p is not None else None, int(n) if n is not None else None)


def judge_label(judge: Any) -> str | None:
    """One string per judge configuration: rows are only ranked together when it is equal."""
    if judge is None or judge == "":
        return None
    if isinstance(judge, (str, int, float)):
        return str(judge)
    if isinstance(judge, dict):  # a judge's identity(): its name first, then the settings
        name = judge.get("name")
        rest = ", ".join(f"{k}={judge_label(v)}" for k, v in sorted(judge.items())
                         if k not in ("name", "measured"))
        return f"{name} ({rest})" if name and rest else str(name or rest)
    return json.dumps(judge, sort_keys=True)


def judge_text(identity: Any, benchmark: str = VIDDIFFBENCH) -> str | None:
    """The judge for a reader: VidDiffBench's headings ("offline judge v5 (embedding)", an
    LLM judge's two models); another benchmark's one-model judge by its model ("LLM judge:
    gpt-5-mini") or its offline judge by name and version."""
    if benchmark != VIDDIFFBENCH and isinstance(identity, dict):
        name = str(identity.get("name") or "")
        if name.startswith("offline") and "backend" not in identity:
            return f"offline judge v{identity.get('version', '?')} ({name})"
        if identity.get("model"):
            return f"LLM judge: {identity['model']}"
    return judge_heading(identity)


def _dataset(source: Any, revision: str) -> str:
    if not isinstance(source, str) or not source:
        raise KeyError("provenance.dataset")
    if is_mini(source, revision):  # named or passed as a folder: one dataset
        return "mini"
    if PurePosixPath(source).is_absolute() or PureWindowsPath(source).is_absolute():
        return "local folder"  # identified by its revision (a hash of its parquet files)
    return source


def _is_abs(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def _scrub(value: Any) -> Any:
    """No path of the machine that made a record reaches the leaderboard: an absolute path,
    alone or after a prefix (replay:/home/me/run/predictions.json), keeps its last two parts."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if not isinstance(value, str) or "://" in value:  # URLs are not local paths
        return value
    kind, sep, rest = value.partition(":")
    prefix, path = (f"{kind}:", rest) if sep and _is_abs(rest) else ("", value)
    if not _is_abs(path):
        return value
    return prefix + "/".join(PurePosixPath(path.replace("\\", "/")).parts[-2:])


def _subset(selection: dict[str, Any], prov: dict[str, Any]) -> str | None:
    parts = [f"{k}={selection[k]}" for k in SUBSET_KEYS if selection.get(k) is not None]
    if prov.get("skipped_missing_videos"):
        parts.append(f"{prov['skipped_missing_videos']} pairs skipped (missing videos)")
    return ", ".join(parts) or None


def _prompt_set(prov: dict[str, Any]) -> str | None:
    """A short name for the prompt templates a run's model used (None when it used none, as
    the baselines): rows asked with different prompts are never ranked together."""
    model = prov.get("model")
    hashes = model.get("prompt_hash") if isinstance(model, dict) else None
    if not hashes:
        return None
    import hashlib

    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:8]
