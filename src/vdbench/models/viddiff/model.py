"""The VidDiff method as a registered model: proposer -> localizer -> differencer per sample.

Every LLM/VLM call goes through the shared Runtime, whose response cache makes a rerun free
and lets a killed run resume; embeddings are cached on disk by content; segmentation and
keyframe choice are deterministic. Per-stage calls and cost are in `provenance()["stages"]`
(results.json: provenance.model.stages) and, per sample, in the trace kept in `raw`.

The run's protocol sets the method's defaults (config.py), its sampling (`frames_for`) and
every call's temperature and token limit (`ctx.protocol.generation`).

open_protocol=paper (open mode): after stage 1, one call with the judge's matching model
matches the proposed differences to the annotated ones; unmatched proposals are dropped and
the kept ones keyed by their annotated key, as the reference's method does before
differencing. Its predictions are to be scored like closed mode's, with no judge and no
direction check; provenance.model.config.open_protocol says so to the scorer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.options import parse_options
from vdbench.core.types import DiffPrediction, SampleOutput, Status
from vdbench.data.schema import Sample
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.context import CallContext
from vdbench.llm.providers import make_adapter
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart
from vdbench.models.base import EvalItem, Model
from vdbench.models.viddiff import prompts
from vdbench.models.viddiff.config import ViddiffConfig, ViddiffOptions, protocol_settings
from vdbench.models.viddiff.differencer import (
    build_request,
    parse_answer,
    reference_time_diff,
    subclip,
)
from vdbench.models.viddiff.embeddings import make_embedder
from vdbench.models.viddiff.ledger import STAGES, Ask, Ledger, StageFailed
from vdbench.models.viddiff.localizer import Localization, Localizer
from vdbench.models.viddiff.proposer import Candidate, Proposal, propose
from vdbench.tasks.base import TaskSet
from vdbench.tasks.matching import (
    MATCH_SCHEMA,
    enforce_matching,
    parse_match_reply,
    render_match_prompt,
)
from vdbench.tasks.prompts import PromptSet

EMBEDDING_CACHE = ("viddiff", "embeddings.sqlite")
SEED_MODULUS = 2**31  # sample_hash is large; provider seeds are 32-bit safe
MATCH_ATTEMPTS = 3  # a malformed matching reply is asked again with the next seed, as the judge
ALREADY_MATCHED = ("already matched: predictions are keyed by annotated keys "
                   "(viddiff.open_protocol=paper); score them without a judge or direction check")


def chat_adapter(name: str, ctx: CallContext, option: str) -> ProviderAdapter:
    """The provider adapter behind a chat model name (alias or provider:id)."""
    return make_adapter(name, ctx, role=f"viddiff option {option}")


class ViddiffModel(Model):
    name = "viddiff"
    needs_frames = True

    def __init__(self, config: ViddiffConfig, ctx: CallContext,
                 given: Mapping[str, Any] | None = None):
        """`config`: the settings in force (ViddiffOptions.resolve); `given`: those of
        config.FROM_PROTOCOL the user set (the rest are the protocol's)."""
        self.config = config
        self.given = dict(given or {})
        self.protocol = ctx.protocol
        self.seed = ctx.seed
        self.runtime = ctx.runtime
        self.temperature = ctx.protocol.generation.temperature
        self.max_tokens = ctx.protocol.generation.max_tokens
        self.prompts = PromptSet.from_dir(ctx.protocol.prompts_dir)
        self.proposer = chat_adapter(self.config.proposer_model, ctx, "proposer_model")
        self.differencer = chat_adapter(self.config.differencer_model, ctx, "differencer_model")
        self.matcher: ProviderAdapter | None = None
        if self.config.open_protocol == "paper":
            self.matcher = make_adapter(ctx.protocol.judge.match_model, ctx,
                                        role="viddiff open_protocol=paper")
        self.embedder = None
        if self.config.localizer != "random":
            cache_path = ctx.cache_dir.joinpath(*EMBEDDING_CACHE)
            self.embedder = make_embedder(self.config.embedder, self.config.clip_model,
                                          self.config.clip_pretrained, self.config.clip_device,
                                          cache_path)
        self.localizer = Localizer(self.config, self.embedder, self.seed)
        self.stages = tuple(s for s in STAGES if s not in ("refiner", "matcher")
                            or (s == "refiner" and self.config.refine_retrieval)
                            or (s == "matcher" and self.matcher is not None))
        self.asking = ctx.protocol.asking
        self.templates = prompts.used(self.config.refine_retrieval, self.config.open_protocol,
                                      self.asking.layout)
        self.ledger = Ledger(self.runtime, self.stages)  # totals over the run

    def frames_for(self, spec: FrameSpec) -> FrameSpec:
        """The method's own sampling (config.BY_PROTOCOL: paper samples fitness at 8 fps and
        keeps every frame, as the reference's stage 2 embeds them all) wherever the run's
        sampling is the protocol's; a rate or cap the user set (--fps, --max-frames, a frame
        spec) is kept."""
        method, run = protocol_settings(self.protocol), self.protocol.frames
        changes: dict[str, Any] = {}
        if spec.fps is None and spec.fps_by_domain == run.fps_by_domain:
            changes["fps_by_domain"] = dict(method.fps_by_domain)
        if spec.max_frames == run.pair_cap:
            changes["max_frames"] = method.frame_cap
        return dataclasses.replace(spec, **changes)

    def _generation(self, seed: int) -> GenerationConfig:
        return GenerationConfig(temperature=self.temperature, seed=seed,
                                max_tokens=self.max_tokens, json_mode=True)

    def bind(self, samples: list[Any], tasks: TaskSet) -> None:
        if set(tasks.all) != {"closed", "open"}:
            raise InputError("viddiff: the VidDiff method answers VidDiffBench's closed and "
                             "open tasks only (--benchmark viddiffbench)")
        self._check_mode(tasks.chosen.name)

    def _check_mode(self, mode: str) -> None:
        if mode == "open" and self.config.localizer == "oracle":
            raise InputError("viddiff: localizer=oracle needs --mode closed (proposed "
                             "differences have no annotated frames)")

    async def predict(self, item: EvalItem) -> SampleOutput:
        self._check_mode(item.mode)
        ledger = Ledger(self.runtime, self.stages)
        trace: dict[str, Any] = {}
        try:
            out = await self._run(item, ledger, trace)
        finally:
            self.ledger.merge(ledger)
        out.cost_usd, out.n_requests, out.n_cached = ledger.cost_usd, ledger.calls, ledger.cached
        out.cost_by_stage = trace["cost_by_stage"] = ledger.cost_by_stage()
        out.raw = json.dumps(trace, ensure_ascii=False)
        return out

    async def _run(self, item: EvalItem, ledger: Ledger, trace: dict[str, Any]) -> SampleOutput:
        sample, clips = item.sample, item.clips
        assert clips is not None
        key = sample.sample_key
        generation = self._generation((self.seed + sample.sample_hash) % SEED_MODULUS)
        refine_ask = (ledger.asker("refiner", self.proposer) if self.config.refine_retrieval
                      else None)
        try:
            proposal = await propose(ledger.asker("proposer", self.proposer), sample, item.mode,
                                     self.config, generation, self.prompts, refine_ask)
        except StageFailed as exc:
            return SampleOutput(key, {}, status="api_error", error=str(exc))
        trace["proposal"] = proposal.to_json()
        notes = list(proposal.repairs)
        if not proposal.differences:
            if item.mode == "open" and sample.n_differences_open_prediction > 0:
                return SampleOutput(key, {}, status="parse_error", notes=notes,
                                    error="proposer: no usable differences in the reply")
            return SampleOutput(key, {}, notes=notes)
        matched = item.mode == "open" and self.matcher is not None
        if matched:
            notes.append(ALREADY_MATCHED)
            try:
                proposal = await self._match(ledger, sample, proposal, notes, trace)
            except StageFailed as exc:
                return SampleOutput(key, {}, status="api_error", notes=notes, error=str(exc))
            except ValueError as exc:
                return SampleOutput(key, {}, status="parse_error", notes=notes,
                                    error=f"matcher: {exc}")
            if not proposal.differences:
                return SampleOutput(key, {}, notes=notes)
        localization = await asyncio.to_thread(self.localizer.localize, sample, clips, proposal)
        trace["localization"] = localization.to_json()
        ask = ledger.asker("differencer", self.differencer)
        answers = await asyncio.gather(*(
            self._difference(ask, sample.action_description, d, clips, localization)
            for d in proposal.differences))
        trace["answers"] = {d.key: text for d, (_, text, _) in zip(proposal.differences, answers)}
        preds: dict[str, DiffPrediction] = {}
        for d, (label, _, _) in zip(proposal.differences, answers):
            if label is not None:
                kf = localization.keyframes[d.key]
                # already matched: the annotated statement the answer is scored against (the
                # proposal's own wording, which the differencer was asked, is in the trace)
                annotated = sample.differences_annotated.get(d.key) if matched else None
                preds[d.key] = DiffPrediction(
                    label, annotated.description if annotated else d.description,  # type: ignore[arg-type]
                    frames={v: list(kf[v].frames) for v in ("a", "b")})
        missing = [d.key for d in proposal.differences if d.key not in preds]
        changed = sum(label != parse_answer(text) for label, text, failed in answers
                      if not failed) if self.asking.answers == "strict" else 0
        if changed:
            notes.append(f"strict labels: a tolerant reading would change {changed} answer(s)")
        if not missing:
            return SampleOutput(key, preds, notes=notes, tolerant_changes=changed)
        status: Status = ("partial" if preds else
                          "api_error" if all(failed for *_, failed in answers) else "parse_error")
        return SampleOutput(key, preds, status=status, notes=notes, tolerant_changes=changed,
                            error=f"differencer: no a/b answer for keys {missing}")

    async def _match(self, ledger: Ledger, sample: Sample, proposal: Proposal,
                     notes: list[str], trace: dict[str, Any]) -> Proposal:
        """open_protocol=paper: the proposals matched to the annotated differences (every
        non-null label, as the judge is given them) by the judge's matching model, one-to-one;
        unmatched ones dropped, the rest keyed by annotated key. A proposal matched to a
        difference labelled c is dropped too (never scored: no call is spent on it). Raises
        StageFailed, or ValueError after MATCH_ATTEMPTS malformed replies."""
        assert self.matcher is not None
        gt = {k: d.description for k in sample.labelled_keys
              if (d := sample.differences_annotated.get(k))}
        pred = {d.key: d.description for d in proposal.differences}
        record: dict[str, Any] = {}
        trace["matching"] = record
        if not gt:
            notes.append("matching: the sample has no annotated difference to match")
            return proposal.keyed({})
        prompt = render_match_prompt(self.prompts, sample.action_description, gt, pred)
        ask = ledger.asker("matcher", self.matcher)
        problems: list[str] = []
        for attempt in range(MATCH_ATTEMPTS):
            config = GenerationConfig(temperature=self.protocol.judge.temperature,
                                      seed=self.seed + attempt, max_tokens=self.max_tokens,
                                      json_mode=True, response_schema=MATCH_SCHEMA)
            text = await ask(ChatRequest((TextPart(prompt),), config))
            try:
                raw = parse_match_reply(text)
                break
            except ValueError as exc:
                problems.append(f"matching reply {attempt + 1}: {exc}")
                if self.runtime.dry_run is not None:  # nothing was sent: nothing to repeat
                    raw = {}
                    break
        else:
            record["problems"] = problems
            raise ValueError(f"malformed matching reply after {MATCH_ATTEMPTS} attempts "
                             f"({problems[-1]})")
        notes += problems
        matching, dropped = enforce_matching(raw, list(gt), list(pred))
        notes += [f"matching: dropped {d}" for d in dropped]
        record.update(matches=matching, dropped=dropped)
        kept = {p: k for k, p in matching.items()
                if p is not None and sample.differences_gt.get(k) in ("a", "b")}
        unscored = [k for k, p in matching.items() if p is not None and p not in kept]
        if unscored:
            notes.append(f"matching: proposals matched to annotated key(s) {unscored}, "
                         "labelled c (never scored), are not asked")
        unmatched = [p for p in pred if p not in set(matching.values())]
        if unmatched:
            notes.append(f"matching: dropped unmatched proposal(s) {unmatched}")
        return proposal.keyed(kept)

    async def _difference(self, ask: Ask, action: str, diff: Candidate, clips: tuple[Clip, Clip],
                          localization: Localization) -> tuple[str | None, str, bool]:
        """(label or None, reply text or error, whether the call failed)."""
        kf = localization.keyframes[diff.key]
        request = build_request(action, diff, subclip(clips[0], kf["a"].positions),
                                subclip(clips[1], kf["b"].positions),
                                self._generation(self.seed), self.prompts, self.asking.layout,
                                reference_time_diff(clips[0], kf["a"].positions))
        try:
            text = await ask(request)
        except StageFailed as exc:
            return None, str(exc), True
        return parse_answer(text, self.asking.answers == "strict"), text, False

    def matched_by_itself(self) -> dict[str, Any] | None:
        if self.config.open_protocol != "paper" or self.matcher is None:
            return None
        return {"name": "matched by the method (viddiff open_protocol=paper)",
                "match_model": self.matcher.model_id, "open_protocol": "paper"}

    async def preflight(self) -> None:
        await self.proposer.preflight()
        await self.differencer.preflight()
        if self.matcher is not None:
            await self.matcher.preflight()

    def provenance(self) -> dict[str, Any]:
        stages = self.ledger.to_json()
        if self.embedder is not None:
            stages["localizer"]["embeddings"] = dict(self.embedder.stats)
        return {
            "name": self.name,
            # The settings in force: the protocol's, and the options the user gave, with the
            # same record either way (a row's identity on the leaderboard). open_protocol
            # "paper": open-mode predictions are keyed by annotated keys, to be scored
            # without a judge or direction check.
            "config": asdict(self.config),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "proposer": self.proposer.cache_identity(),
            "differencer": self.differencer.cache_identity(),
            "matcher": self.matcher.cache_identity() if self.matcher else None,
            "embedder": self.embedder.identity if self.embedder else None,
            "prompt_hash": prompts.prompt_hash(self.prompts, self.templates),
            "prompts": self.prompts.hashes(self.templates),
            "stages": stages,
        }

    async def aclose(self) -> None:
        await self.proposer.aclose()
        await self.differencer.aclose()
        if self.matcher is not None:
            await self.matcher.aclose()
        if self.embedder is not None and self.embedder.cache is not None:
            self.embedder.cache.close()


def viddiff_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> Model:
    """`--model-option viddiff.KEY=VALUE` over the run's protocol's defaults."""
    given = parse_options(ViddiffOptions, options, name)
    return ViddiffModel(given.resolve(protocol_settings(ctx.protocol)), ctx, given.given())
