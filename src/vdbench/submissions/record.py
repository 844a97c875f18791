"""`vdbench submit`: validate, score and record a submission under submissions/NAME/.

All files of a submission are written into a hidden scratch folder `.NAME.XXXXXXXX.new`
beside the target and renamed into place, so a reader (or a crash) never sees half a
submission; with replace the old folder is renamed aside into `.NAME.XXXXXXXX.old/NAME` first
and removed only once the new one is in place.

Concurrency and crashes. Two locks, both `fcntl.flock` (released by the kernel when a process
dies, so a kill never leaves a lock behind):

* the submissions folder itself is locked (no lock file to clean up or to show up in the
  folder) around the short steps that create a scratch folder and that check the name and
  rename into place. Scoring, the slow part, runs outside it; the name is checked again under
  the lock right before the rename, so of two submits to one name exactly one records it.
* each scratch `.new` folder is locked by its submit for as long as that submit lives.

`repair()` (run by `submit` and `vdbench leaderboard`) takes the folder lock, so it never sees
a rename half done by a live submit. Under it, every `.old` folder is left over by a killed
process: if its NAME is not recorded, the old record inside is put back (a `--replace` killed
between its two renames); then it is removed. A `.new` folder is removed only when its own
lock is free, so the scratch folder of a submit still scoring is never touched."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vdbench.core.errors import InputError, RunFailure
from vdbench.core.io import write_json_atomic
from vdbench.core.results import Results
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import score_file
from vdbench.submissions import DEFAULT_MAX_MB
from vdbench.submissions.validate import (
    NAME_RE,
    SubmissionMetadata,
    check_name,
    validate_submission,
)

# .NAME.XXXXXXXX.new | .old, as tempfile.mkdtemp(prefix=".NAME.", suffix=...) names them
SCRATCH_RE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.(?P<kind>new|old)$")
DISCARDED = ".discarded"  # not a valid NAME: a half-removed old record is never restored


@dataclass
class Recorded:
    name: str
    folder: Path
    metadata: SubmissionMetadata
    results: Results
    repaired: list[str] = field(default_factory=list)  # what repair() did first


def submit(
    path: str | Path,
    name: str,
    cfg: EvalConfig,
    *,
    submissions_dir: str | Path = "submissions",
    replace: bool = False,
    metadata_path: str | Path | None = None,
    max_mb: float = DEFAULT_MAX_MB,
) -> Recorded:
    """Validate strictly, score through the pipeline, record. cfg gives the benchmark, data,
    selection and scoring settings; its mode is replaced by the metadata's."""
    check_name(name)
    root = Path(submissions_dir)
    target = root / name
    repaired = repair(root)
    if target.exists() and not replace:  # checked again under the lock before the rename
        raise _taken(target)
    spec = cfg.spec
    bench = spec.load(cfg.data, cfg.selection, video_root=cfg.video_root,
                      cache_dir=cfg.cache_dir, skip_missing=False, check_videos=False,
                      revision=cfg.data_revision)
    checked = validate_submission(path, bench.samples, None, metadata_path=metadata_path,
                                  require_metadata=True, max_mb=max_mb, benchmark=spec)
    metadata = checked.metadata
    assert metadata is not None  # require_metadata: a missing one is an InputError above
    assert metadata.benchmark == spec.name  # validate fills it in or refuses another

    made_root = not root.exists()
    lock = _lock_folder(root, create=True)
    try:  # made and locked in one step, so repair() never takes it for a dead one
        stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".new", dir=root))
        stage_lock = _hold(stage)
    finally:
        os.close(lock)
    try:
        stage.chmod(0o755)  # mkdtemp makes it private; a recorded submission is public
        write_json_atomic(stage / "predictions.json",
                          spec.predictions_to_json(checked.predictions.predictions))
        write_json_atomic(stage / "metadata.json", metadata.to_json())
        scoring = dataclasses.replace(cfg, mode=metadata.mode, out=stage, out_held=True)
        results, _ = score_file(stage / "predictions.json", scoring)
        if not results.complete:  # a judge failure is never recorded as a score
            failed = results.failures or {}
            errors = "; ".join(f"{e['sample_key']}: {e['error']}"
                               for e in failed.get("first_errors", []))
            raise RunFailure(f"the judge failed on {failed.get('failed_samples')} samples, so "
                             f"nothing was recorded ({errors}); fix the judge (--judge, its key "
                             "or server) and submit again")
        results = _as_record(results, name, checked.predictions.format)
        write_json_atomic(stage / "results.json", results.to_json())
        _swap_in(stage, target, replace=replace)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if made_root:
            _remove_if_empty(root)
        raise
    finally:
        os.close(stage_lock)
    return Recorded(name, target, metadata, results, repaired)


