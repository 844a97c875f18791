"""The leaderboard page in a real browser: headless Chromium (Debian's `chromium`) driven by
the `playwright` package, which is given that executable and downloads no browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from board_helpers import META, closed_predictions, results_record, run, write_json, write_run
from vdbench.benchmarks.catalog import get_benchmark

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("headless Chromium not installed (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def page_file(tmp_path: Path, cache_dir) -> Path:
    runs, subs = tmp_path / "runs", tmp_path / "submissions"
    preds = write_json(tmp_path / "p.json", closed_predictions("a"))
    write_json(tmp_path / "p.meta.json", META)
    assert run(["submit", str(preds), "--name", "always-a", "--submissions", str(subs)]) == 0
    write_run(runs, "strong", results_record({"easy": 0.8, "medium": 0.7, "hard": 0.9},
                                             model="strong", revision="a5fb8e979f3a1589"))
    write_run(runs, "weak", results_record({"easy": 0.2, "medium": 0.3, "hard": 0.25},
                                           model="weak", revision="a5fb8e979f3a1589"))
    write_run(runs, "easy-only", results_record({"easy": 0.55}, model="easy-only",
                                                revision="a5fb8e979f3a1589"))
    assert run(["eval", "--benchmark", "vidic", "--model", "random", "--judge", "offline",
                "--out", str(runs / "vidic-random"), "--no-progress"]) == 0
    assert run(["leaderboard", "--runs", str(runs), "--submissions", str(subs),
                "--out", str(tmp_path / "leaderboard")]) == 0
    return tmp_path / "leaderboard" / "index.html"


def _column(page, table: str, title: str) -> list[str | None]:
    return page.evaluate(
        """([table, title]) => {
            const t = document.querySelector(table);
            const col = [...t.tHead.rows[0].cells].findIndex(th => th.textContent === title);
            return [...t.tBodies[0].rows].map(r => r.cells[col].getAttribute("data-v"));
        }""", [table, title])


def test_page_renders_sorts_and_looks_right(page_file, tmp_path):
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())

            table = "#closed-2"  # the rows vdbench scored on mini: after the paper's numbers
            assert "Smoke test, not comparable" in page.inner_text(f"{table} caption")
            assert "mini" in page.inner_text(f"{table} caption")
            rows = page.locator(f"{table} tbody tr")
            assert rows.count() == 4
            assert page.locator(  # 6 closed + 6 open
                "#closed table.reported tbody tr, #open table.reported tbody tr").count() == 12
            assert page.locator("tr.reported .badge").first.inner_text() == "reported in the paper"
            assert page.locator("figure img").count() == 2  # closed and open
            tops = page.evaluate(
                "() => [...document.querySelectorAll('figure img')].map("
                "i => i.getBoundingClientRect().top)")
            assert tops[0] == tops[1]  # side by side on a wide screen

            # first click on a numeric header: best first; missing values stay last
            page.click(f"{table} thead th:text-is('Hard')")
            hard = _column(page, table, "Hard")
            assert hard[-1] is None
            values = [float(v) for v in hard[:-1]]
            assert values == sorted(values, reverse=True) and values[0] == 0.9
            assert page.get_attribute(f"{table} thead th:text-is('Hard')",
                                      "aria-sort") == "descending"
            page.click(f"{table} thead th:text-is('Hard')")
            hard = _column(page, table, "Hard")
            assert [float(v) for v in hard[:-1]] == sorted(values) and hard[-1] is None

            page.click(f"{table} thead th:text-is('Method')")
            methods = page.locator(f"{table} tbody tr td:nth-child(2)").all_inner_texts()
            names = [m.split("\n")[0] for m in methods]
            assert names == sorted(names, key=str.lower)

            # ViDiC-1K: a section of its own, its authors' rows, then the offline-judged run
            assert page.locator("nav a[href='#vidic']").inner_text() == "ViDiC-1K"
            assert page.inner_text("#vidic h2") == "ViDiC-1K: accuracy (%)"
            vidic = [t for t in page.evaluate("""() => [...document.querySelectorAll(
                "#vidic table")].map(t => [t.id, t.className, t.caption.textContent,
                [...t.tHead.rows[0].cells].map(c => c.textContent), t.tBodies[0].rows.length])""")]
            assert [(i, c) for i, c, *_ in vidic] == [("vidic-1", "board reported"),
                                                     ("vidic-2", "board smoke")]
            _, _, caption, head, n_rows = vidic[0]
            assert "Reported by its authors" in caption and "judge: gpt-5-mini" in caption
            assert head[:4] == ["Method", "Accuracy", "Difference", "Similarity"]
            assert "Playback technique" in head
            assert n_rows == len(get_benchmark("vidic").reported())
            assert page.locator("#vidic-1 tr.reported .badge").first.inner_text() == (
                "reported in the paper")
            _, _, caption, head, n_rows = vidic[1]
            assert "offline judge" in caption and n_rows == 1
            assert head[:3] == ["Rank", "Method", "Accuracy"]
            assert page.inner_text("#vidic-2 tbody td:nth-child(1)") == "1"
            page.click("#vidic-1 thead th:text-is('Similarity')")
            sims = [float(v) for v in _column(page, "#vidic-1", "Similarity")]
            assert sims == sorted(sims, reverse=True)
            assert page.locator("#closed table, #open table").filter(
                has_text="vidic-random").count() == 0  # never among VidDiffBench's rows

            shot = tmp_path / "leaderboard.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert not errors
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@pytest.fixture
def rich_page(tmp_path: Path, cache_dir) -> Path:
    """Seeds, model options, long labels and judges, mini and full-benchmark runs, a run with
    its viewer page: what makes a page wide."""
    runs = tmp_path / "runs"
    rev = "a5fb8e979f3a1589"
    for seed, v in ((0, 0.598), (1, 0.49), (2, 0.527)):
        write_run(runs, f"random-s{seed}", results_record(
            {"easy": v, "medium": v, "hard": v}, model="random", seed=seed, revision=rev,
            model_provenance={}))
    for localizer, v in (("clip", 0.58), ("random", 0.53), ("oracle", 0.63)):
        write_run(runs, f"viddiff-{localizer}", results_record(
            {"easy": v, "medium": v, "hard": v}, model="viddiff", revision=rev,
            model_provenance={"config": {"localizer": localizer}}))
    write_run(runs, "full", results_record(ALL_FULL, model="gpt-4o", dataset="jmhb/VidDiffBench",
                                           revision="8c1e2f0", width=0.03))
    judge = {"name": "llm", "match_model": "gpt-4o-2024-08-06", "direction_model": "gpt-4o-mini"}
    write_run(runs, "open", results_record(ALL_FULL, mode="open", model="gpt-4o", judge=judge,
                                           revision=rev))
    view = runs / "random-s1" / "view"
    view.mkdir()
    (view / "index.html").write_text("<!doctype html><title>run viewer</title><p>samples</p>")
    assert run(["leaderboard", "--runs", str(runs), "--submissions", str(tmp_path / "none"),
                "--out", str(tmp_path / "leaderboard")]) == 0
    return tmp_path / "leaderboard" / "index.html"


ALL_FULL = {"easy": 0.585, "medium": 0.531, "hard": 0.49}


def test_page_reads_well_on_a_phone(rich_page, tmp_path):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844},
                                          device_scale_factor=2, is_mobile=True)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(rich_page.as_uri())
            geometry = page.evaluate("""() => ({
                page: document.documentElement.scrollWidth,
                viewport: window.innerWidth,
                images: [...document.querySelectorAll("figure img")].map(i => {
                    const f = i.closest("figure");
                    return [i.getBoundingClientRect().width, f.scrollWidth > f.clientWidth];
                }),
                wraps: [...document.querySelectorAll(".wrap")].map(w => [
                    w.getBoundingClientRect().left, w.getBoundingClientRect().right,
                    w.scrollWidth, w.clientWidth]),
            })""")
            assert geometry["viewport"] == 390
            assert geometry["page"] <= 390  # no horizontal page overflow
            assert len(geometry["images"]) == 2
            for width, scrolls in geometry["images"]:
                assert width >= 300 or scrolls, geometry["images"]  # not shrunk to unreadable
            for left, right, _, _ in geometry["wraps"]:
                assert 0 <= left and right <= 390  # every table's box fits the screen ...
            # ... and a wide table scrolls inside it
            assert any(sw > cw for *_, sw, cw in geometry["wraps"])
            # the ranked Average is in view without scrolling in every table of vdbench rows
            averages = page.evaluate("""() => [...document.querySelectorAll(
                "table.board:not(.reported)")].map(t => {
                    const th = [...t.tHead.rows[0].cells].find(c => c.textContent === "Average");
                    return th.getBoundingClientRect().right;
                })""")
            assert averages and all(right <= 390 for right in averages), averages
            # mini tables say what they are, and come after the paper's numbers
            order = page.evaluate("""() => [...document.querySelectorAll("#closed table")].map(
                t => [t.className, t.caption.textContent])""")
            assert [c for c, _ in order].index("board reported") < [
                c for c, _ in order].index("board smoke")
            assert all("Smoke test, not comparable" in cap for c, cap in order if "smoke" in c)
            assert all("mini" not in cap.split(":")[0] or "smoke" in c for c, cap in order)
            labels = page.locator("table.board tbody td:nth-child(2)").all_inner_texts()
            assert any(t.startswith("viddiff (localizer=random)") for t in labels)
            assert any(t.startswith("random (seed 1)") for t in labels)
            page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)

            link = page.locator("a:text-is('run random-s1')")
            assert link.count() == 1
            assert link.get_attribute("href") == "../runs/random-s1/view/index.html"
            assert page.locator("a:text-is('run random-s0')").count() == 0  # no viewer page
            link.click()
            page.wait_for_load_state()
            assert page.title() == "run viewer"
        finally:
            browser.close()
    assert not problems, problems
