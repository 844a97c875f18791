"""A dry run people can read: the data priced, a table per stage with the judge's share in open
mode, and a warning for a request that cannot fit its model's context window."""

import re

import pytest

from vdbench.cli.main import main
from vdbench.llm import windows


@pytest.fixture
def no_key(monkeypatch):
    pytest.importorskip("openai")
    pytest.importorskip("av")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def _dry(capsys, *args) -> str:
    assert main(["eval", "--model", "gpt-4o", "--dry-run", "--limit", "3", *args]) == 0
    return capsys.readouterr().out


def _row(out: str, stage: str) -> list[str]:
    line = next(x for x in out.splitlines() if re.match(rf"[│|] {stage}\s", x))
    return [c.strip() for c in re.split(r"[│|]", line)[1:-1]]


def test_open_dry_run_prices_the_judge_and_names_the_data(no_key, cache_dir, capsys):
    out = _dry(capsys, "--mode", "open")
    model, judge, total = _row(out, "model"), _row(out, "judge"), _row(out, "total")
    assert model[2] == "3" and int(judge[2]) >= 3  # a match request a sample, then directions
    assert int(total[2]) == int(model[2]) + int(judge[2])
    assert judge[5].startswith("$") and float(judge[5][1:]) > 0
    flat = " ".join(out.split())
    assert "data priced: mini @" in flat and "pass --data jmhb/VidDiffBench" in flat
    assert "note:" not in out and "warning" not in out


def test_offline_judge_adds_no_requests(no_key, cache_dir, capsys):
    out = _dry(capsys, "--mode", "open", "--judge", "offline")
    assert not re.search(r"[│|] judge\s", out) and "judge: offline, no requests" in out


def test_a_request_over_the_window_is_warned_about(no_key, cache_dir, capsys, monkeypatch):
    monkeypatch.setitem(windows.CONTEXT_WINDOWS, "gpt-4o", 5000)
    flat = " ".join(_dry(capsys).split())
    assert "warning: gpt-4o-2024-08-06: the largest request is about" in flat
    assert "exceeds the model's 5,000-token context window" in flat


def test_windows_are_found_by_family():
    assert windows.context_window("gpt-4o-2024-08-06") == 128_000
    assert windows.context_window("gpt-4o-mini-2024-07-18") == 128_000
    assert windows.context_window("claude-sonnet-4-5-20250929") == 200_000
    assert windows.context_window("Qwen/Qwen2-VL-7B-Instruct") is None
    assert windows.window_warnings({"gpt-4o-2024-08-06": (127_000, 2048)})
    assert not windows.window_warnings({"gpt-4o-2024-08-06": (120_000, 2048)})
