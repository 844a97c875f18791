"""The Hugging Face hub source: parquet rows and the fitness/surgery video zips.

Both go through huggingface_hub's cache; the parquet is then parsed by the same code as a
local folder, so the hub and a local copy cannot disagree.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError, RunFailure, require
from vdbench.data.viddiffbench_facts import HUB_VIDEO_ZIPS, SPLIT_ACTIONS


def _domains_for(selection) -> set[str]:
    if selection.domain:
        return {selection.domain}
    splits = list(SPLIT_ACTIONS) if selection.split == "all" else [selection.split]
    return {a.rsplit("_", 1)[0] for s in splits for a in SPLIT_ACTIONS[s]}


def fetch_hub(repo_id: str, *, cache_dir: Path | None, selection,
              revision: str | None = None) -> tuple[Path, str]:
    """Download the parquet files and the needed video zips of `revision` (a commit, tag or
    branch; default the newest); returns (root, commit)."""
    hf = require("huggingface_hub", "hf")
    try:
        snapshot = Path(hf.snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                             allow_patterns=["data/test-*.parquet"]))
    except Exception as exc:
        # A wrong or gated repo id is the user's input; anything else is an outage.
        bad_input = type(exc).__name__ in ("RepositoryNotFoundError", "GatedRepoError",
                                           "RevisionNotFoundError")
        raise (InputError if bad_input else RunFailure)(
            f"--data {repo_id}: cannot download from the hub ({type(exc).__name__}: {exc}); "
            "use --data mini or a local copy") from None
    revision = snapshot.name  # huggingface_hub names snapshot folders by commit hash
    root = resolve_cache_dir(cache_dir) / "hub" / repo_id.replace("/", "__") / revision
    (root / "data").mkdir(parents=True, exist_ok=True)
    for f in (snapshot / "data").glob("test-*.parquet"):
        target = root / "data" / f.name
        if not target.exists():
            shutil.copyfile(f, target)
    for domain, filename in HUB_VIDEO_ZIPS.items():
        if domain in _domains_for(selection) and not (root / f".extracted-{domain}").exists():
            zip_path = hf.hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision)
            extract_zip_safely(Path(zip_path), root)
            (root / f".extracted-{domain}").touch()
    return root, revision


def extract_zip_safely(zip_path: Path, target: Path) -> list[Path]:
    """Extract a zip so that no member can escape `target` (no absolute paths, no '..',
    no links, no device files); all or nothing: members land in a temp folder first."""
    target = target.resolve()
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        members = []
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records none
            if (
                name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts
                or file_type not in (0, stat.S_IFREG, stat.S_IFDIR)
            ):
                raise InputError(
                    f"{zip_path}: unsafe member {info.filename!r}; refusing to extract")
            members.append((info, name))
        written = []
        with tempfile.TemporaryDirectory(dir=target, prefix=".extract-") as tmp:
            for info, name in members:
                dest = Path(tmp) / name
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
            for info, name in members:
                final = target / name
                if info.is_dir():
                    final.mkdir(parents=True, exist_ok=True)
                    continue
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(Path(tmp) / name, final)
                written.append(final)
    return written
