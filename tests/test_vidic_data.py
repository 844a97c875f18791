"""ViDiC-1K's data layer: the published checklist layout read strictly from mini, a folder or
the hub; the bundled mini regenerated and checked against its own pixels.

tests/data/vidic_checklist_small.json holds five entries (indices 0, 347, 498, 627, 768)
copied unchanged from ViDiC-1K's checklist/checklist.json (github.com/NJU-LINK/ViDiC-1K at
commit 239ed65^, CC-BY-NC-SA-4.0), as a format fixture. The whole file is read only where it
lies at /tmp/vidic_checklist.json (it is not shipped).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from vdbench.benchmarks.vidic import hub as vidic_hub
from vdbench.benchmarks.vidic.data import (
    FPS_UNKNOWN,
    HUB_ID,
    MINI_DIR,
    load_vidic,
    mini_revision,
    parse_checklist,
)
from vdbench.benchmarks.vidic.sample import CLASSES, VidicSample
from vdbench.core.errors import InputError
from vdbench.data.loader import Selection

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "data" / "vidic_checklist_small.json"
REAL = Path("/tmp/vidic_checklist.json")

av = pytest.importorskip("av")


def _folder(tmp_path: Path, entries: list | bytes | str) -> Path:
    """A ViDiC folder holding only a checklist."""
    root = tmp_path / "vidic"
    (root / "checklist").mkdir(parents=True)
    data = entries if isinstance(entries, (bytes, str)) else json.dumps(entries)
    f = root / "checklist" / "checklist.json"
    f.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def _mini_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINI_DIR, tmp_path / "mini_copy"))


def _entries() -> list[dict]:
    return json.loads((MINI_DIR / "checklist" / "checklist.json").read_text())


# --- mini ----------------------------------------------------------------------------------

def test_mini_loads_every_pair_with_probed_frame_rates():
    bench = load_vidic("mini")
    assert bench.source == "mini" and bench.revision == mini_revision()
    assert [s.sample_key for s in bench.samples] == [str(i) for i in range(7)]
    assert all(isinstance(s, VidicSample) and s.split == "test" for s in bench.samples)
    by_key = {s.sample_key: s for s in bench.samples}
    assert (by_key["0"].domain, by_key["0"].action) == ("shapes", "change_colour")
    assert (by_key["6"].domain, by_key["6"].action) == ("playback", "playback")
    assert [v.fps_original for v in by_key["5"].videos] == [10.0, 10.0]
    assert [v.fps_original for v in by_key["0"].videos] == [8.0, 8.0]
    assert all(v.frames_trim == (None, None, None) for s in bench.samples for v in s.videos)
    assert by_key["0"].videos[0].path == "data/shapes/change_colour/0_src.mp4"
    assert bench.skipped_missing == [] and bench.skipped_bad == []


def test_mini_covers_every_class_with_both_kinds():
    samples = load_vidic("mini", check_videos=False).samples
    items = [i for s in samples for i in s.checklist]
    assert {i.cls for i in items if i.kind == "difference"} == set(CLASSES)
    assert all(i.answer == "yes" for i in items if i.kind == "difference")
    assert all(i.answer == "no" for i in items if i.kind == "similarity")
    assert sum(i.kind == "similarity" for i in items) >= 10
    assert any(not s.similarities for s in samples)  # as in 250 published pairs
    assert [i.key for i in samples[6].checklist] == ["d0", "d1", "s0", "s1"]


def test_without_video_checks_the_frame_rate_is_unknown():
    bench = load_vidic("mini", check_videos=False)
    assert {v.fps_original for s in bench.samples for v in s.videos} == {FPS_UNKNOWN}


@pytest.mark.parametrize("selection, keys", [
    (Selection(domain="shapes"), ["0", "1", "2", "3", "4"]),
    (Selection(action="pan"), ["5"]),
    (Selection(domain="playback", action="playback"), ["6"]),
    (Selection(limit=2), ["0", "1"]),
    (Selection(domain="shapes", per_action=1, limit=3), ["0", "1", "2"]),
])
def test_selection(selection, keys):
    assert [s.sample_key for s in load_vidic("mini", selection).samples] == keys


def test_selection_refuses_unknown_names_and_splits():
    with pytest.raises(InputError, match=r"--domain: 'shape' .*did you mean shapes"):
        load_vidic("mini", Selection(domain="shape"))
    with pytest.raises(InputError, match="--action: 'zoom' is not an action"):
        load_vidic("mini", Selection(action="zoom"))
    with pytest.raises(InputError, match=r"ViDiC-1K has no split 'easy'.*give all or test"):
        load_vidic("mini", Selection(split="easy"))
    with pytest.raises(InputError, match="no pairs match --split all --domain shapes"):
        load_vidic("mini", Selection(domain="shapes", action="pan"))


def test_a_revision_needs_a_hub_id(tmp_path):
    with pytest.raises(InputError, match="only a hub id has revisions"):
        load_vidic("mini", revision="abc")
    with pytest.raises(InputError, match="does not exist"):
        load_vidic(str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="no checklist/checklist.json"):
        load_vidic(str(tmp_path))


# --- a local folder -------------------------------------------------------------------------

def test_a_copy_of_mini_is_mini(tmp_path):
    root = _mini_copy(tmp_path)
    bench = load_vidic(str(root))
    assert bench.source == "mini" and bench.video_root == root.resolve()
    assert len(bench.samples) == 7


def test_a_local_folder_loads_with_its_own_revision(tmp_path):
    root = _mini_copy(tmp_path)
    entries = _entries()[:3]
    (root / "checklist" / "checklist.json").write_text(json.dumps(entries))
    bench = load_vidic(str(root))
    assert bench.source == str(root.resolve()) and bench.revision != mini_revision()
    assert [s.sample_key for s in bench.samples] == ["0", "1", "2"]


def test_video_root_elsewhere(tmp_path):
    videos = _mini_copy(tmp_path)
    root = _folder(tmp_path, (videos / "checklist" / "checklist.json").read_bytes())
    with pytest.raises(InputError, match="videos missing for 7 of 7"):
        load_vidic(str(root))
    bench = load_vidic(str(root), video_root=videos)
    assert bench.video_root == videos.resolve() and len(bench.samples) == 7


# --- strict rows ----------------------------------------------------------------------------

def _set(path: str, value):
    """A mutation of entry 1: set the key at a dotted path (None value: delete it)."""
    def mutate(entries: list[dict]) -> None:
        node = entries[1]
        *parents, last = path.split(".")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is None:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


@pytest.mark.parametrize("mutate, key, why", [
    (_set("video2_path", None), "video2_path", "missing"),
    (_set("video1_path", 7), "video1_path", "expected a non-empty string, got int"),
    (_set("index", "1"), "index", "expected a whole number, got str"),
    (_set("index", True), "index", "expected a whole number, got bool"),
    (_set("index", -1), "index", "must be >= 0"),
    (_set("index", 0), "index", "duplicate index 0 (also entry 0)"),
    (_set("video1_path", "/etc/passwd.mp4"), "video1_path", "is absolute"),
    (_set("video2_path", "data/../../x.mp4"), "video2_path", "contains '..'"),
    (_set("video1_path", "x.mp4"), "video1_path", "lies in no source folder"),
    (_set("structured_analysis", None), "structured_analysis", "missing"),
    (_set("structured_analysis", []), "structured_analysis", "expected an object"),
    (_set("structured_analysis.Difference", []), "structured_analysis",
     "unknown list 'Difference' (did you mean Differences?)"),
    (_set("structured_analysis.Similarities", None), "structured_analysis.Similarities",
     "missing"),
    (_set("structured_analysis.Differences", {}), "structured_analysis.Differences",
     "expected a list, got dict"),
    (_set("structured_analysis.Differences.0", "text"), "structured_analysis.Differences[0]",
     "expected an object, got str"),
    (_set("structured_analysis.Differences.0.correct_answer", "maybe"),
     "structured_analysis.Differences[0].correct_answer", "expected 'yes' or 'no', got 'maybe'"),
    (_set("structured_analysis.Differences.0.correct_answer", "Yes"),
     "structured_analysis.Differences[0].correct_answer", "got 'Yes'"),
    (_set("structured_analysis.Similarities.0.correct_answer", None),
     "structured_analysis.Similarities[0].correct_answer", "missing"),
    (_set("structured_analysis.Similarities.1.class", "colour"),
     "structured_analysis.Similarities[1].class", "'colour' is not a ViDiC class"),
    (_set("structured_analysis.Similarities.1.class", "Camera"),
     "structured_analysis.Similarities[1].class", "did you mean camera"),
    (_set("structured_analysis.Differences.0.question", " "),
     "structured_analysis.Differences[0].question", "got an empty string"),
])
def test_a_bad_row_names_file_entry_index_and_key(tmp_path, mutate, key, why):
    entries = _entries()
    mutate(entries)
    root = _folder(tmp_path, entries)
    with pytest.raises(InputError) as info:
        load_vidic(str(root), check_videos=False)
    message = str(info.value)
    index = " (index 0)" if "duplicate" in why else "" if key == "index" else " (index 1)"
    assert message.startswith(f"{root.resolve() / 'checklist' / 'checklist.json'}: entry 1"
                              f"{index}: key {key!r}: "), message
    assert why in message, message


def test_extra_keys_are_ignored(tmp_path):
    entries = _entries()
    entries[0]["notes"] = "x"
    entries[0]["structured_analysis"]["Differences"][0]["answer"] = "whatever"
    assert len(load_vidic(str(_folder(tmp_path, entries)), check_videos=False).samples) == 7


@pytest.mark.parametrize("content, why", [
    (b"{\"index\": 0}", "expected a list of pairs, got dict"),
    (b"[]", "holds no pairs"),
    (b"[1]", "entry 0: expected an object, got int"),
    (b"[{", "invalid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b'[{"index": 0, "index": 1}]', "duplicate key 'index'"),
])
def test_a_bad_file_is_refused(tmp_path, content, why):
    with pytest.raises(InputError, match="checklist.json: ") as info:
        load_vidic(str(_folder(tmp_path, content)), check_videos=False)
    assert why in str(info.value)


# --- videos ---------------------------------------------------------------------------------

def test_missing_videos_are_listed_in_one_message(tmp_path):
    root = _mini_copy(tmp_path)
    (root / "data/shapes/change_background/1_tgt.mp4").unlink()
    (root / "data/camera/pan/5_src.mp4").unlink()
    with pytest.raises(InputError) as info:
        load_vidic(str(root))
    message = str(info.value)
    assert "videos missing for 2 of 7 ViDiC pairs" in message
    assert "data/shapes/change_background/1_tgt.mp4" in message
    assert "data/camera/pan/5_src.mp4" in message and "--skip-missing" in message


def test_skip_missing_drops_those_pairs(tmp_path):
    root = _mini_copy(tmp_path)
    (root / "data/shapes/change_background/1_tgt.mp4").unlink()
    (root / "data/camera/pan/5_src.mp4").unlink()
    bench = load_vidic(str(root), skip_missing=True)
    assert [s.sample_key for s in bench.samples] == ["0", "2", "3", "4", "6"]
    assert bench.skipped_missing == ["1", "5"]
    assert bench.provenance()["skipped_missing_videos"] == 2


def test_unusable_videos_are_listed_or_skipped(tmp_path):
    root = _mini_copy(tmp_path)
    (root / "data/playback/6_tgt.mp4").write_bytes(b"not a video")
    with pytest.raises(InputError, match=r"1 unusable video\(s\) in 1 of 7 pairs") as info:
        load_vidic(str(root))
    assert "6_tgt.mp4: sample '6': unreadable video" in str(info.value)
    bench = load_vidic(str(root), skip_missing=True)
    assert [s.sample_key for s in bench.samples] == [str(i) for i in range(6)]
    assert [b["sample_key"] for b in bench.skipped_bad] == ["6"]


def test_a_video_linked_outside_the_folder_is_refused(tmp_path):
    root = _mini_copy(tmp_path)
    outside = tmp_path / "elsewhere.mp4"
    shutil.copyfile(root / "data/playback/6_tgt.mp4", outside)
    (root / "data/playback/6_tgt.mp4").unlink()
    (root / "data/playback/6_tgt.mp4").symlink_to(outside)
    with pytest.raises(InputError, match="lead outside") as info:
        load_vidic(str(root), skip_missing=True)
    assert "entry 6 (index 6): key 'video2_path'" in str(info.value)


# --- the hub --------------------------------------------------------------------------------

class FakeHub:
    """snapshot_download serving a folder as commit `abc123`; records what was asked."""

    def __init__(self, tmp_path: Path, source: Path):
        self.source, self.calls = source, []
        self.snapshot = tmp_path / "hf" / "snapshots" / "abc123"

    def __call__(self, repo_id, *, repo_type, revision, allow_patterns, local_dir=None):
        import fnmatch

        self.calls.append((revision, list(allow_patterns), local_dir))
        target = Path(local_dir) if local_dir else self.snapshot
        for f in self.source.rglob("*"):
            rel = f.relative_to(self.source).as_posix()
            if f.is_file() and any(fnmatch.fnmatch(rel, p) for p in allow_patterns):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target / rel)
        target.mkdir(parents=True, exist_ok=True)
        return str(target)


def test_hub_fetches_the_checklist_then_the_selected_videos(tmp_path, monkeypatch):
    hf = pytest.importorskip("huggingface_hub")
    fake = FakeHub(tmp_path, MINI_DIR)
    monkeypatch.setattr(hf, "snapshot_download", fake)
    bench = load_vidic(HUB_ID, Selection(action="pan"), cache_dir=tmp_path / "cache")
    assert bench.source == HUB_ID and bench.revision == "abc123"
    assert bench.video_root == tmp_path / "cache" / "hub" / "NJU-LINK__ViDiC-1K" / "abc123"
    assert [v.fps_original for v in bench.samples[0].videos] == [10.0, 10.0]
    assert fake.calls[1] == ("abc123", ["data/camera/pan/5_src.mp4", "data/camera/pan/5_tgt.mp4"],
                             str(bench.video_root))
    assert _files(bench.video_root / "data") == ["camera/pan/5_src.mp4", "camera/pan/5_tgt.mp4"]
    # Again: the videos are there, only the checklist is asked for.
    load_vidic(HUB_ID, Selection(action="pan"), cache_dir=tmp_path / "cache")
    assert len(fake.calls) == 3


def test_hub_without_the_published_layout(tmp_path, monkeypatch):
    hf = pytest.importorskip("huggingface_hub")
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(hf, "snapshot_download", FakeHub(tmp_path, tmp_path / "empty"))
    with pytest.raises(InputError, match="holds none of checklist/checklist.json"):
        load_vidic(HUB_ID, cache_dir=tmp_path / "cache")


def test_hub_errors(tmp_path, monkeypatch):
    hf = pytest.importorskip("huggingface_hub")

    class RepositoryNotFoundError(Exception):
        pass

    def missing(*a, **k):
        raise RepositoryNotFoundError("404")

    monkeypatch.setattr(hf, "snapshot_download", missing)
    with pytest.raises(InputError, match="cannot download from the hub"):
        load_vidic("someone/nothing", cache_dir=tmp_path)


def test_many_videos_are_asked_for_by_folder():
    paths = [f"data/a b/x/{i}.mp4" for i in range(300)] + ["data/[c]/1.mp4"]
    assert vidic_hub.video_patterns(paths) == ["data/[[]c]/*", "data/a b/x/*"]
    assert vidic_hub.video_patterns(["data/[c]/1.mp4"]) == ["data/[[]c]/1.mp4"]


# --- the published checklist ----------------------------------------------------------------

def _counts(samples: list[VidicSample]) -> Counter:
    return Counter((i.kind, i.answer) for s in samples for i in s.checklist)


def test_real_entries_fixture(tmp_path):
    """Five published entries, unchanged: the format the loader must read."""
    root = _folder(tmp_path, SMALL.read_bytes())
    samples = load_vidic(str(root), check_videos=False).samples
    assert [s.sample_key for s in samples] == ["0", "347", "498", "627", "768"]
    assert [(s.domain, s.action) for s in samples] == [
        ("LongoXC", "add_person"), ("LMArena", "LMArena"),
        ("IF Vidcap benchmark", "Reverse video"), ("style", "style"), ("youtube", "slow")]
    assert _counts(samples) == {("difference", "yes"): 16, ("similarity", "no"): 3}
    assert {i.cls for s in samples for i in s.checklist} <= set(CLASSES)


@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL}: the published checklist is not here")
def test_the_published_checklist(tmp_path):
    root = _folder(tmp_path, REAL.read_bytes())
    samples = load_vidic(str(root), check_videos=False).samples
    assert len(samples) == 1000 and {s.sample_key for s in samples} == {
        str(i) for i in range(1000)}
    assert _counts(samples) == {("difference", "yes"): 3051, ("similarity", "no"): 1056}
    assert {i.cls for s in samples for i in s.checklist} == set(CLASSES)
    assert len({s.domain for s in samples}) == 13
    assert sum(not s.similarities for s in samples) == 250
    assert parse_checklist(REAL.read_bytes(), REAL)[0].action == "add_person"


# --- the mini is what the generator makes, and what it says is in the pixels ----------------

sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "libx264" not in av.codecs_available:
        pytest.skip("the committed videos are H.264; without libx264 the generator writes mpeg4")
    from make_vidic_mini import build

    out = tmp_path_factory.mktemp("vidic_mini")
    assert build(out) == 0
    return out


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]


def test_mini_regenerates_identically(regenerated: Path):
    assert _files(regenerated) == _files(MINI_DIR)
    for rel in ("checklist/checklist.json", "README.md"):
        assert (regenerated / rel).read_bytes() == (MINI_DIR / rel).read_bytes(), rel
    for rel in _files(MINI_DIR):
        if rel.endswith(".mp4"):
            a, b = _frames(regenerated / rel), _frames(MINI_DIR / rel)
            assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b)), rel


def test_mini_is_small():
    assert sum((MINI_DIR / f).stat().st_size for f in _files(MINI_DIR)) < 200_000


def _pair(key: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    s = {s.sample_key: s for s in load_vidic("mini", check_videos=False).samples}[key]
    a, b = (_frames(MINI_DIR / v.path) for v in s.videos)
    assert len(a) == len(b) >= 16
    return a, b


def _mask(frame: np.ndarray, rgb: tuple[int, int, int], tol: int = 50) -> np.ndarray:
    return (np.abs(frame - np.array(rgb)) < tol).all(axis=-1)


def _centre(frame: np.ndarray, rgb: tuple[int, int, int]) -> tuple[float, float]:
    ys, xs = np.nonzero(_mask(frame, rgb))
    assert len(xs) > 50
    return float(xs.mean()), float(ys.mean())


RED, BLUE, GREY = (220, 40, 40), (40, 70, 220), (200, 200, 200)


def test_pixels_0_colour_changes_nothing_else():
    a, b = _pair("0")
    mid = len(a) // 2
    assert _mask(a[mid], RED).sum() > 300 and _mask(a[mid], BLUE).sum() == 0
    assert _mask(b[mid], BLUE).sum() > 300 and _mask(b[mid], RED).sum() == 0
    assert np.abs(a[mid][:8, :8] - b[mid][:8, :8]).max() < 6  # the same background
    assert abs(_centre(a[mid], RED)[0] - _centre(b[mid], BLUE)[0]) < 2  # same motion


def test_pixels_1_background():
    a, b = _pair("1")
    assert _mask(a[0][:8, :8], GREY).all() and _mask(b[0][:8, :8], (30, 110, 60)).all()
    assert _mask(a[5], RED).sum() > 300 and _mask(b[5], RED).sum() > 300


def test_pixels_2_one_object_then_two():
    a, b = _pair("2")
    yellow = (235, 200, 40)
    assert all(_mask(f, yellow).sum() == 0 for f in a)
    assert all(_mask(f, yellow).sum() > 200 for f in b)


def test_pixels_3_left_then_right_same_bobbing():
    a, b = _pair("3")
    xa = [_centre(f, RED)[0] for f in a]
    xb = [_centre(f, RED)[0] for f in b]
    assert max(xa) < 80 < min(xb)
    ya = [_centre(f, RED)[1] for f in a]
    yb = [_centre(f, RED)[1] for f in b]
    assert max(abs(p - q) for p, q in zip(ya, yb)) < 2 and max(ya) - min(ya) > 40


def test_pixels_4_filled_then_outlined():
    a, b = _pair("4")
    for f_a, f_b in zip(a, b):
        cx, cy = (round(c) for c in _centre(f_a, BLUE))
        assert _mask(f_a[cy - 3:cy + 4, cx - 3:cx + 4], BLUE).all()
        assert _mask(f_b[cy - 3:cy + 4, cx - 3:cx + 4], GREY).all()  # hollow, same place


def _shift(f0: np.ndarray, f1: np.ndarray) -> int:
    """How far the picture moved left from f0 to f1, px (the best match)."""
    errors = [np.abs(f1[:, :f1.shape[1] - s] - f0[:, s:]).mean() for s in range(40)]
    return int(np.argmin(errors))


def test_pixels_5_still_camera_then_pan():
    a, b = _pair("5")
    assert all(_shift(a[i], a[i + 3]) == 0 for i in range(0, len(a) - 3, 3))
    # The window slides right 160 px over 29 frame steps: the scene moves left ~16.6 px.
    assert all(15 <= _shift(b[i], b[i + 3]) <= 18 for i in range(0, len(b) - 3, 3))
    orange, sky = (240, 130, 30), (120, 180, 235)
    assert all(_mask(f, orange).sum() > 300 for f in a + b)
    assert _mask(a[0][:20], sky).all() and _mask(b[0][:20], sky).all()


def test_pixels_6_played_backwards():
    a, b = _pair("6")
    xa = [_centre(f, RED)[0] for f in a]
    assert xa == sorted(xa) and xa[-1] - xa[0] > 80
    assert all(np.abs(x - y).mean() < 3 for x, y in zip(a, b[::-1]))
