"""`vdbench view RUN` on ViDiC-1K runs of the mini benchmark (an `eval` with the offline judge
and a `score`d prediction file): the summary (accuracy, difference and similarity accuracy,
the judge's measured agreement, the scores by class), each pair's videos, the model's text
and every checklist item with the judge's answer; hostile text shown as text; and, when
Debian's `chromium` and the `playwright` package are installed, the item filters in headless
Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html import escape, unescape
from pathlib import Path

import pytest

# the page's sections, the run's JSON lines, and headless Chromium as the VidDiffBench tests
# find it (browser_api skips the test without chromium or playwright)
from test_viewer import ARGS, CHROMIUM, _jsonl, _sections, browser_api
from vdbench.benchmarks.catalog import get_benchmark
from vdbench.cli.main import main
from vdbench.core.errors import InputError
from vdbench.core.results import load_results
from vdbench.data.loader import Selection
from vdbench.viewer import build_view
from vdbench.viewer.kinds import VIEWS, view_of

EVIL = "<script>alert(1)</script>"
ITEM = re.compile(r'<tr class="item" data-key="([^"]*)" data-kind="([^"]*)" '
                  r'data-class="([^"]*)" data-outcome="([^"]*)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)

try:
    import av  # noqa: F401

    HAVE_AV = True
except ImportError:  # mini's mp4 videos need the video extra
    HAVE_AV = False


def _text(cell: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", cell))


def _samples():
    return get_benchmark("vidic").load("mini", Selection(), video_root=None, cache_dir=None,
                                       skip_missing=False, check_videos=False,
                                       revision=None).samples


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("viewer_vidic")


@pytest.fixture(scope="module")
def run(work: Path) -> Path:
    out = work / "run"
    assert main(["eval", "--benchmark", "vidic", "--model", "random", "--judge", "offline",
                 "--out", str(out), "--no-progress", "--cache-dir", str(work / "cache")]) == 0
    return out


@pytest.fixture(scope="module")
def page(run: Path, work: Path) -> Path:
    return build_view(run, cache_dir=work / "cache")


def test_the_viewer_picks_the_benchmarks_view():
    assert view_of("viddiffbench").row_key == "gt_key"
    assert view_of("vidic").row_key == "item_key"
    assert set(VIEWS) == {"viddiffbench", "vidic"}
    with pytest.raises(InputError, match="has no view"):
        view_of("nope")


def test_summary_shows_accuracy_the_judge_and_classes(run, page):
    html = page.read_text()
    results = load_results(run / "results.json")
    assert results.benchmark == "vidic"
    cards = dict(re.findall(r'<div class="k">([^<]*)</div><div class="v [^"]*">([^<]*)</div>',
                            html))
    assert cards["accuracy"] == f"{100 * results.headline:.1f}%"
    ci = results.ci95
    assert f"95% CI [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" in html
    for kind in ("difference", "similarity"):
        assert cards[f"{kind} accuracy"] == f"{100 * results.metrics[f'{kind}_accuracy']:.1f}%"
    assert cards["judge"].startswith("offline-lexical v1")
    agreement = results.judge["measured"]["agreement"]
    assert f"agrees with {100 * agreement:.1f}%" in html
    assert "ViDiC-1K (vidic)" in html
    # the scores by class, from breakdowns.class, not a table by split
    by_class = results.breakdowns["class"]
    table = re.search(r"<th>class</th>.*?</tbody>", html, re.S).group(0)
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td>"
                      r"<td class=\"num\">(\d+)</td><td class=\"num\">([^<]*)</td>", table)
    assert {r[0] for r in rows} == set(by_class)
    for name, pairs, items, score in rows:
        block = by_class[name]
        assert (int(pairs), int(items)) == (block["n_samples"], block["n_scored"])
        assert score == f"{100 * block['accuracy']:.1f}%"
    assert "<th>split</th>" not in html
    # filters: by source, by class, wrong items only
    assert 'class="flt" name="domain"' in html and 'class="iflt" name="class"' in html
    assert '<option value="wrong">wrong only</option>' in html


def test_every_pair_shows_its_videos_text_and_checklist(run, page):
    html = page.read_text()
    sections = _sections(html)
    samples = _samples()
    assert list(sections) == [s.sample_key for s in samples]
    rows = {(r["sample_key"], r["item_key"]): r for r in _jsonl(run / "samples.jsonl")}
    outputs = {o["sample_key"]: o for o in _jsonl(run / "outputs.jsonl")}
    for s in samples:
        sec = sections[s.sample_key]
        assert f'data-domain="{s.domain}"' in sec
        assert sec.count('class="video"') == 2
        if HAVE_AV:  # fps_original probed: the frames the model was shown, as thumbnails
            assert "data:image/jpeg;base64," in sec and "frames unavailable" not in sec
        text = outputs[s.sample_key]["response"]
        assert f'<pre class="response">{escape(text)}</pre>' in sec
        items = ITEM.findall(sec)
        assert [i[0] for i in items] == [i.key for i in s.checklist]
        for (key, kind, cls, outcome, cells), item in zip(items, s.checklist):
            row = rows[(s.sample_key, key)]
            assert (kind, cls) == (item.kind, item.cls) == (row["kind"], row["cls"])
            texts = [_text(c) for c in CELL.findall(cells)]
            assert texts == [key, kind, cls, item.question, item.answer,
                             row["judge_answer"], row["explanation"],
                             "✓ right" if row["correct"] else "✗ wrong"]
            assert outcome == ("correct" if row["correct"] else "wrong")
        right = sum(rows[(s.sample_key, i.key)]["correct"] for i in s.checklist)
        assert f"{right} of {len(s.checklist)} items right" in sec


def test_hostile_text_is_escaped_and_keeps_its_whitespace(run, work):
    copy = work / "evil_run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("view"))
    outputs = _jsonl(copy / "outputs.jsonl")
    evil_text = f"Video A:\n    {EVIL} &amp; <b>bold</b>\n\n  end"
    outputs[0].update(response=evil_text, raw=evil_text)
    outputs[1].update(status="api_error", error=EVIL, response=None, raw='</pre><img src=x>')
    (copy / "outputs.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs))
    rows = _jsonl(copy / "samples.jsonl")
    for r in rows:
        if r["sample_key"] == outputs[0]["sample_key"]:
            r["explanation"] = EVIL
    (copy / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    html = build_view(copy, cache_dir=work / "cache").read_text()
    assert EVIL not in html and "<b>bold</b>" not in html and "<img src=x" not in html
    assert html.count("<script") == 1
    sec = _sections(html)[outputs[0]["sample_key"]]
    escaped = ("Video A:\n    &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; "
               "&lt;b&gt;bold&lt;/b&gt;\n\n  end")
    assert f'<pre class="response">{escaped}</pre>' in sec
    assert "<small>&lt;script&gt;alert(1)&lt;/script&gt;</small>" in sec  # the explanation
    assert "raw reply" not in sec  # the same text as the response: shown once
    failed = _sections(html)[outputs[1]["sample_key"]]
    assert "no text: the model&#x27;s output is api_error" in failed
    assert "error: &lt;script&gt;" in failed and "&lt;/pre&gt;&lt;img src=x&gt;" in failed


def test_a_scored_prediction_file_shows_its_texts(run, work):
    preds = json.loads((run / "predictions.json").read_text())
    first = next(iter(preds))
    preds[first]["response"] = f"{EVIL}\n  Video B is darker."
    path = work / "vidic_preds.json"
    path.write_text(json.dumps(preds))
    assert main(["score", str(path), "--benchmark", "vidic", "--judge", "offline",
                 "--cache-dir", str(work / "cache")]) == 0
    scored = work / "vidic_preds_scored"
    assert not (scored / "outputs.jsonl").exists()
    html = build_view(scored, cache_dir=work / "cache").read_text()
    assert EVIL not in html and html.count("<script") == 1
    sections = _sections(html)
    assert ('<pre class="response">&lt;script&gt;alert(1)&lt;/script&gt;\n  Video B is '
            'darker.</pre>') in sections[first]
    for key, value in preds.items():
        if key != first:
            assert f'<pre class="response">{escape(value["response"])}</pre>' in sections[key]
    assert str(path) in html  # predictions read from the file the folder names


def test_missing_videos_leave_the_page_whole(run, work):
    empty = work / "no_videos"
    empty.mkdir()
    html = build_view(run, cache_dir=work / "cache-none", video_root=empty).read_text()
    sections = _sections(html)
    assert len(sections) == len(_samples())
    assert all("frames unavailable: video not found" in sec for sec in sections.values())
    assert all('<table class="checklist">' in sec for sec in sections.values())


# --- the page in headless Chromium -------------------------------------------------------------


def test_page_in_chromium_shows_the_checklist_and_filters_items(run, page):
    sync_api = browser_api()
    samples = _samples()
    every = [s.sample_key for s in samples]
    rows = _jsonl(run / "samples.jsonl")
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.on("request", lambda r: requests.append(r.url))
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto(page.as_uri())

            def shown() -> dict[str, list[str]]:
                """Per visible pair, its visible checklist items."""
                return tab.evaluate("""() => Object.fromEntries(
                    [...document.querySelectorAll('section.sample')]
                    .filter(s => !s.hidden && s.offsetParent !== null)
                    .map(s => [s.dataset.key, [...s.querySelectorAll('tr.item')]
                        .filter(r => r.offsetParent !== null).map(r => r.dataset.key)]))""")

            assert tab.is_visible(f"#sample-{every[0]} table.checklist")
            assert tab.is_visible(f"#sample-{every[0]} pre.response")
            everything = shown()
            assert list(everything) == every
            assert tab.inner_text("#f-count") == f"{len(every)} of {len(every)} samples shown"

            def expect(keep) -> dict[str, list[str]]:
                out: dict[str, list[str]] = {}
                for s in samples:
                    items = [r["item_key"] for r in rows
                             if r["sample_key"] == s.sample_key and keep(r)]
                    if items:
                        out[s.sample_key] = items
                return out

            tab.select_option("#f-class", "subject")
            subject = expect(lambda r: r["cls"] == "subject")
            assert shown() == subject and len(subject) < len(every)
            n = sum(map(len, subject.values()))
            assert tab.inner_text("#f-count") == (f"{len(subject)} of {len(every)} samples "
                                                  f"shown, {n} items")
            tab.select_option("#f-outcome", "wrong")
            assert shown() == expect(lambda r: r["cls"] == "subject" and not r["correct"])
            tab.select_option("#f-class", "")
            assert shown() == expect(lambda r: not r["correct"])
            tab.select_option("#f-domain", "shapes")
            shapes = {s.sample_key for s in samples if s.domain == "shapes"}
            assert shown() == {k: v for k, v in expect(lambda r: not r["correct"]).items()
                               if k in shapes}
            tab.select_option("#f-outcome", "correct")
            tab.select_option("#f-kind", "difference")  # the random model gets none right
            assert shown() == {} and tab.is_visible("#f-none")
            tab.click("#f-reset")
            assert shown() == everything
        finally:
            browser.close()
    assert not errors, errors
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
