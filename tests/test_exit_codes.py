"""Every vdbench command exits 0 or 2 as it should, run after run.

Reading parquet through Arrow's thread pools used to abort about one process in 70 at
interpreter exit ("terminate called without an active exception", exit 134), after the
command had done its work. One run proves nothing, so this runs the success and the error
path of `validate` and `score` many times, in fresh interpreters, two at a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vdbench.data.loader import load_benchmark

RUNS_PER_COMMAND = 60  # 4 commands: 240 processes; at a 1-in-70 abort rate P(none) ~ 3%
MIN_RUNS = 120  # on a loaded machine, stop after the time budget, but never before this many
BUDGET_S = 80
WORKERS = 2  # processes at a time


def _prediction_files(tmp_path: Path) -> tuple[Path, Path]:
    samples = load_benchmark("mini", check_videos=False).samples
    preds = {s.sample_key: {k: {"prediction": "a", "description": ""} for k in s.scored_keys}
             for s in samples}
    valid, invalid = tmp_path / "valid.json", tmp_path / "invalid.json"
    valid.write_text(json.dumps(preds))
    invalid.write_text(json.dumps({**preds, "no_such_sample": {"0": "a"}}))
    return valid, invalid


def _run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "vdbench.cli.main", *args],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def test_exit_codes_are_stable_over_many_runs(tmp_path):
    valid, invalid = _prediction_files(tmp_path)
    commands: list[tuple[list[str], int]] = []
    for i in range(RUNS_PER_COMMAND):
        commands += [
            (["validate", str(valid), "--data", "mini"], 0),
            (["validate", str(invalid), "--data", "mini"], 2),
            (["score", str(valid), "--data", "mini", "--out", str(tmp_path / f"ok{i}")], 0),
            (["score", str(invalid), "--data", "mini", "--out", str(tmp_path / f"bad{i}")], 2),
        ]
    start = time.perf_counter()

    def one(i: int) -> tuple[int, str] | None:
        if i >= MIN_RUNS and time.perf_counter() - start > BUDGET_S:
            return None  # out of time: the runs so far are the sample
        return _run(commands[i][0])

    with ThreadPoolExecutor(WORKERS) as pool:
        ran = [(c, r) for c, r in zip(commands, pool.map(one, range(len(commands))))
               if r is not None]
    seconds = time.perf_counter() - start
    wrong = [(args[0], Path(args[1]).name, want, rc, err.strip()[-300:])
             for (args, want), (rc, err) in ran if rc != want]
    print(f"{len(ran)} runs in {seconds:.1f} s")
    assert len(ran) >= MIN_RUNS
    assert not wrong, f"{len(wrong)} of {len(ran)} runs exited wrongly: {wrong[:5]}"
    for (_, want), (_, err) in ran:
        assert "Traceback" not in err and "terminate called" not in err, err
        if want == 2:
            assert "no_such_sample" in err and "unknown sample key" in err
