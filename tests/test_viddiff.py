"""The VidDiff method end to end on the bundled benchmark: LLM and VLM calls against the local
fake OpenAI server, the offline embedding backend, scored by the real pipeline."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import call_context
from servers.openai_server import FakeOpenAIServer, media_parts, prompt_text
from vdbench.catalog import make_model
from vdbench.cli.main import main
from vdbench.core.errors import InputError, MissingExtraError
from vdbench.data.loader import load_benchmark
from vdbench.models.viddiff.model import ViddiffModel
from vdbench.scoring.judge.offline import OfflineJudge

pytest.importorskip("openai")
pytest.importorskip("av")

STAGES = ("setup", "middle", "finish")
PAPER_DIFFERENCER = "gpt-4o-2024-05-13"  # the reference's stage-3 snapshot (no alias)
OFFLINE = ["--model-option", "viddiff.embedder=offline"]
FAST = ["--protocol", "fast"]  # the method's cheaper settings, as before the protocols
SHARED = "A photo of a person moving"  # a retrieval string of every stage: refined away


def stage_of(body: dict) -> str:
    text = prompt_text(body)
    if "tells its own stage apart" in text:
        return "refine"
    if "You are matching two lists of differences" in text:
        return "match"
    if "sub-action stages" in text:
        return "stages"
    if "visibly differ" in text:
        return "differences"
    if "list of difference keys" in text:
        return "links"
    # fast's labelled question, or paper's whole text (tasks/templates/viddiff_differencer_*)
    assert ("Which video is this statement more true of" in text
            or "shows more of what this statement describes" in text), text
    return "differencer"


class FakeMethod:
    """Well-formed replies for every stage, with switches for the failure cases."""

    def __init__(self) -> None:
        self.fail_differencer = False  # raise: the connection drops unanswered
        self.open_descriptions: dict[str, list[str]] = {}  # action description -> proposals
        self.hallucinate_for = "Squat down"  # links reply with misspelt and unknown names
        self.malformed_for = "Jump the feet apart"  # stages reply that is not JSON
        self.malformed_refine_for = "Raise both arms"  # refinement reply that is not JSON

    def __call__(self, body: dict) -> str:
        text, stage = prompt_text(body), stage_of(body)
        if stage == "match":  # annotated to proposed, by identical description
            gt = json.loads(re.search(r"^List 1: (.*)$", text, re.MULTILINE).group(1))
            pred = json.loads(re.search(r"^List 2: (.*)$", text, re.MULTILINE).group(1))
            by_text = {d: k for k, d in pred.items()}
            return json.dumps({"matches": [{"gt": k, "pred": by_text.get(d)}
                                           for k, d in gt.items()]})
        action = re.search(r'this action: "([^"]*)"', text).group(1)
        if stage == "stages":
            if action.startswith(self.malformed_for):
                return "Sorry, I would rather describe the action in prose."
            n = int(re.search(r"at least (\d+) \"retrieval_strings\"", text).group(1))
            return json.dumps({"stages": [
                {"name": s, "description": f"the {s} of it",
                 "retrieval_strings": [f"A photo of the {s}", SHARED,
                                       *(f"A photo of a person at the {s}, view {i}"
                                         for i in range(n - 2))]}
                for s in STAGES]})
        if stage == "refine":
            if action.startswith(self.malformed_refine_for):
                return "The strings look fine to me."
            shown = json.loads(text.split("in each video:\n", 1)[1].split("\n\n", 1)[0])
            return json.dumps({"stages": [
                {**st, "retrieval_strings": [r for r in st["retrieval_strings"] if r != SHARED]}
                for st in shown["stages"]]})
        if stage == "differences":
            n = int(re.search(r"Propose (\d+) ways", text).group(1))
            descriptions = self.open_descriptions[action] + [f"the pose {i} is wider"
                                                             for i in range(n + 2)]
            return json.dumps({str(i): {"name": f"d{i}", "description": d, "query_string": d,
                                        "num_frames": "gt_1" if i % 2 else "1"}
                               for i, d in enumerate(descriptions[:n + 2])})
        if stage == "links":
            keys = re.findall(r'^\s+"(\d+)": \{', text.split("by key:")[1], re.MULTILINE)
            links = {s: [k for k in keys if int(k) % 3 == i] for i, s in enumerate(STAGES)}
            if action.startswith(self.hallucinate_for):
                links = {"Setup": links["setup"][1:], "Midle": ["the squat is deeper", "99"],
                         "warm-up": keys}
            return json.dumps(links)
        if self.fail_differencer:
            raise ConnectionAbortedError("the fake server drops this request")
        return json.dumps({"answer": "b" if "deeper" in text else "a"})


def counts(server: FakeOpenAIServer) -> Counter:
    return Counter(stage_of(r.body) for r in server.requests)


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("frames")  # prepared once, shared by this module's runs


@pytest.fixture
def cache(tmp_path, frames_dir, monkeypatch) -> Path:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "frames").symlink_to(frames_dir)
    return cache


@pytest.fixture
def method():
    fake = FakeMethod()
    with FakeOpenAIServer(reply=fake) as server:
        server.method = fake
        server.served_models = (*server.served_models, PAPER_DIFFERENCER)
        yield server


def evaluate(server, cache: Path, out: Path, *args: str, protocol: str = "fast") -> dict:
    rc = main(["eval", "--model", "viddiff", "--base-url", server.base_url, "--cache-dir",
               str(cache), "--out", str(out), "--no-progress", "--protocol", protocol, *args])
    assert rc == 0
    return json.loads((out / "results.json").read_text())


def outputs(out: Path) -> dict[str, dict]:
    return {o["sample_key"]: o for o in map(json.loads, (out / "outputs.jsonl").open())}


def test_oracle_localization_is_perfect_and_random_is_not(method, cache, tmp_path):
    samples = load_benchmark("mini").samples
    annotated = [(s, k, v) for s in samples for k in s.scored_keys for v in (0, 1)
                 if s.retrieval_frames[v].get(k)]
    oracle = evaluate(method, cache, tmp_path / "oracle", *OFFLINE,
                      "--model-option", "viddiff.localizer=oracle")
    loc = oracle["localization"]
    assert (loc["n"], loc["hit_rate"], loc["mae_s"]) == (len(annotated), 1.0, 0.0)
    preds = json.loads((tmp_path / "oracle" / "predictions.json").read_text())
    for s, k, v in annotated:
        assert preds[s.sample_key][k]["frames"]["ab"[v]] == s.retrieval_frames[v][k]
    # the differencer sees the sampled frames nearest the annotated ones (mini_00, key 0:
    # a at frames 4, 12, 20, 28 and b at 8, 24 of 8 fps videos sampled at 4 fps)
    wanted = ("Video a is shown by 4 frame(s) at 0.50, 1.50, 2.50, 3.50 seconds, video b by "
              "2 frame(s) at 1.00, 3.00 seconds")
    shown = [r.body for r in method.requests if wanted in prompt_text(r.body)
             and "the squat is deeper" in prompt_text(r.body)]
    assert shown and all(len(media_parts(b)) == 6 for b in shown)

    first = counts(method)
    rand = evaluate(method, cache, tmp_path / "random", *OFFLINE,
                    "--model-option", "viddiff.localizer=random")
    assert rand["localization"]["hit_rate"] < 1.0 and rand["localization"]["mae_s"] > 0.0
    assert rand["status_counts"] == {"ok": len(samples)}
    # stage 1 does not depend on the localizer: its replies come from the cache
    assert counts(method)["stages"] == first["stages"] == len(samples)
    assert counts(method)["links"] == first["links"]


def test_clip_localizer_keyframes_and_stage_costs(method, cache, tmp_path):
    results = evaluate(method, cache, tmp_path / "clip", *OFFLINE)
    samples = {s.sample_key: s for s in load_benchmark("mini").samples}
    n_scored = sum(len(s.scored_keys) for s in samples.values())
    assert results["status_counts"] == {"ok": len(samples)} and results["coverage"] == 1.0
    assert 0.0 <= results["localization"]["hit_rate"] <= 1.0

    stages = results["provenance"]["model"]["stages"]
    assert stages["proposer"]["calls"] == 2 * len(samples)
    assert stages["differencer"]["calls"] == n_scored
    assert stages["proposer"]["cost_usd"] > 0 and stages["differencer"]["cost_usd"] > 0
    assert set(results["cost_by_stage"]) >= {"proposer", "differencer"}
    assert sum(results["cost_by_stage"].values()) == pytest.approx(results["cost_usd"], abs=1e-5)
    assert stages["localizer"]["cost_usd"] == 0 and stages["localizer"]["embeddings"]["computed"]
    assert results["cost_usd"] == pytest.approx(sum(s["cost_usd"] for s in stages.values()),
                                                abs=1e-6)

    preds = json.loads((tmp_path / "clip" / "predictions.json").read_text())
    for key, out in outputs(tmp_path / "clip").items():
        trace, sample = json.loads(out["raw"]), samples[key]
        assert trace["cost_by_stage"]["proposer"] > 0
        for segs in trace["localization"]["segments"].values():
            assert len(segs) == len(trace["proposal"]["stages"]) and segs[0][0] == 0
            assert all(a[1] == b[0] and a[0] < a[1] for a, b in pairwise(segs))
        fps = sample.videos[0].fps_original
        for d in sample.closed_differences():
            frames = preds[key][d.key]["frames"]
            for v in "ab":
                if d.num_frames == "1":
                    assert len(frames[v]) == 1
                else:  # three distinct frames, at least one sampled frame apart, even at 1 fps
                    assert len(set(frames[v])) == 3 == len(frames[v])
                    if sample.domain in ("music", "surgery"):
                        assert min(b - a for a, b in pairwise(frames[v])) >= fps
    # mini_08's video b has frames_trim step 2 at 60 fps: frame numbers still count original
    # frames from the trim start (sampled every 12 original frames at 5 fps)
    assert all(f % 12 == 0 for d in preds["mini_08"].values() for f in d["frames"]["b"])


def test_a_failed_run_resumes_without_repeating_stages(method, cache, tmp_path):
    args = [*OFFLINE, "--limit", "4", "--model-option", "max_attempts=1"]
    samples = load_benchmark("mini").samples[:4]
    n_scored = sum(len(s.scored_keys) for s in samples)
    method.method.fail_differencer = True
    broken = evaluate(method, cache, tmp_path / "broken", *args, "--max-failures", "100%")
    assert broken["complete"] is True and broken["failures"]["failed_samples"] == 4
    assert broken["status_counts"] == {"api_error": 4}
    assert broken["provenance"]["model"]["stages"]["differencer"]["failed"] == n_scored
    assert counts(method) == {"stages": 4, "links": 4, "differencer": n_scored}

    method.method.fail_differencer = False
    method.requests.clear()
    resumed = evaluate(method, cache, tmp_path / "resumed", *args)
    assert resumed["status_counts"] == {"ok": 4}
    assert counts(method) == {"differencer": n_scored}  # stage 1 was not asked again
    stages = resumed["provenance"]["model"]["stages"]
    assert stages["proposer"]["cached"] == stages["proposer"]["calls"] == 8
    assert stages["localizer"]["embeddings"]["computed"] == 0  # stage 2 from the cache too

    method.requests.clear()
    again = evaluate(method, cache, tmp_path / "again", *args)
    assert method.requests == []
    assert (again["requests"]["sent"], again["requests"]["cached"]) == (0, 8 + n_scored)
    assert ((tmp_path / "again" / "predictions.json").read_text()
            == (tmp_path / "resumed" / "predictions.json").read_text())


class HeldAfter:
    """Answers like `inner` until `n` differencer replies are out, then holds every later
    request unanswered until `release` is set, and drops it then. A run killed while held has
    every answered reply in its cache and exactly `concurrency` requests in flight, so what a
    resume may repeat is known exactly rather than bounded."""

    def __init__(self, inner: FakeMethod, n: int) -> None:
        self.inner, self.n = inner, n
        self.answered: list[dict] = []
        self.holding = 0  # requests held now
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> str:
        with self._lock:
            held = sum(stage_of(b) == "differencer" for b in self.answered) >= self.n
            self.holding += held
            if not held:
                self.answered.append(body)
        if held:
            self.release.wait(60)
            with self._lock:
                self.holding -= 1
            raise ConnectionAbortedError("held until the run was killed")
        return self.inner(body)


def digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def wait_until(condition, what: str, child: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert child.poll() is None, f"the run exited ({child.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def cached_by_model(cache: Path) -> Counter:
    db = sqlite3.connect(cache / "responses.sqlite", timeout=10)
    try:
        return Counter(dict(db.execute("SELECT model, COUNT(*) FROM responses GROUP BY model")))
    finally:
        db.close()


def test_a_killed_run_resumes_without_repeating_stages(cache, frames_dir, tmp_path):
    concurrency, n_answered = 2, 6  # the kill comes after 6 of the 20 differencer replies
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "frames").symlink_to(frames_dir)
    out = tmp_path / "out"

    def argv(cache_dir: Path, out_dir: Path) -> list[str]:
        return ["eval", "--model", "viddiff", "--mode", "closed", "--data", "mini", "--limit",
                "6", "--concurrency", str(concurrency), *OFFLINE, *FAST, "--out", str(out_dir),
                "--cache-dir", str(cache_dir), "--no-progress"]

    def command(cache_dir: Path, out_dir: Path) -> list[str]:
        return [sys.executable, "-m", "vdbench.cli.main", *argv(cache_dir, out_dir)]

    def env(server: FakeOpenAIServer) -> dict[str, str]:
        return {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-dummy"}

    def run(server: FakeOpenAIServer, cache_dir: Path, out_dir: Path) -> list[dict]:
        done = subprocess.run(command(cache_dir, out_dir), env=env(server), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return [r.body for r in server.requests]

    # an uninterrupted run (in this process, to save a start-up) on a fresh response cache:
    # every request, each asked once
    with FakeOpenAIServer(reply=FakeMethod(), latency_s=0.02) as server:
        assert main([*argv(fresh, tmp_path / "uninterrupted"), "--base-url", server.base_url]) == 0
        everything = [r.body for r in server.requests]
    samples = load_benchmark("mini").samples[:6]
    n_scored = sum(len(s.scored_keys) for s in samples)
    kinds = Counter(map(stage_of, everything))
    assert kinds == {"stages": 6, "links": 6, "differencer": n_scored}
    assert len({digest(b) for b in everything}) == len(everything)  # no two alike

    # the killed run: SIGKILL once n_answered differencer replies are out and cached, while
    # both concurrency slots hold a request the server has not answered
    held = HeldAfter(FakeMethod(), n_answered)
    with FakeOpenAIServer(reply=held, latency_s=0.02) as server:
        child = subprocess.Popen(command(cache, out), env=env(server), cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: held.holding == concurrency, "both slots held", child)
            wanted = Counter(b["model"] for b in held.answered)
            wait_until(lambda: cached_by_model(cache) == wanted, "the answers cached", child)
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
            held.release.set()
        sent = [r.body for r in server.requests]
    answered = {digest(b) for b in held.answered}
    in_flight = [b for b in sent if digest(b) not in answered]
    assert Counter(map(stage_of, held.answered))["differencer"] == n_answered < n_scored
    assert len(in_flight) == concurrency and cached_by_model(cache) == wanted
    assert not (out / "predictions.json").exists()

    # the resume, same command and cache: each request not answered before the kill, once
    with FakeOpenAIServer(reply=FakeMethod(), latency_s=0.02) as server:
        resent = run(server, cache, out)
    assert sorted(map(digest, resent)) == sorted(
        d for d in map(digest, everything) if d not in answered)
    # (1) no proposer prompt answered before the kill is asked again, counted by kind
    for kind in ("stages", "links"):
        before = Counter(map(stage_of, held.answered))[kind]
        assert Counter(map(stage_of, resent))[kind] == kinds[kind] - before
    # (2) over both runs, the differencer is asked each distinct request once, except the
    # ones in flight at the kill (sent, never answered): at most one per concurrency slot
    repeated = Counter(map(stage_of, in_flight))["differencer"]
    differencer = [b for b in sent + resent if stage_of(b) == "differencer"]
    assert len(differencer) == n_scored + repeated and repeated <= concurrency
    assert len({digest(b) for b in differencer}) == n_scored
    results = json.loads((out / "results.json").read_text())
    assert results["status_counts"] == {"ok": 6}
    assert (results["requests"]["sent"], results["requests"]["cached"]) == (len(resent),
                                                                              len(answered))
    # (3) the resumed run predicts what the uninterrupted run did
    assert ((out / "predictions.json").read_text()
            == (tmp_path / "uninterrupted" / "predictions.json").read_text())


def test_open_mode_proposes_localizes_and_is_judged(method, cache, tmp_path, monkeypatch):
    monkeypatch.setattr("vdbench.scoring.judge.select.get_judge",
                        lambda spec, ctx: OfflineJudge("lexical"))
    samples = load_benchmark("mini").samples[:4]
    for s in samples:  # propose the annotated differences first, so the judge matches some
        method.method.open_descriptions[s.action_description] = [
            d.description for d in s.closed_differences()]
    results = evaluate(method, cache, tmp_path / "open", *OFFLINE, "--mode", "open",
                       "--judge", "offline", "--limit", "4")
    assert results["status_counts"] == {"ok": 4} and results["metrics"]["recall"] > 0
    assert results["localization"]["n"] > 0  # matched predictions carry frames
    preds = json.loads((tmp_path / "open" / "predictions.json").read_text())
    notes = {k: o["notes"] for k, o in outputs(tmp_path / "open").items()}
    for s in samples:
        pred = preds[s.sample_key]
        assert list(pred) == [str(i) for i in range(s.n_differences_open_prediction)]
        assert all(p["description"] and set(p["frames"]) == {"a", "b"} for p in pred.values())
        assert any("kept the first" in n for n in notes[s.sample_key])
    assert counts(method)["differences"] == 4


def test_hallucinated_and_malformed_replies_are_repaired(method, cache, tmp_path):
    evaluate(method, cache, tmp_path / "run", *OFFLINE, "--limit", "3")
    outs = outputs(tmp_path / "run")
    assert {o["status"] for o in outs.values()} == {"ok"}

    squat = json.loads(outs["mini_00"]["raw"])["proposal"]  # hallucinated links
    notes = " | ".join(outs["mini_00"]["notes"])
    assert "stage 'Setup' read as 'setup'" in notes and "stage 'Midle' read as 'middle'" in notes
    assert "dropped links of unknown stage 'warm-up'" in notes
    assert "difference 'the squat is deeper' read as key '0'" in notes
    assert "dropped unknown difference '99'" in notes
    assert squat["links"]["0"] == ["middle"] and squat["links"]["3"] == ["setup"]
    # keys 1 and 2 were linked only to the unknown stage: they get the middle stage
    assert squat["links"]["1"] == squat["links"]["2"] == ["middle"]
    assert "'1' was not linked" in notes and "'2' was not linked" in notes

    jacks = json.loads(outs["mini_02"]["raw"])["proposal"]  # stages reply without JSON
    assert [s["name"] for s in jacks["stages"]] == ["whole action"]
    assert set(json.loads(outs["mini_02"]["raw"])["localization"]["frames"]) == set(
        jacks["differences"])


def test_dry_run_builds_every_stage_and_sends_nothing(method, cache, tmp_path, capsys):
    samples = load_benchmark("mini").samples[:3]
    assert main(["eval", "--model", "viddiff", "--base-url", method.base_url, "--cache-dir",
                 str(cache), "--limit", "3", "--dry-run", *OFFLINE, *FAST]) == 0
    assert method.requests == []
    expected = sum(2 + len(s.scored_keys) for s in samples)
    assert f"total: {expected} requests" in capsys.readouterr().out


def test_oracle_in_open_mode_is_refused(method, cache, tmp_path, capsys):
    assert main(["eval", "--model", "viddiff", "--mode", "open", "--base-url", method.base_url,
                 "--cache-dir", str(cache), "--out", str(tmp_path / "x"), "--no-progress",
                 *OFFLINE, "--model-option", "viddiff.localizer=oracle"]) == 2
    assert "localizer=oracle needs --mode closed" in capsys.readouterr().err
    assert method.requests == []


def test_viddiff_is_registered(method, cache):
    ctx = call_context(cache, base_url=method.base_url)
    model = make_model("viddiff", ctx, {"viddiff.embedder": "offline",
                                        "viddiff.localizer": "random"})
    assert isinstance(model, ViddiffModel) and model.embedder is None
    assert model.provenance()["proposer"]["model"] == "gpt-4o-mini-2024-07-18"
    assert model.provenance()["differencer"]["model"] == "gpt-4o-2024-08-06"


def test_bad_options_are_input_errors(method, cache):
    ctx = call_context(cache, base_url=method.base_url)
    with pytest.raises(InputError, match=r"viddiff\.localiser: not an option of viddiff; "
                                         r"valid: .*viddiff\.localizer"):
        make_model("viddiff", ctx, {"viddiff.localiser": "clip"})
    with pytest.raises(InputError, match="'random' is not a chat model"):
        make_model("viddiff", ctx, {"viddiff.proposer_model": "random",
                                    "viddiff.embedder": "offline"})


@pytest.mark.skipif(importlib.util.find_spec("open_clip") is not None,
                    reason="checks the message shown when the clip extra is missing")
def test_the_clip_backend_names_its_extra_when_missing(method, cache):
    with pytest.raises(MissingExtraError, match=r"vdbench\[clip\]"):
        make_model("viddiff", call_context(cache, base_url=method.base_url), {})


# --- the protocols: paper follows the reference's method, fast keeps vdbench's settings ------

def bodies(server: FakeOpenAIServer, stage: str) -> list[dict]:
    return [r.body for r in server.requests if stage_of(r.body) == stage]


def test_the_paper_protocol_runs_the_reference_settings(method, cache, tmp_path):
    samples = load_benchmark("mini").samples[:4]  # fitness; mini_02's stages reply is prose
    n_scored = sum(len(s.scored_keys) for s in samples)
    results = evaluate(method, cache, tmp_path / "paper", *OFFLINE, "--limit", "4",
                       protocol="paper")
    assert results["status_counts"] == {"ok": 4}
    assert counts(method) == {"stages": 4, "refine": 4, "links": 4, "differencer": n_scored}
    # five retrieval strings asked per stage; every call at temperature 1, 2048 tokens
    assert all('at least 5 "retrieval_strings"' in prompt_text(b)
               for b in bodies(method, "stages"))
    assert {(r.body["temperature"], r.body["max_completion_tokens"])
            for r in method.requests} == {(1.0, 2048)}
    assert {b["model"] for b in bodies(method, "differencer")} == {PAPER_DIFFERENCER}
    assert {b["model"] for s in ("stages", "refine", "links")
            for b in bodies(method, s)} == {"gpt-4o-mini-2024-07-18"}

    # the refinement's strings are those the localizer used; a malformed reply keeps the
    # unrefined ones (mini_03), and so does the one-stage fallback's empty reply (mini_02)
    outs = outputs(tmp_path / "paper")
    squat = json.loads(outs["mini_00"]["raw"])["proposal"]["stages"]
    assert [len(st["unrefined_strings"]) for st in squat] == [5, 5, 5]
    assert all(SHARED in st["unrefined_strings"] and SHARED not in st["retrieval_strings"]
               and len(st["retrieval_strings"]) == 4 for st in squat)
    arms = json.loads(outs["mini_03"]["raw"])["proposal"]["stages"]
    assert all(st["retrieval_strings"] == st["unrefined_strings"] for st in arms)
    assert ("refinement: no usable stages in the reply; kept the unrefined retrieval strings"
            in outs["mini_03"]["notes"])
    refined = [prompt_text(b) for b in bodies(method, "refine")]
    assert any(f'"{SHARED}"' in t and "Squat down" in t for t in refined)

    # frames: fitness at 8 fps, every frame (32 a video), multi-frame windows 0.35 s apart
    # (round(0.35 * 8) = 3 frames), against 4 fps and 2 frames under fast
    sampling = results["provenance"]["frame_sampling"]
    assert sampling["target_fps"]["fitness"] == 8.0 and sampling["max_frames"] is None
    trace = json.loads(outs["mini_00"]["raw"])
    assert [segs[-1][1] for segs in trace["localization"]["segments"].values()] == [32, 32]
    preds = json.loads((tmp_path / "paper" / "predictions.json").read_text())
    window = preds["mini_00"]["1"]["frames"]  # mini_00's difference 1 is multi-frame
    assert {b - a for v in "ab" for a, b in pairwise(window[v])} == {3}

    model = results["provenance"]["model"]
    assert model["config"]["differencer_model"] == f"openai:{PAPER_DIFFERENCER}"
    assert model["differencer"]["model"] == PAPER_DIFFERENCER
    config = model["config"]
    assert (config["n_retrieval_strings"], config["multiframe_sep_s"],
            config["refine_retrieval"], config["open_protocol"]) == (5, 0.35, True, "standard")
    assert (model["temperature"], model["max_tokens"]) == (1.0, 2048)
    assert list(model["stages"]) == ["proposer", "refiner", "localizer", "differencer"]
    assert model["stages"]["refiner"]["calls"] == 4 and "refiner" in results["cost_by_stage"]
    assert "viddiff_refine" in model["prompts"]


def test_the_fast_protocol_keeps_vdbenchs_settings(method, cache, tmp_path):
    samples = load_benchmark("mini").samples[:2]
    n_scored = sum(len(s.scored_keys) for s in samples)
    results = evaluate(method, cache, tmp_path / "fast", *OFFLINE, "--limit", "2")
    assert counts(method) == {"stages": 2, "links": 2, "differencer": n_scored}
    assert all('at least 3 "retrieval_strings"' in prompt_text(b)
               for b in bodies(method, "stages"))
    assert {r.body["temperature"] for r in method.requests} == {0.0}
    assert {b["model"] for b in bodies(method, "differencer")} == {"gpt-4o-2024-08-06"}
    sampling = results["provenance"]["frame_sampling"]
    assert sampling["target_fps"]["fitness"] == 4.0 and sampling["max_frames"] == 150
    preds = json.loads((tmp_path / "fast" / "predictions.json").read_text())
    window = preds["mini_00"]["1"]["frames"]  # 0.5 s at 4 fps: 2 sampled, 4 original frames
    assert {b - a for v in "ab" for a, b in pairwise(window[v])} == {4}
    model = results["provenance"]["model"]
    assert list(model["stages"]) == ["proposer", "localizer", "differencer"]
    assert model["prompt_hash"] == "bba78a0f0bb48f48"  # unchanged by the protocols
    assert model["config"]["refine_retrieval"] is False and model["matcher"] is None


def test_an_option_the_user_gives_wins_over_the_protocol(method, cache, tmp_path):
    results = evaluate(method, cache, tmp_path / "given", *OFFLINE, "--limit", "1",
                       "--model-option", "viddiff.refine_retrieval=false",
                       "--model-option", "viddiff.differencer_model=gpt-4o",
                       "--model-option", "viddiff.n_retrieval_strings=4", protocol="paper")
    assert counts(method)["refine"] == 0
    assert {b["model"] for b in bodies(method, "differencer")} == {"gpt-4o-2024-08-06"}
    assert all('at least 4 "retrieval_strings"' in prompt_text(b)
               for b in bodies(method, "stages"))
    config = results["provenance"]["model"]["config"]
    assert (config["refine_retrieval"], config["differencer_model"],
            config["n_retrieval_strings"]) == (False, "gpt-4o", 4)
    assert config["multiframe_sep_s"] == 0.35  # still the protocol's


def test_the_method_samples_at_its_own_rates_unless_the_user_set_them(method, cache):
    from vdbench.benchmarks.catalog import get_benchmark
    from vdbench.core.protocol import FAST, PAPER

    protocol_frame_spec = get_benchmark("viddiffbench").frame_spec

    paper = get_benchmark("viddiffbench").adapt_protocol(PAPER)  # as a run's context holds it
    ctx = dataclasses.replace(call_context(cache, base_url=method.base_url), protocol=paper)
    model = make_model("viddiff", ctx, {"viddiff.embedder": "offline"})
    run = protocol_frame_spec(PAPER)
    spec = model.frames_for(run)
    assert spec.fps_by_domain["fitness"] == 8.0 and spec.max_frames is None
    assert (spec.long_side, spec.over_cap) == (run.long_side, run.over_cap)
    mine = model.frames_for(dataclasses.replace(run, max_frames=40, fps=2.0))
    assert (mine.max_frames, mine.fps, mine.fps_by_domain) == (40, 2.0, run.fps_by_domain)
    fast = make_model("viddiff", call_context(cache, base_url=method.base_url),
                      {"viddiff.embedder": "offline", "viddiff.refine_retrieval": "true"})
    assert fast.frames_for(protocol_frame_spec(FAST)) == protocol_frame_spec(FAST)
    assert isinstance(fast, ViddiffModel) and fast.given == {"refine_retrieval": True}
    assert fast.config.refine_retrieval and fast.config.n_retrieval_strings == 3


def test_a_paper_dry_run_counts_the_refinement(method, cache, capsys):
    samples = load_benchmark("mini").samples[:3]
    assert main(["eval", "--model", "viddiff", "--base-url", method.base_url, "--cache-dir",
                 str(cache), "--limit", "3", "--dry-run", *OFFLINE, "--protocol", "paper"]) == 0
    assert method.requests == []
    expected = sum(3 + len(s.scored_keys) for s in samples)
    assert f"total: {expected} requests" in capsys.readouterr().out


def _loud(text: str) -> str:
    return text.upper() + "!"


def _quiet(text: str) -> str:
    return re.sub(r"[^\w\s]", "", text.casefold()).strip()


def test_open_protocol_paper_matches_before_differencing(method, cache, tmp_path, monkeypatch):
    monkeypatch.setattr("vdbench.scoring.judge.select.get_judge",
                        lambda spec, ctx: OfflineJudge("lexical"))
    samples = load_benchmark("mini").samples[:4]
    for s in samples:  # every labelled difference proposed, in the proposer's own wording
        method.method.open_descriptions[s.action_description] = [
            _loud(s.differences_annotated[k].description) for k in s.labelled_keys]
    inner = method.reply

    def match_by_meaning(body: dict) -> str:  # the matcher sees through the wording
        if stage_of(body) != "match":
            return inner(body)
        text = prompt_text(body)
        gt = json.loads(re.search(r"^List 1: (.*)$", text, re.MULTILINE).group(1))
        pred = json.loads(re.search(r"^List 2: (.*)$", text, re.MULTILINE).group(1))
        by_text = {_quiet(d): k for k, d in pred.items()}
        return json.dumps({"matches": [{"gt": k, "pred": by_text.get(_quiet(d))}
                                       for k, d in gt.items()]})

    method.reply = match_by_meaning
    results = evaluate(method, cache, tmp_path / "open", *OFFLINE, "--mode", "open",
                       "--judge", "offline", "--limit", "4",
                       "--model-option", "viddiff.open_protocol=paper")
    assert results["status_counts"] == {"ok": 4}
    n_scored = sum(len(s.scored_keys) for s in samples)
    # one matching call a sample (mini_00 and mini_01 ask the same one: the second may come
    # from the cache), with the judge's matching model and reply schema; only the matched a/b
    # differences are asked (fillers and matches to c-labelled keys are not)
    matcher = results["provenance"]["model"]["stages"]["matcher"]
    assert matcher["calls"] == 4 and len(bodies(method, "match")) == 4 - matcher["cached"]
    assert counts(method) == {"differences": 4, "stages": 4, "links": 4,
                              "match": 4 - matcher["cached"], "differencer": n_scored}
    for body in bodies(method, "match"):
        assert body["model"] == "gpt-4o-2024-08-06"
        assert body["response_format"]["type"] == "json_schema"
    asked = [prompt_text(b) for b in bodies(method, "differencer")]
    assert all(re.search(r'"[^"a-z]+!"', t) for t in asked)  # the proposal's own wording

    preds = json.loads((tmp_path / "open" / "predictions.json").read_text())
    outs = outputs(tmp_path / "open")
    for s in samples:
        pred = preds[s.sample_key]
        assert sorted(pred) == sorted(s.scored_keys)  # keyed by annotated keys
        for k, p in pred.items():
            assert p["description"] == s.differences_annotated[k].description
            assert set(p["frames"]) == {"a", "b"}
        notes = outs[s.sample_key]["notes"]
        assert any(n.startswith("already matched") for n in notes)
        assert any("dropped unmatched proposal(s)" in n for n in notes)
        trace = json.loads(outs[s.sample_key]["raw"])
        assert {k for k, v in trace["matching"]["matches"].items() if v} == set(s.labelled_keys)
    assert any("labelled c (never scored)" in n for n in outs["mini_01"]["notes"])
    model = results["provenance"]["model"]
    assert model["config"]["open_protocol"] == "paper"
    assert model["matcher"]["model"] == "gpt-4o-2024-08-06"
    assert model["stages"]["matcher"]["calls"] == 4
    assert "judge_match" in model["prompts"]
    # scored with no judge and no direction check, and recorded as matched by the method
    assert results["judge"]["name"] == "matched by the method (viddiff open_protocol=paper)"
    assert "measured" not in results["judge"]
    assert not (tmp_path / "open" / "judge.jsonl").exists()
    rows = [json.loads(x) for x in (tmp_path / "open" / "samples.jsonl").open()]
    assert all(r["pred_key"] == r["gt_key"] and not r["flipped"] for r in rows)
    assert results["metrics"]["recall"] == pytest.approx(
        sum(r["correct"] for r in rows) / len(rows))


def test_a_malformed_matching_reply_is_asked_again_then_fails_the_sample(method, cache,
                                                                        tmp_path):
    inner = method.reply
    method.reply = lambda body: ("no idea" if stage_of(body) == "match" else inner(body))
    s = load_benchmark("mini").samples[0]
    method.method.open_descriptions[s.action_description] = [
        s.differences_annotated[k].description for k in s.labelled_keys]
    evaluate(method, cache, tmp_path / "bad", *OFFLINE, "--mode", "open", "--judge", "offline",
             "--limit", "1", "--max-failures", "1",
             "--model-option", "viddiff.open_protocol=paper")
    out = outputs(tmp_path / "bad")[s.sample_key]
    assert out["status"] == "parse_error" and "malformed matching reply" in out["error"]
    assert counts(method)["match"] == 3 and counts(method)["differencer"] == 0
    seeds = sorted(b["seed"] for b in bodies(method, "match"))
    assert seeds == [0, 1, 2]