def _taken(target: Path) -> InputError:
    return InputError(f"{target}: a submission named {target.name!r} is already recorded; "
                      "pass --replace to overwrite it")


def _as_record(results: Results, name: str, fmt: str) -> Results:
    """The recorded results name the submission and hold no path of the submitter's machine
    or of the scratch folder."""
    return dataclasses.replace(results, model=name, prediction_format=fmt, provenance=dict(
        results.provenance, predictions_file="predictions.json"))


def _swap_in(stage: Path, target: Path, *, replace: bool) -> None:
    """Check the name and rename the stage into place, under the folder lock: between the
    check and the renames no other submit can record the name, and no repair() can see the
    old record set aside."""
    lock = _lock_folder(target.parent, create=True)
    try:
        if target.exists() and not replace:  # another submit recorded it while we scored
            raise _taken(target)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old",
                                        dir=target.parent))
            os.replace(target, old / target.name)
        try:
            os.replace(stage, target)
        except BaseException:
            if old is not None:
                os.replace(old / target.name, target)
                old.rmdir()
            raise
        if old is not None:
            os.replace(old / target.name, old / DISCARDED)  # never restored if killed below
            shutil.rmtree(old, ignore_errors=True)  # what is left, repair() removes
    finally:
        os.close(lock)


def repair(submissions_dir: str | Path) -> list[str]:
    """Undo what a killed `submit` left behind; returns one line per thing done.

    Under the folder lock: a `.NAME.*.old/NAME` whose NAME is not recorded is put back (the
    newest first, if several); every `.old` folder is then removed; a `.new` scratch folder is
    removed when no live submit holds its lock. A folder that is not there is left alone."""
    root = Path(submissions_dir)
    done: list[str] = []
    try:
        lock = _lock_folder(root, create=False)
    except FileNotFoundError:
        return done
    except OSError as exc:
        return [f"could not lock {root} to look for interrupted submits: {exc}"]
    try:
        scratch = [(p, m["name"], m["kind"]) for p in root.iterdir()
                   if (m := SCRATCH_RE.match(p.name)) and NAME_RE.fullmatch(m["name"])
                   and p.is_dir() and not p.is_symlink()]
        olds = sorted(((p, name) for p, name, kind in scratch if kind == "old"),
                      key=lambda pair: _mtime(pair[0]), reverse=True)
        for old, name in olds:
            kept = old / name
            target = root / name
            try:
                if kept.is_dir() and not kept.is_symlink() and not os.path.lexists(target):
                    os.replace(kept, target)
                    done.append(f"restored {target} from {old.name} (a --replace was "
                                "interrupted between its two renames)")
                shutil.rmtree(old)
                done.append(f"removed {old}, left by an interrupted submit")
            except OSError as exc:
                done.append(f"could not repair {old}: {exc}")
        for new in (p for p, _, kind in scratch if kind == "new"):
            try:
                held = _try_hold(new)
                if held is None:
                    continue  # a live submit is still scoring into it
                try:
                    shutil.rmtree(new)
                finally:
                    os.close(held)
                done.append(f"removed {new}, left by an interrupted submit")
            except OSError as exc:
                done.append(f"could not remove {new}: {exc}")
    except OSError as exc:
        done.append(f"could not look for interrupted submits in {root}: {exc}")
    finally:
        os.close(lock)
    return done


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _lock_folder(root: Path, *, create: bool) -> int:
    """Lock the folder itself (flock on its descriptor); returns the descriptor, which
    os.close() unlocks. FileNotFoundError when it is missing and create is false."""
    while True:
        if create:
            root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            now = os.stat(root)
        except FileNotFoundError:
            os.close(fd)
            if not create:
                raise
            continue  # removed while we waited (an empty one, by a failed submit): again
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)  # replaced while we waited: lock the folder that is there now


def _hold(folder: Path) -> int:
    fd = _try_hold(folder)
    if fd is None:
        raise OSError(f"{folder}: already locked")
    return fd


def _try_hold(folder: Path) -> int | None:
    """Lock a scratch folder without waiting; None when a live submit holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_if_empty(root: Path) -> None:
    """A submissions folder this submit made goes again when nothing else is in it; under the
    lock, so a concurrent submit does not lose the folder it is about to write into."""
    try:
        lock = _lock_folder(root, create=False)
    except OSError:
        return
    try:
        if not any(root.iterdir()):
            root.rmdir()
    except OSError:
        pass
    finally:
        os.close(lock)
