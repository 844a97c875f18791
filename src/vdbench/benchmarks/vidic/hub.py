"""ViDiC-1K from the Hugging Face hub (NJU-LINK/ViDiC-1K), through huggingface_hub.

ASSUMPTION, not checked against the hub from here: the dataset repository holds the
published layout of the GitHub repository, `checklist/checklist.json` (or `checklist.json`
at its top) and the videos at the checklist's paths (`data/<source>/...`). The checklist is
fetched first (its commit pins the run); the videos of the selected pairs only, afterwards,
into the vdbench cache as plain files (no symlinks into huggingface_hub's blob store, so the
paths stay inside the data folder). A snapshot in another layout fails with a message naming
what was looked for; a local copy (--data FOLDER) then works whatever the hub holds.
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path, PurePosixPath

from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError, RunFailure, require

CHECKLIST_NAMES = ("checklist/checklist.json", "checklist.json")
_EXACT_LIMIT = 200  # above this many videos, ask for their folders rather than each file


def _download_error(repo_id: str, exc: Exception) -> Exception:
    # A wrong or gated repo id is the user's input; anything else is an outage.
    bad_input = type(exc).__name__ in ("RepositoryNotFoundError", "GatedRepoError",
                                       "RevisionNotFoundError")
    return (InputError if bad_input else RunFailure)(
        f"--data {repo_id}: cannot download from the hub ({type(exc).__name__}: {exc}); "
        "use --data mini or a local copy")


def hub_root(repo_id: str, commit: str, cache_dir: Path | None) -> Path:
    return resolve_cache_dir(cache_dir) / "hub" / repo_id.replace("/", "__") / commit


def fetch_checklist(repo_id: str, *, cache_dir: Path | None,
                    revision: str | None = None) -> tuple[Path, str]:
    """The checklist of `revision` (a commit, tag or branch; default the newest), copied to
    ROOT/checklist/checklist.json; returns (ROOT, commit)."""
    hf = require("huggingface_hub", "hf")
    try:
        snapshot = Path(hf.snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                             allow_patterns=list(CHECKLIST_NAMES)))
    except Exception as exc:
        raise _download_error(repo_id, exc) from None
    commit = snapshot.name  # huggingface_hub names snapshot folders by commit hash
    found = [snapshot / name for name in CHECKLIST_NAMES if (snapshot / name).is_file()]
    if not found:
        raise InputError(
            f"--data {repo_id}: the hub snapshot {commit} holds none of "
            f"{', '.join(CHECKLIST_NAMES)}; vdbench expects ViDiC-1K's published layout "
            "(checklist/checklist.json and the videos under data/). Download the data into "
            "a folder in that layout and give --data FOLDER")
    root = hub_root(repo_id, commit, cache_dir)
    target = root / CHECKLIST_NAMES[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(found[0], target)
    return root, commit


def video_patterns(paths: list[str]) -> list[str]:
    """allow_patterns for these files: each file, or their folders when there are many."""
    paths = sorted(set(paths))
    if len(paths) <= _EXACT_LIMIT:
        return [glob.escape(p) for p in paths]
    folders = sorted({str(PurePosixPath(p).parent) for p in paths})
    return [glob.escape(f) + "/*" for f in folders]


def fetch_videos(repo_id: str, root: Path, commit: str, paths: list[str]) -> None:
    """Download the videos at `paths` (relative, checked by the checklist's reader) of the
    pinned commit into `root`, those not there already."""
    absent = [p for p in dict.fromkeys(paths) if not (root / p).exists()]
    if not absent:
        return
    hf = require("huggingface_hub", "hf")
    try:
        hf.snapshot_download(repo_id, repo_type="dataset", revision=commit,
                             allow_patterns=video_patterns(absent), local_dir=str(root))
    except Exception as exc:
        raise _download_error(repo_id, exc) from None
