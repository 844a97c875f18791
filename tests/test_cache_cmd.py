"""`vdbench cache info|prune|clear`: what the caches hold, pruning by age and model, and never
touching a cache folder that a running process holds."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from vdbench.cli.main import main
from vdbench.data.loader import load_benchmark
from vdbench.frames.prepare import FramePreparer
from vdbench.frames.spec import FrameSpec
from vdbench.llm.cache import CACHE_FILE, ResponseCache
from vdbench.llm.types import ChatReply

DAY = 86_400


def fill(cache_dir: Path) -> None:
    """The clips of two pairs; replies of two models, one stored nine days ago."""
    bench = load_benchmark("mini")
    preparer = FramePreparer(FrameSpec(), cache_dir, bench.video_root)
    for sample in bench.samples[:2]:
        preparer.prepare_pair(sample)
    cache = ResponseCache(cache_dir / CACHE_FILE)
    for i, model in enumerate(("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "claude-x")):
        cache.put_now(f"k{i}", model, ChatReply("ok", text="{}" * 10))
    cache.close()
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        db.execute("UPDATE responses SET created_at = ? WHERE key = 'k0'", (time.time() - 9 * DAY,))


def frame_entries(cache_dir: Path) -> list[Path]:
    return [p for p in (cache_dir / "frames").iterdir() if not p.name.startswith(".")]


def test_info_lists_responses_by_model_and_frames(tmp_path, capsys):
    cache_dir = tmp_path / "cache"
    fill(cache_dir)
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", str(cache_dir)]) == 0
    out = capsys.readouterr().out
    assert "responses: gpt-4o-2024-08-06" in out and "responses: claude-x" in out
    n_frames = len(frame_entries(cache_dir))
    assert n_frames > 0
    assert any(line.split("│")[1].strip() == "frames" and str(n_frames) in line
               for line in out.splitlines() if "│" in line)


def test_prune_by_age_and_by_model(tmp_path):
    cache_dir = tmp_path / "cache"
    fill(cache_dir)
    frames_before = frame_entries(cache_dir)
    old = frames_before[0]
    os.utime(old, (time.time() - 9 * DAY, time.time() - 9 * DAY))
    assert main(["cache", "prune", "--older-than", "7", "--cache-dir", str(cache_dir)]) == 0
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        keys = {k for (k,) in db.execute("SELECT key FROM responses")}
    assert keys == {"k1", "k2"}
    assert not old.exists() and len(frame_entries(cache_dir)) == len(frames_before) - 1
    assert main(["cache", "prune", "--model", "claude-x", "--cache-dir", str(cache_dir)]) == 0
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        assert {k for (k,) in db.execute("SELECT key FROM responses")} == {"k1"}
    assert len(frame_entries(cache_dir)) == len(frames_before) - 1  # --model keeps frames


def test_clear_empties_both_and_a_rerun_rebuilds(tmp_path):
    cache_dir = tmp_path / "cache"
    fill(cache_dir)
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert frame_entries(cache_dir) == []
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone() == (0,)


def test_a_cache_in_use_is_never_changed(tmp_path, capsys):
    cache_dir = tmp_path / "cache"
    fill(cache_dir)
    held = ResponseCache(cache_dir / CACHE_FILE)  # what every run holds while it runs
    try:
        for action in (["clear"], ["prune", "--older-than", "0"]):
            assert main(["cache", *action, "--cache-dir", str(cache_dir)]) == 2
            assert "running vdbench process" in capsys.readouterr().err
        assert len(held) == 3 and frame_entries(cache_dir)
    finally:
        held.close()
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0


def test_prune_needs_a_criterion(tmp_path, capsys):
    assert main(["cache", "prune", "--cache-dir", str(tmp_path)]) == 2
    assert "--older-than" in capsys.readouterr().err
