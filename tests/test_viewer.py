"""`vdbench view RUN`: the run viewer page built from real runs of the CLI on the mini benchmark
(closed mode, open mode with the offline judge, a scored prediction file with hostile text),
checked as HTML and, when Debian's `chromium` and the `playwright` package are installed, in
headless Chromium: it renders without console errors, loads nothing from outside the file,
and its filters show the expected number of samples."""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from vdbench.cli.main import main
from vdbench.core.results import load_results
from vdbench.data.loader import load_benchmark
from vdbench.viewer import COMMANDS, add_commands, build_view
from vdbench.viewer.thumbs import thumb_budget

EVIL = "<script>alert(1)</script>"
EVIL_RAW = '</pre><img src=x onerror="alert(2)"><!--'
SECTION = re.compile(r'<section class="sample" id="sample-[^"]*" data-key="([^"]*)".*?</section>',
                     re.S)
DATA_JPEG = re.compile(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" width="(\d+)" '
                       r'height="(\d+)"')

try:
    import av  # noqa: F401

    HAVE_AV = True
except ImportError:  # the mp4 videos of mini need the video extra; image folders do not
    HAVE_AV = False


def _sections(html: str) -> dict[str, str]:
    return {unescape(m.group(1)): m.group(0) for m in SECTION.finditer(html)}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("viewer")


@pytest.fixture(scope="module")
def closed_run(work: Path) -> Path:
    run = work / "closed"
    assert main(["eval", "--model", "random", "--out", str(run), "--no-progress",
                 "--cache-dir", str(work / "cache")]) == 0
    return run


@pytest.fixture(scope="module")
def closed_page(closed_run: Path, work: Path) -> Path:
    return build_view(closed_run, cache_dir=work / "cache")


@pytest.fixture(scope="module")
def open_run(work: Path) -> Path:
    run = work / "open"
    assert main(["eval", "--model", "random", "--mode", "open", "--judge", "offline",
                 "--out", str(run), "--no-progress", "--cache-dir", str(work / "cache")]) == 0
    return run


@pytest.fixture(scope="module")
def evil_scored(closed_run: Path, work: Path) -> Path:
    """A prediction file whose descriptions are markup, with keyframes, scored by `score`."""
    preds = json.loads((closed_run / "predictions.json").read_text())
    for i, diffs in enumerate(preds.values()):
        for value in diffs.values():
            value["description"] = f'{EVIL} "q" & <b>bold</b>'
            if i < 3:
                value["frames"] = {"a": [4, 20], "b": [8]}
    path = work / "evil.json"
    path.write_text(json.dumps(preds))
    assert main(["score", str(path), "--cache-dir", str(work / "cache")]) == 0
    return work / "evil_scored"


# --- the page as HTML --------------------------------------------------------------------------


def test_closed_page_shows_every_sample_and_the_summary(closed_run, closed_page):
    assert closed_page == closed_run / "view" / "index.html"
    html = closed_page.read_text()
    results = load_results(closed_run / "results.json")
    bench = load_benchmark("mini", check_videos=False)
    sections = _sections(html)
    assert list(sections) == [s.sample_key for s in bench.samples]
    assert f"{100 * results.headline:.1f}%" in html
    lo, hi = results.ci95
    assert f"95% CI [{100 * lo:.1f}, {100 * hi:.1f}]" in html
    assert "coverage" in html and "100.0%" in html and ">yes<" in html
    # random uses no frames: nothing recorded, so its protocol's (paper: PNG, no resize)
    assert "its protocol&#x27;s sampling is shown" in html and "long_side 512" not in html
    # the big number is the one the leaderboard ranks by; no raw dicts or 16-digit floats
    average = results.metrics["split_average"]
    assert f"average of splits</div><div class=\"v \">{100 * average:.1f}%" in html
    facts = html.split('class="facts"')[1].split("</table>")[0]
    assert "{" not in facts and not re.search(r"\d\.\d{6,}", facts)

    rows = _jsonl(closed_run / "samples.jsonl")
    by_sample: dict[str, list[dict]] = {}
    for r in rows:
        by_sample.setdefault(r["sample_key"], []).append(r)
    for s in bench.samples:
        sec = sections[s.sample_key]
        assert f">{s.action_name}<" in sec
        assert s.action_description in unescape(sec)
        for key, label in s.differences_gt.items():
            row = re.search(rf'<tr class="[a-z]+" data-key="{key}">.*?</tr>', sec, re.S)
            assert row, (s.sample_key, key)
            assert f'<td class="lab">{label or "null"}</td>' in row.group(0)
        scored = by_sample.get(s.sample_key, [])
        n_ok = sum(r["correct"] for r in scored)
        assert f"{n_ok} of {len(scored)} correct" in sec
        expected = "none" if not scored else "correct" if n_ok == len(scored) else "wrong"
        assert f'data-result="{expected}"' in sec
        for r in scored:
            row = re.search(rf'data-key="{r["gt_key"]}">.*?</tr>', sec, re.S).group(0)
            assert ("✓ correct" in row) == r["correct"]
            assert f'<span class="lab">{r["prediction"]}</span>' in row
    # nothing outside the file: every src is a data URI, every link an anchor
    assert all(v.startswith("data:") for v in re.findall(r'src="([^"]*)"', html))
    assert all(v.startswith(("#", "data:")) for v in re.findall(r'href="([^"]*)"', html))
    assert html.count("<script") == 1


