"""`vdbench submit` under concurrency and kills, with real processes: two submits to one name
record it once, a --replace killed between its two renames loses nothing, and what killed
submits leave behind is cleaned up without touching a live submit's scratch folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from board_helpers import META, closed_predictions, flat, run, snapshot, write_json
from vdbench.core.results import Results
from vdbench.submissions.record import repair

TIMEOUT = 120  # seconds for one vdbench process; they take about one

# Runs `vdbench ARGV` (the real CLI, in a fresh process) with one hook in record.py:
#   race                  scoring starts once two scratch folders exist, so both submits
#                         are past the early name check and meet at the locked one
#   kill-between-renames  the process dies (os._exit) right after a --replace has set the old
#                         record aside and before the new one is renamed into place
#   kill-while-scoring    the process dies while scoring into its scratch folder
#   pause                 touches WORK/scoring while scoring, goes on once WORK/go exists
#   none                  no hook
DRIVER = textwrap.dedent('''
    import os, sys, time
    from pathlib import Path

    from vdbench.cli.main import main
    from vdbench.submissions import record

    hook, subs, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    real_score = record.score_file

    def wait_for(cond, what):
        deadline = time.monotonic() + 60
        while not cond():
            if time.monotonic() > deadline:
                sys.exit(f"driver: timed out waiting for {what}")
            time.sleep(0.01)

    if hook == "race":
        def score(path, cfg):
            wait_for(lambda: len(list(subs.glob(".*.new"))) >= 2, "the other submit")
            return real_score(path, cfg)
        record.score_file = score
    elif hook == "kill-between-renames":
        real_replace = os.replace
        def replace(src, dst):
            if str(src).endswith(".new"):  # the new record moving into place
                os._exit(9)
            return real_replace(src, dst)
        record.os.replace = replace
    elif hook == "kill-while-scoring":
        record.score_file = lambda path, cfg: os._exit(9)
    elif hook == "pause":
        def score(path, cfg):
            (work / "scoring").touch()
            wait_for(lambda: (work / "go").exists(), "go")
            return real_score(path, cfg)
        record.score_file = score
    sys.exit(main(sys.argv[4:]))
''')


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("vdbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vdbench.cli.main"]


class Proc:
    """One vdbench process; wait() gives (exit status, stdout, stderr)."""

    def __init__(self, argv: list[str]):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)

    def wait(self) -> tuple[int, str, str]:
        try:
            out, err = self.p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            pytest.fail(f"vdbench did not finish in {TIMEOUT} s: {err[-2000:]}")
        return self.p.returncode, out, err


@pytest.fixture
def work(tmp_path: Path, cache_dir) -> Path:
    """tmp_path with the driver and two valid closed-mode submissions (all a, all b)."""
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    for label in "ab":
        write_json(tmp_path / f"{label}.json", closed_predictions(label))
        write_json(tmp_path / f"{label}.meta.json", dict(META, method=f"Always {label.upper()}"))
    return tmp_path


def driven(work: Path, hook: str, argv: list[str]) -> Proc:
    subs = work / "submissions"
    return Proc([sys.executable, str(work / "driver.py"), hook, str(subs), str(work), *argv])


def submit_argv(work: Path, label: str, name: str, *extra: str) -> list[str]:
    return ["submit", str(work / f"{label}.json"), "--name", name,
            "--submissions", str(work / "submissions"), *extra]


def leaderboard_argv(work: Path) -> list[str]:
    return ["leaderboard", "--submissions", str(work / "submissions"), "--no-runs",
            "--out", str(work / "leaderboard")]


def labels(folder: Path) -> set[str]:
    preds = json.loads((folder / "predictions.json").read_text())
    return {d["prediction"] for diffs in preds.values() for d in diffs.values()}


def assert_intact(folder: Path, label: str) -> None:
    """A whole record of the all-`label` file, under its name."""
    assert sorted(p.name for p in folder.iterdir()) == [
        "metadata.json", "predictions.json", "results.json", "samples.jsonl"]
    results = Results.from_json(json.loads((folder / "results.json").read_text()))
    assert results.model == folder.name and results.complete
    assert labels(folder) == {label}
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["method"] == f"Always {label.upper()}"


def entries(subs: Path) -> list[str]:
    return sorted(p.name for p in subs.iterdir())


# ---------------------------------------------------------------- two submits, one name


@pytest.mark.parametrize("how", ["race"] * 4 + ["console-script"] * 2)
def test_two_simultaneous_submits_to_one_name_record_it_once(how, work):
    """`race` holds both submits until both are past the early name check, so the check
    under the lock decides; `console-script` starts two plain `vdbench submit` at once."""
    subs = work / "submissions"
    if how == "race":
        procs = {label: driven(work, "race", submit_argv(work, label, "same"))
                 for label in "ab"}
    else:
        procs = {label: Proc([*console_script(), *submit_argv(work, label, "same")])
                 for label in "ab"}
    done = {label: p.wait() for label, p in procs.items()}
    codes = sorted(rc for rc, _, _ in done.values())
    assert codes == [0, 2], {k: (rc, err[-1500:]) for k, (rc, _, err) in done.items()}
    winner = next(label for label, (rc, _, _) in done.items() if rc == 0)
    loser = next(label for label, (rc, _, _) in done.items() if rc == 2)
    assert "recorded" in flat(done[winner][1])
    _, out, err = done[loser]
    assert "a submission named 'same' is already recorded" in flat(err)
    assert "recorded" not in flat(out)
    assert_intact(subs / "same", winner)
    assert entries(subs) == ["same"]  # neither scratch folder is left


# ---------------------------------------------------------------- a kill between the renames


@pytest.fixture
def killed(work: Path) -> tuple[Path, dict[str, bytes]]:
    """`existing` (all a) recorded; then a `--replace` with all b killed between its two
    renames. Returns the submissions folder and its snapshot from before the kill."""
    subs = work / "submissions"
    assert run(submit_argv(work, "a", "existing")) == 0
    before = snapshot(subs)
    rc, _, err = driven(work, "kill-between-renames",
                        submit_argv(work, "b", "existing", "--replace")).wait()
    assert rc == 9, err[-2000:]
    names = entries(subs)  # what the kill left: the record aside, the new one not in place
    assert "existing" not in names, names
    olds = [n for n in names if n.startswith(".existing.") and n.endswith(".old")]
    news = [n for n in names if n.startswith(".existing.") and n.endswith(".new")]
    assert len(olds) == 1 and len(news) == 1 and len(names) == 2, names
    assert_intact(subs / olds[0] / "existing", "a")
    return subs, before


def test_leaderboard_after_a_kill_between_the_renames_restores_the_old_record(work, killed):
    subs, before = killed
    rc, out, err = Proc([*console_script(), *leaderboard_argv(work)]).wait()
    assert rc == 0, err[-2000:]
    assert "note: restored" in flat(err) and "interrupted" in flat(err)
    assert snapshot(subs) == before  # byte for byte, and no scratch folder left
    board = json.loads((work / "leaderboard" / "leaderboard.json").read_text())
    ids = {row["id"] for table in board["tables"] for row in table["rows"]}
    assert "submission:existing" in ids


def test_submit_after_a_kill_between_the_renames_restores_then_refuses_the_name(work, killed):
    subs, before = killed
    rc, out, err = Proc([*console_script(), *submit_argv(work, "b", "existing")]).wait()
    assert rc == 2, err[-2000:]  # restored first, so the name is taken again
    assert "already recorded" in flat(err)
    assert snapshot(subs) == before


def test_submit_of_another_name_after_a_kill_restores_the_old_record(work, killed):
    subs, before = killed
    rc, out, err = Proc([*console_script(), *submit_argv(work, "b", "newcomer")]).wait()
    assert rc == 0, err[-2000:]
    assert entries(subs) == ["existing", "newcomer"]
    assert {k: v for k, v in snapshot(subs).items() if "newcomer" not in k} == before
    assert_intact(subs / "newcomer", "b")


def test_replace_still_replaces_after_the_repair(work, killed):
    subs, _ = killed
    rc, out, err = Proc([*console_script(),
                         *submit_argv(work, "b", "existing", "--replace")]).wait()
    assert rc == 0, err[-2000:]
    assert entries(subs) == ["existing"]
    assert_intact(subs / "existing", "b")


# ---------------------------------------------------------------- stale and live scratch


def test_stale_scratch_folders_are_removed_and_a_live_one_is_not(work):
    subs = work / "submissions"
    assert run(submit_argv(work, "a", "existing")) == 0
    live = driven(work, "pause", submit_argv(work, "b", "live"))
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (work / "scoring").exists():
            assert live.p.poll() is None, live.wait()[2][-2000:]
            assert time.monotonic() < deadline, "the live submit never started scoring"
            time.sleep(0.02)
        (live_stage,) = subs.glob(".live.*.new")
        inside = sorted(p.name for p in live_stage.iterdir())
        # a real stale one: a submit killed while scoring (its own repair at the start
        # passes over the live scratch folder)
        rc, _, err = driven(work, "kill-while-scoring", submit_argv(work, "b", "dead")).wait()
        assert rc == 9, err[-2000:]
        (dead,) = subs.glob(".dead.*.new")
        # by hand: an old record set aside whose replacement is in place (killed before its
        # removal), and one whose removal had begun (never restored)
        aside = subs / ".existing.k1ll3d_0.old" / "existing"
        shutil.copytree(subs / "existing", aside)
        half = subs / ".gone.abcdefgh.old" / ".discarded"
        half.mkdir(parents=True)
        (half / "results.json").write_text("{}")
        # not scratch folders of submit: left alone
        (subs / ".notes").mkdir()
        (subs / ".x.new").mkdir()

        rc, out, err = Proc([*console_script(), *leaderboard_argv(work)]).wait()
        assert rc == 0, err[-2000:]
        notes = "".join(err.split())  # paths, however the console wrapped them
        for gone in (dead, aside.parent, half.parent):
            assert not gone.exists(), gone
            assert f"removed{gone}".replace(" ", "") in notes, (gone, err)
        assert "restored" not in notes
        assert live_stage.is_dir() and sorted(p.name for p in live_stage.iterdir()) == inside
        assert repair(subs) == []  # in this process too: the live one is held
        assert entries(subs) == sorted([".notes", ".x.new", "existing", live_stage.name])
    finally:
        (work / "go").touch()
        rc, out, err = live.wait()
    assert rc == 0, err[-2000:]
    assert_intact(subs / "live", "b")
    assert_intact(subs / "existing", "a")
    assert entries(subs) == [".notes", ".x.new", "existing", "live"]


def test_repair_restores_the_newest_of_two_old_records_and_skips_a_missing_folder(tmp_path):
    assert repair(tmp_path / "absent") == []
    assert not (tmp_path / "absent").exists()
    subs = tmp_path / "submissions"
    for rand, method, mtime in (("aaaaaaaa", "older", 1_000_000), ("bbbbbbbb", "newer", 2_000_000)):
        old = subs / f".m.{rand}.old"
        (old / "m").mkdir(parents=True)
        write_json(old / "m" / "metadata.json", {"method": method})
        os.utime(old, (mtime, mtime))
    done = repair(subs)
    assert len(done) == 3 and done[0].startswith(f"restored {subs / 'm'} from .m.bbbbbbbb.old")
    assert json.loads((subs / "m" / "metadata.json").read_text()) == {"method": "newer"}
    assert entries(subs) == ["m"]
    assert repair(subs) == []
