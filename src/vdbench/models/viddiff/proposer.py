"""Stage 1: differences to look for (proposed in open mode, given in closed mode), the
action's ordered sub-action stages with retrieval strings, and which stages show which
difference. Every reply is validated; what validation changed is kept as `repairs`."""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.data.schema import Sample
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart
from vdbench.models.viddiff import prompts
from vdbench.models.viddiff.config import ViddiffConfig
from vdbench.models.viddiff.ledger import Ask
from vdbench.tasks.parsing import extract_json_object
from vdbench.tasks.prompts import PromptSet

NumFrames = Literal["1", "gt_1"]
FUZZY_CUTOFF = 0.8  # difflib ratio above which a misspelt name is taken for the real one
FALLBACK_STAGE = "whole action"


@dataclass(frozen=True)
class Candidate:
    """A difference to localize and judge."""

    key: str
    name: str
    description: str
    query_string: str
    num_frames: NumFrames


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    retrieval_strings: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    differences: tuple[Candidate, ...]
    stages: tuple[Stage, ...]
    links: dict[str, tuple[int, ...]]  # difference key -> ascending stage indices, never empty
    repairs: tuple[str, ...] = ()
    # refine_retrieval: each stage's retrieval strings before the refinement (None: unrefined)
    unrefined: tuple[tuple[str, ...], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        stages = [{"name": s.name, "retrieval_strings": list(s.retrieval_strings)}
                  for s in self.stages]
        for stage, strings in zip(stages, self.unrefined or ()):
            stage["unrefined_strings"] = list(strings)
        return {
            "differences": {d.key: {"name": d.name, "description": d.description,
                                    "query_string": d.query_string, "num_frames": d.num_frames}
                            for d in self.differences},
            "stages": stages,
            "links": {k: [self.stages[i].name for i in v] for k, v in self.links.items()},
            "repairs": list(self.repairs),
        }

    def keyed(self, mapping: dict[str, str]) -> Proposal:
        """Only the differences named in `mapping` (proposed key -> new key), re-keyed, in
        the order of the new keys' first appearance in `mapping`."""
        by_key = {d.key: d for d in self.differences}
        kept = [(new, by_key[old]) for old, new in mapping.items() if old in by_key]
        return dataclasses.replace(
            self, differences=tuple(dataclasses.replace(d, key=new) for new, d in kept),
            links={new: self.links[d.key] for new, d in kept})


def normalize_num_frames(value: Any) -> NumFrames | None:
    text = str(value).strip().lower().replace(" ", "")
    if text in ("1", "one"):
        return "1"
    if text.startswith(("gt", ">")) or (text.isdigit() and int(text) > 1):
        return "gt_1"
    return None


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_differences(text: str, n_max: int) -> tuple[list[Candidate], list[str]]:
    """Open mode's proposed differences, renumbered "0".."k-1", at most n_max of them."""
    obj = extract_json_object(text) or {}
    entries = obj.get("differences", obj)
    items = list(entries.values()) if isinstance(entries, dict) else entries
    if not isinstance(items, list):
        items = []
    out: list[Candidate] = []
    repairs: list[str] = []
    seen_desc: set[str] = set()
    seen_names: set[str] = set()
    for item in items:
        description = _text(item.get("description")) if isinstance(item, dict) else ""
        if not description or description.casefold() in seen_desc:
            repairs.append(f"dropped a difference without a new description: {item!r}"[:200])
            continue
        seen_desc.add(description.casefold())
        base = name = _text(item.get("name")) or description[:40]
        suffix = 1
        while name.casefold() in seen_names:
            suffix += 1
            name = f"{base} ({suffix})"
        seen_names.add(name.casefold())
        num_frames = normalize_num_frames(item.get("num_frames", "1"))
        if num_frames is None:
            repairs.append(f"difference {name!r}: num_frames {item.get('num_frames')!r} -> '1'")
        out.append(Candidate(str(len(out)), name, description,
                             _text(item.get("query_string")) or description, num_frames or "1"))
    if len(out) > n_max:
        repairs.append(f"kept the first {n_max} of {len(out)} proposed differences")
        out = out[:n_max]
    return out, repairs


def parse_stages(text: str, max_stages: int | None, action: str
                 ) -> tuple[list[Stage], list[str]]:
    """Ordered stages with at least one retrieval string each; one whole-action stage if none.
    At most `max_stages` of them (None: every one)."""
    obj = extract_json_object(text) or {}
    items = obj.get("stages")
    stages: list[Stage] = []
    repairs: list[str] = []
    seen: set[str] = set()
    for item in items if isinstance(items, list) else []:
        name = _text(item.get("name")) if isinstance(item, dict) else ""
        if not name or name.casefold() in seen:
            repairs.append(f"dropped a stage without a new name: {item!r}"[:200])
            continue
        seen.add(name.casefold())
        description = _text(item.get("description"))
        raw = item.get("retrieval_strings")
        raw = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        strings = tuple(s for s in map(_text, raw) if s)
        if not strings:
            strings = (description or name,)
            repairs.append(f"stage {name!r} had no retrieval strings; using its description")
        stages.append(Stage(name, description, strings))
    if max_stages is not None and len(stages) > max_stages:
        repairs.append(f"kept the first {max_stages} of {len(stages)} stages")
        stages = stages[:max_stages]
    if not stages:
        repairs.append("no usable stages in the reply; using one stage for the whole action")
        stages = [Stage(FALLBACK_STAGE, action, (action,))]
    return stages, repairs


def stages_json(stages: list[Stage]) -> str:
    """The stages with their retrieval strings, as the refinement prompt shows them (the
    shape of the stages reply, indent 4 as the reference fills its {stages})."""
    return json.dumps({"stages": [{"name": s.name, "description": s.description,
                                   "retrieval_strings": list(s.retrieval_strings)}
                                  for s in stages]}, indent=4)


def parse_refined(text: str, stages: list[Stage]) -> tuple[list[Stage], list[str]]:
    """The stages with the refined reply's retrieval strings. The stages themselves (names,
    descriptions, order) are never changed: each is found in the reply by name (misspellings
    mapped to the closest); a stage the reply leaves out, or leaves without strings, keeps its
    unrefined strings; a reply without usable stages keeps them all. Every fallback is a
    repair."""
    obj = extract_json_object(text) or {}
    items = obj.get("stages")
    if not isinstance(items, list) or not any(isinstance(i, dict) for i in items):
        return stages, ["refinement: no usable stages in the reply; kept the unrefined "
                        "retrieval strings"]
    exact = {s.name: i for i, s in enumerate(stages)}
    folded = {s.name.casefold(): i for i, s in enumerate(stages)}
    found: dict[int, tuple[str, ...]] = {}
    repairs: list[str] = []
    for item in items:
        name = _text(item.get("name")) if isinstance(item, dict) else ""
        index = _resolve(name, exact, folded) if name else None
        if index is None or index in found:
            repairs.append(f"refinement: dropped a stage that is not a new one of the "
                           f"proposal: {item!r}"[:200])
            continue
        if name != stages[index].name:
            repairs.append(f"refinement: stage {name!r} read as {stages[index].name!r}")
        raw = item.get("retrieval_strings")
        raw = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        found[index] = tuple(dict.fromkeys(s for s in map(_text, raw) if s))
    out = []
    for i, stage in enumerate(stages):
        strings = found.get(i)
        if not strings:
            repairs.append(f"refinement: stage {stage.name!r} "
                           f"{'was left out' if strings is None else 'lost every string'}; "
                           "kept its unrefined retrieval strings")
            out.append(stage)
        else:
            out.append(Stage(stage.name, stage.description, strings))
    return out, repairs


def _resolve(ref: str, exact: dict[str, int], folded: dict[str, int],
             cutoff: float = FUZZY_CUTOFF) -> int | None:
    if ref in exact:
        return exact[ref]
    if ref.casefold() in folded:
        return folded[ref.casefold()]
    close = difflib.get_close_matches(ref.casefold(), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def parse_links(text: str, stages: list[Stage], differences: list[Candidate],
                unlinked: str, nearest_difference: bool = False
                ) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    """Difference key -> stage indices. Misspelt stage or difference names (or descriptions)
    are mapped to the closest real one; unknown ones are dropped; a difference left unlinked
    gets the default (the middle stage, or every stage). `nearest_difference`: an unknown
    difference name is read as the nearest one however far, as the reference does."""
    obj = extract_json_object(text) or {}
    if len(obj) == 1 and isinstance(inner := next(iter(obj.values())), dict):
        obj = inner  # {"links": {...}}
    stage_idx = {s.name: i for i, s in enumerate(stages)}
    stage_folded = {s.name.casefold(): i for i, s in enumerate(stages)}
    diff_idx = {d.key: i for i, d in enumerate(differences)}
    # A difference may be named by its key, its name or its description.
    by_text = {d.name.casefold(): i for i, d in enumerate(differences)}
    for i, d in enumerate(differences):
        by_text.setdefault(d.description.casefold(), i)
    linked: dict[str, set[int]] = {d.key: set() for d in differences}
    repairs: list[str] = []
    for stage_ref, refs in obj.items():
        s = _resolve(str(stage_ref), stage_idx, stage_folded)
        if s is None:
            repairs.append(f"dropped links of unknown stage {stage_ref!r}")
            continue
        if s != stage_idx.get(str(stage_ref)):
            repairs.append(f"stage {stage_ref!r} read as {stages[s].name!r}")
        for ref in refs if isinstance(refs, list) else [refs]:
            ref = str(ref).strip()
            index = diff_idx.get(ref)
            if index is None:
                index = _resolve(ref, {}, by_text, 0.0 if nearest_difference else FUZZY_CUTOFF)
                if index is None:
                    repairs.append(f"dropped unknown difference {ref!r} "
                                   f"in stage {stages[s].name!r}")
                    continue
                repairs.append(f"difference {ref!r} read as key {differences[index].key!r}")
            linked[differences[index].key].add(s)
    default = (len(stages) // 2,) if unlinked == "middle" else tuple(range(len(stages)))
    links: dict[str, tuple[int, ...]] = {}
    for key, found in linked.items():
        if not found:
            repairs.append(f"difference {key!r} was not linked; using {unlinked} stage(s)")
        links[key] = tuple(sorted(found)) if found else default
    return links, repairs


def closed_candidates(sample: Sample) -> list[Candidate]:
    """The annotated differences asked in closed mode (label a or b)."""
    return [Candidate(d.key, d.name or d.description, d.description,
                      d.query_string or d.description, normalize_num_frames(d.num_frames) or "1")
            for d in sample.closed_differences()]


def _request(text: str, config: GenerationConfig) -> ChatRequest:
    return ChatRequest(parts=(TextPart(text),), config=config)


async def propose(ask: Ask, sample: Sample, mode: str, config: ViddiffConfig,
                  generation: GenerationConfig, prompt_set: PromptSet | None = None,
                  refine_ask: Ask | None = None) -> Proposal:
    """Raises StageFailed when a call fails after retries. Asks nothing when there is
    nothing to judge (closed mode without a/b labels, or an open-mode cap of 0).
    `prompt_set`: the run's templates (vdbench's own when None). With
    `config.refine_retrieval`, the stages' retrieval strings are refined by a second call
    through `refine_ask` (`ask` when None), made alongside the linking call, which reads only
    the stages' names and descriptions (the refinement never changes those); with
    `config.linking == "reference"`, before it, and the linking call reads the refined
    stages whole, as the reference's does."""
    prompt_set = prompt_set or PromptSet.default()
    differences = closed_candidates(sample) if mode == "closed" else []
    if not differences and (mode == "closed" or sample.n_differences_open_prediction == 0):
        return Proposal((), (), {})
    action = sample.action_description
    stages_request = _request(prompt_set.render(
        prompts.STAGES, action=action, max_stages=config.max_stages,
        n_strings=config.n_retrieval_strings), generation)
    repairs: list[str] = []
    if mode == "open":
        differences_request = _request(prompt_set.render(
            prompts.DIFFERENCES, action=action, n=sample.n_differences_open_prediction), generation)
        differences_text, stages_text = await asyncio.gather(ask(differences_request),
                                                             ask(stages_request))
        differences, fixed = parse_differences(differences_text,
                                               sample.n_differences_open_prediction)
        repairs += fixed
    else:
        stages_text = await ask(stages_request)
    stages, fixed = parse_stages(stages_text,
                                 None if config.keep_all_stages else config.max_stages, action)
    repairs += fixed
    if not differences:  # open mode, nothing usable proposed: no links, nothing to refine
        return Proposal((), tuple(stages), {}, tuple(repairs))
    unrefined = None
    if config.linking == "reference":
        # the reference refines first and links against the refined stages, both shown
        # whole (retrieval strings, query strings) at indent 4
        if config.refine_retrieval:
            refined, refine_fixed = await _refine(refine_ask or ask, action, stages,
                                                  generation, prompt_set)
            unrefined, stages = tuple(s.retrieval_strings for s in stages), refined
            repairs += refine_fixed
        links_text = await ask(_request(prompt_set.render(
            prompts.LINKS, action=action, stages=stages_json(stages),
            differences=json.dumps({d.key: {"name": d.name, "description": d.description,
                                            "query_string": d.query_string,
                                            "num_frames": d.num_frames}
                                    for d in differences}, indent=4)), generation))
        links, fixed = parse_links(links_text, stages, differences, config.unlinked,
                                   config.nearest_difference_names)
        return Proposal(tuple(differences), tuple(stages), links, tuple(repairs + fixed),
                        unrefined)
    links_request = _request(prompt_set.render(
        prompts.LINKS, action=action,
        stages=json.dumps([{"name": s.name, "description": s.description} for s in stages],
                          indent=1),
        differences=json.dumps({d.key: {"name": d.name, "description": d.description}
                                for d in differences}, indent=1)), generation)
    if config.refine_retrieval:
        (refined, refine_fixed), links_text = await asyncio.gather(
            _refine(refine_ask or ask, action, stages, generation, prompt_set),
            ask(links_request))
        unrefined, stages = tuple(s.retrieval_strings for s in stages), refined
        repairs += refine_fixed
    else:
        links_text = await ask(links_request)
    links, fixed = parse_links(links_text, stages, differences, config.unlinked,
                               config.nearest_difference_names)
    return Proposal(tuple(differences), tuple(stages), links, tuple(repairs + fixed),
                    unrefined)


async def _refine(ask: Ask, action: str, stages: list[Stage], generation: GenerationConfig,
                  prompt_set: PromptSet) -> tuple[list[Stage], list[str]]:
    request = _request(prompt_set.render(prompts.REFINE, action=action,
                                         stages=stages_json(stages)), generation)
    return parse_refined(await ask(request), stages)