def test_frame_strips_keep_to_the_thumbnail_budget(closed_page, capsys):
    html = closed_page.read_text()
    sections = _sections(html)
    budget = thumb_budget()
    assert budget == 48_000
    measured = {}
    for key, sec in sections.items():
        thumbs = DATA_JPEG.findall(sec)
        if not thumbs:
            assert not HAVE_AV and "frames unavailable" in sec, key
            continue
        assert len(thumbs) <= 24
        total = 0
        for b64, w, h in thumbs:
            jpeg = base64.b64decode(b64)
            assert jpeg[:2] == b"\xff\xd8"
            total += len(jpeg)
            assert max(int(w), int(h)) <= 96
        measured[key] = total
        assert total <= budget, (key, total)
        # the mini clips hold 16 (fitness), 20 (ballsports), 19 (diving) or 6 frames a video
        assert re.search(r"(12 of \d+|all \d+) frames shown", sec)
    assert "mini_00" in measured  # fitness videos are image folders: no PyAV needed
    assert "12 of 16 frames shown" in sections["mini_00"]
    if HAVE_AV:
        assert len(measured) == len(sections)
        assert "all 6 frames shown" in sections["mini_15"]  # surgery at 1 fps
    with capsys.disabled():
        print(f"\nthumbnail JPEG bytes per sample: min {min(measured.values())}, "
              f"max {max(measured.values())}, mean {sum(measured.values()) // len(measured)} "
              f"(budget {budget}); page {len(html)} bytes")


def test_the_view_command_and_thumb_px(closed_run, work, capsys):
    parser = argparse.ArgumentParser(prog="vdbench")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["view", str(closed_run), "--cache-dir", str(work / "cache"),
                              "--thumb-px", "48"])
    assert COMMANDS["view"](args) == 0
    out = capsys.readouterr().out.strip()
    assert Path(out) == closed_run / "view" / "index.html"
    html = Path(out).read_text()
    sizes = [(int(w), int(h)) for _, w, h in DATA_JPEG.findall(html)]
    assert sizes and all(max(s) <= 48 for s in sizes)
    for key, sec in _sections(html).items():
        total = sum(len(base64.b64decode(b)) for b, _, _ in DATA_JPEG.findall(sec))
        assert total <= thumb_budget(48), key
    # back to the default page for the tests that read it
    build_view(closed_run, cache_dir=work / "cache")


