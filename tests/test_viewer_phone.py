"""The run viewer on a phone (390 px, headless Chromium): no part of the page overflows it,
the differences tables scroll inside their own box, and timeline markers do not overlap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vdbench.cli.main import main
from vdbench.viewer import build_view

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("headless Chromium not installed (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def test_viewer_reads_well_on_a_phone(tmp_path: Path):
    run = tmp_path / "open"
    assert main(["eval", "--model", "random", "--mode", "open", "--judge", "offline",
                 "--out", str(run), "--no-progress", "--cache-dir", str(tmp_path / "c")]) == 0
    page_file = build_view(run, cache_dir=tmp_path / "c")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844},
                                       is_mobile=True).new_page()
            page.goto(page_file.as_uri())
            geometry = page.evaluate("""() => ({
                page: document.documentElement.scrollWidth,
                tables: [...document.querySelectorAll("table.diffs, table.preds")].map(
                    t => t.parentElement.getBoundingClientRect().right),
                overlaps: [...document.querySelectorAll(".timeline")].map(tl => {
                    const boxes = [...tl.querySelectorAll(".mk")].map(
                        m => m.getBoundingClientRect());
                    let n = 0;
                    for (let i = 0; i < boxes.length; i++)
                        for (let j = i + 1; j < boxes.length; j++) {
                            const a = boxes[i], b = boxes[j];
                            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                            if (w > 2 && h > 2) n++;
                        }
                    return n;
                }),
            })""")
            page.screenshot(path=str(tmp_path / "viewer-phone.png"), full_page=True)
        finally:
            browser.close()
    assert geometry["page"] <= 390
    assert geometry["tables"] and all(right <= 390 for right in geometry["tables"])
    assert sum(geometry["overlaps"]) <= len(geometry["overlaps"])  # dots may touch, not pile
