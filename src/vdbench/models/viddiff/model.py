"""The VidDiff method as a registered model: proposer -> localizer -> differencer per sample.

Every LLM/VLM call goes through the shared Runtime, whose response cache makes a rerun free
and lets a killed run resume; embeddings are cached on disk by content; segmentation and
keyframe choice are deterministic. Per-stage calls and cost are in `provenance()["stages"]`
(results.json: provenance.model.stages) and, per sample, in the trace kept in `raw`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.options import parse_options
from vdbench.core.types import DiffPrediction, Mode, SampleOutput, Status
from vdbench.data.schema import Sample
from vdbench.frames.types import Clip
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.context import CallContext
from vdbench.llm.providers import make_adapter
from vdbench.llm.types import GenerationConfig
from vdbench.models.base import EvalItem, Model
from vdbench.models.viddiff import prompts
from vdbench.models.viddiff.config import ViddiffConfig
from vdbench.models.viddiff.differencer import build_request, parse_answer, subclip
from vdbench.models.viddiff.embeddings import make_embedder
from vdbench.models.viddiff.ledger import Ask, Ledger, StageFailed
from vdbench.models.viddiff.localizer import Localization, Localizer
from vdbench.models.viddiff.proposer import Candidate, propose
from vdbench.tasks.prompts import PromptSet

EMBEDDING_CACHE = ("viddiff", "embeddings.sqlite")
SEED_MODULUS = 2**31  # sample_hash is large; provider seeds are 32-bit safe


def chat_adapter(name: str, ctx: CallContext, option: str) -> ProviderAdapter:
    """The provider adapter behind a chat model name (alias or provider:id)."""
    return make_adapter(name, ctx, role=f"viddiff option {option}")


class ViddiffModel(Model):
    name = "viddiff"
    needs_frames = True

    def __init__(self, config: ViddiffConfig, ctx: CallContext):
        self.config = config
        self.seed = ctx.seed
        self.runtime = ctx.runtime
        self.prompts = PromptSet.from_dir(ctx.protocol.prompts_dir)
        self.proposer = chat_adapter(self.config.proposer_model, ctx, "proposer_model")
        self.differencer = chat_adapter(self.config.differencer_model, ctx, "differencer_model")
        self.embedder = None
        if self.config.localizer != "random":
            cache_path = ctx.cache_dir.joinpath(*EMBEDDING_CACHE)
            self.embedder = make_embedder(self.config.embedder, self.config.clip_model,
                                          self.config.clip_pretrained, self.config.clip_device,
                                          cache_path)
        self.localizer = Localizer(self.config, self.embedder, self.seed)
        self.ledger = Ledger(self.runtime)  # totals over the run

    def bind(self, samples: list[Sample], mode: Mode) -> None:
        self._check_mode(mode)

    def _check_mode(self, mode: Mode) -> None:
        if mode == "open" and self.config.localizer == "oracle":
            raise InputError("viddiff: localizer=oracle needs --mode closed (proposed "
                             "differences have no annotated frames)")

    async def predict(self, item: EvalItem) -> SampleOutput:
        self._check_mode(item.mode)
        ledger = Ledger(self.runtime)
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
        generation = GenerationConfig(seed=(self.seed + sample.sample_hash) % SEED_MODULUS,
                                      json_mode=True)
        try:
            proposal = await propose(ledger.asker("proposer", self.proposer), sample, item.mode,
                                     self.config, generation, self.prompts)
        except StageFailed as exc:
            return SampleOutput(key, {}, status="api_error", error=str(exc))
        trace["proposal"] = proposal.to_json()
        notes = list(proposal.repairs)
        if not proposal.differences:
            if item.mode == "open" and sample.n_differences_open_prediction > 0:
                return SampleOutput(key, {}, status="parse_error", notes=notes,
                                    error="proposer: no usable differences in the reply")
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
                preds[d.key] = DiffPrediction(label, d.description,  # type: ignore[arg-type]
                                              frames={v: list(kf[v].frames) for v in ("a", "b")})
        missing = [d.key for d in proposal.differences if d.key not in preds]
        if not missing:
            return SampleOutput(key, preds, notes=notes)
        status: Status = ("partial" if preds else
                          "api_error" if all(failed for *_, failed in answers) else "parse_error")
        return SampleOutput(key, preds, status=status, notes=notes,
                            error=f"differencer: no a/b answer for keys {missing}")

    async def _difference(self, ask: Ask, action: str, diff: Candidate, clips: tuple[Clip, Clip],
                          localization: Localization) -> tuple[str | None, str, bool]:
        """(label or None, reply text or error, whether the call failed)."""
        kf = localization.keyframes[diff.key]
        request = build_request(action, diff, subclip(clips[0], kf["a"].positions),
                                subclip(clips[1], kf["b"].positions),
                                GenerationConfig(seed=self.seed, json_mode=True), self.prompts)
        try:
            text = await ask(request)
        except StageFailed as exc:
            return None, str(exc), True
        return parse_answer(text), text, False

    async def preflight(self) -> None:
        await self.proposer.preflight()
        await self.differencer.preflight()

    def provenance(self) -> dict[str, Any]:
        stages = self.ledger.to_json()
        if self.embedder is not None:
            stages["localizer"]["embeddings"] = dict(self.embedder.stats)
        return {
            "name": self.name,
            "config": asdict(self.config),
            "seed": self.seed,
            "proposer": self.proposer.cache_identity(),
            "differencer": self.differencer.cache_identity(),
            "embedder": self.embedder.identity if self.embedder else None,
            "prompt_hash": prompts.prompt_hash(self.prompts),
            "prompts": self.prompts.hashes(prompts.TEMPLATES),
            "stages": stages,
        }

    async def aclose(self) -> None:
        await self.proposer.aclose()
        await self.differencer.aclose()
        if self.embedder is not None and self.embedder.cache is not None:
            self.embedder.cache.close()


def viddiff_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> Model:
    return ViddiffModel(parse_options(ViddiffConfig, options, name), ctx)