def test_open_page_shows_the_judges_matching(open_run, work):
    page = build_view(open_run, cache_dir=work / "cache")
    html = page.read_text()
    results = load_results(open_run / "results.json")
    assert ">recall, average of splits<" in html and f"{100 * results.headline:.1f}%" in html
    # the judge box reads like the leaderboard's heading, not a JSON dump
    assert ">judge<" in html and "offline judge v5 (embedding)" in html
    assert "agrees with" in html and "weights_hash" not in html.split('class="cards"')[1][:3000]
    sections = _sections(html)
    preds = json.loads((open_run / "predictions.json").read_text())
    rows = {(r["sample_key"], r["gt_key"]): r for r in _jsonl(open_run / "samples.jsonl")}
    n_matched = n_unmatched = 0
    for log in _jsonl(open_run / "judge.jsonl"):
        sec = sections[log["sample_key"]]
        predicted = re.search(r'<table class="preds">.*?</table>', sec, re.S).group(0)
        assert predicted.count("<tr data-pred=") == len(preds[log["sample_key"]])
        for pk, p in preds[log["sample_key"]].items():
            prow = re.search(rf'<tr data-pred="{pk}">.*?</tr>', predicted, re.S).group(0)
            assert p["description"] in unescape(prow)
            assert f'<td class="lab">{p["prediction"]}</td>' in prow
        for gk, pk in log["matches"].items():
            row = re.search(rf'<tr class="[a-z]+" data-key="{gk}">.*?</tr>', sec, re.S).group(0)
            if pk is None:
                assert "no match" in row
                n_unmatched += 1
                continue
            n_matched += 1
            assert f"<b>p{pk}</b>" in row
            assert unescape(preds[log["sample_key"]][pk]["description"]) in unescape(row)
            flipped = log["opposite"].get(gk, False)
            assert ("opposite: flipped" in row) == flipped
            r = rows.get((log["sample_key"], gk))
            if r is not None:
                assert ("✓ correct" in row) == r["correct"]
        unmatched = set(preds[log["sample_key"]]) - {v for v in log["matches"].values() if v}
        assert predicted.count("unmatched") == len(unmatched)
    assert n_matched and n_unmatched


def test_hostile_text_is_escaped(evil_scored, closed_run, work):
    page = build_view(evil_scored, cache_dir=work / "cache")
    html = page.read_text()
    assert EVIL not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert html.count("<script") == 1
    # keyframes the predictions carry: marked on the timeline and listed beside the annotated
    sec = _sections(html)["mini_00"]
    assert 'class="mk pred"' in sec and "model 0.50, 2.50 s" in sec
    assert "localization" in html

    # a model's raw reply and error, as outputs.jsonl holds them
    copy = work / "evil_outputs"
    shutil.copytree(closed_run, copy, ignore=shutil.ignore_patterns("view"))
    outputs = _jsonl(copy / "outputs.jsonl")
    outputs[0].update(status="parse_error", error=EVIL, raw=EVIL_RAW, notes=[EVIL])
    (copy / "outputs.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs))
    html = build_view(copy, cache_dir=work / "cache").read_text()
    assert EVIL not in html and "<img src=x" not in html and "<!--" not in html
    sec = _sections(html)[outputs[0]["sample_key"]]
    assert "raw reply" in sec and "&lt;/pre&gt;&lt;img src=x" in sec
    assert "status: parse_error" in sec and "parse_error: &lt;script&gt;" in sec


def test_open_scored_file_with_hostile_descriptions(open_run, work):
    preds = json.loads((open_run / "predictions.json").read_text())
    for diffs in preds.values():
        for value in diffs.values():
            value["description"] = f"{EVIL} {value['description']}"
    path = work / "evil_open.json"
    path.write_text(json.dumps(preds))
    assert main(["score", str(path), "--mode", "open", "--judge", "offline",
                 "--cache-dir", str(work / "cache")]) == 0
    html = build_view(work / "evil_open_scored", cache_dir=work / "cache").read_text()
    assert EVIL not in html and html.count("<script") == 1
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= sum(map(len, preds.values()))
    assert "evil_open.json" in html  # predictions read from the file the scored folder names


def test_missing_videos_leave_the_page_whole(closed_run, work):
    empty = work / "no_videos"
    empty.mkdir()
    html = build_view(closed_run, cache_dir=work / "cache-none", video_root=empty).read_text()
    sections = _sections(html)
    assert len(sections) == 18
    assert all("frames unavailable: video not found" in sec for sec in sections.values())
    assert "data:image/jpeg" not in html
    build_view(closed_run, cache_dir=work / "cache")


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    from vdbench.core.errors import InputError

    with pytest.raises(InputError, match="not found"):
        build_view(tmp_path)


# --- the page in headless Chromium -------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def browser_api():
    """playwright's sync API, or the test skipped without Chromium or playwright."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (apt-get install -y chromium)")
    return pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def sync_api():
    return browser_api()


def _visible(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('section.sample')]
        .filter(s => !s.hidden && s.offsetParent !== null).map(s => s.dataset.key)""")


def test_page_in_chromium_renders_and_filters(sync_api, closed_run, closed_page, evil_scored,
                                              work, tmp_path):
    bench = load_benchmark("mini", check_videos=False)
    rows = _jsonl(closed_run / "samples.jsonl")
    wrong = {r["sample_key"] for r in rows if not r["correct"]}
    scored = {r["sample_key"] for r in rows}
    evil_page = build_view(evil_scored, cache_dir=work / "cache")
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(closed_page.as_uri())

            every = [s.sample_key for s in bench.samples]
            assert _visible(page) == every
            assert page.inner_text("#f-count") == f"{len(every)} of {len(every)} samples shown"
            imgs = page.evaluate("""() => [...document.images].map(i => [i.complete,
                                                                         i.naturalWidth])""")
            assert imgs and all(done and w > 0 for done, w in imgs)

            def pick(name: str, value: str) -> list[str]:
                page.select_option(f"#f-{name}", value)
                return _visible(page)

            easy = [s.sample_key for s in bench.samples if s.split == "easy"]
            assert pick("split", "easy") == easy
            assert page.inner_text("#f-count") == f"{len(easy)} of {len(every)} samples shown"
            easy_wrong = [k for k in easy if k in wrong]
            assert pick("result", "wrong") == easy_wrong
            easy_right = [k for k in easy if k in scored and k not in wrong]
            assert pick("result", "correct") == easy_right
            page.click("#f-reset")
            assert _visible(page) == every
            assert pick("domain", "surgery") == [s.sample_key for s in bench.samples
                                                 if s.domain == "surgery"]
            assert pick("split", "easy") == []  # no surgery sample is easy
            assert page.is_visible("#f-none")
            page.click("#f-reset")
            assert pick("action", "ballsports_0") == [s.sample_key for s in bench.samples
                                                      if s.action == "ballsports_0"]
            assert pick("result", "wrong") == [s.sample_key for s in bench.samples
                                               if s.action == "ballsports_0"
                                               and s.sample_key in wrong]
            page.click("#f-reset")
            assert len(_visible(page)) == len(every)

            shot = tmp_path / "viewer.png"
            page.screenshot(path=str(shot), full_page=True)

            page.goto(evil_page.as_uri())  # hostile descriptions: shown as text, never run
            assert EVIL in page.inner_text("#sample-mini_00")
            assert page.locator("#sample-mini_00 .mk.pred").count() > 0
        finally:
            browser.close()
    assert not errors, errors
    assert not dialogs, dialogs
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        assert im.width == 1280 and im.height > 900
    # left for inspection beside the test's other files
    (work / "viewer.png").write_bytes(data)


# --- thumbnails alone --------------------------------------------------------------------------


def _clip(n: int, make, fps: float = 4.0):
    import hashlib

    from vdbench.frames.encode import encode_jpeg
    from vdbench.frames.types import Clip, Frame

    frames = []
    for i in range(n):
        jpeg = encode_jpeg(make(i), 85)
        frames.append(Frame(i, i / fps, jpeg, hashlib.sha256(jpeg).hexdigest()))
    return Clip(tuple(frames), fps, "synthetic", "k")


def test_thumbnails_of_detailed_frames_still_fit_the_budget():
    """Frames of pure noise already at thumbnail size (nothing averages the noise away), the
    worst case for JPEG: 12 of 40 frames a video, and the sample within its budget, the
    quality and then the size giving way."""
    import numpy as np
    from PIL import Image

    from vdbench.viewer.thumbs import make_strips

    rng = np.random.default_rng(0)

    def noise(i):
        return Image.fromarray(rng.integers(0, 255, (72, 96, 3), dtype=np.uint8))

    strips = make_strips((_clip(40, noise), _clip(40, noise)))
    assert [len(s.thumbs) for s in strips] == [12, 12] and strips[0].n_frames == 40
    assert strips[0].quality == 30 and strips[0].thumbs[0].width < 96
    assert sum(s.n_bytes for s in strips) <= thumb_budget()
    times = [t.time_s for t in strips[0].thumbs]
    assert times == sorted(times) and len(set(times)) == 12  # evenly spread, no duplicates

    def scene(i):  # a plainer frame keeps the full size and a higher quality
        im = Image.new("RGB", (512, 288), (40 + i, 90, 140))
        im.paste((230, 200, 60), (100 + 5 * i, 80, 200 + 5 * i, 220))
        return im

    plain = make_strips((_clip(40, scene), _clip(10, scene)), thumb_px=128)
    assert [len(s.thumbs) for s in plain] == [12, 10]
    assert plain[0].thumbs[0].width == 128 and plain[0].quality == 70
    assert sum(s.n_bytes for s in plain) <= thumb_budget(128)
