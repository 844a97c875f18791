import json
import zipfile

import pytest

from conftest import make_row, write_parquet
from vdbench.core.errors import InputError
from vdbench.data.hub import extract_zip_safely
from vdbench.data.loader import Selection, load_benchmark, read_parquet_dir
from vdbench.data.schema import parse_row, sample_to_row
from vdbench.data.viddiffbench_facts import SPLITS


def test_parse_row_keeps_labels_and_parses_json_once():
    s = parse_row(make_row())
    assert s.differences_gt == {"0": "a", "1": "b", "2": "c", "3": None}
    assert s.scored_keys == ["0", "1"] and s.labelled_keys == ["0", "1", "2"]
    assert s.differences_annotated["3"] is None
    assert s.videos[0].trim == slice(0, 60, 1) and s.videos[1].trim == slice(0, None, None)
    assert s.retrieval_frames[0]["0"] == [3]
    assert parse_row(sample_to_row(s)) == s


@pytest.mark.parametrize("field, value, needle", [
    ("videos", "[{]", "invalid JSON"),
    ("videos", json.dumps([{"path": "x", "fps_original": 8}]), "list of 2 videos"),
    ("videos", json.dumps([{"path": "x", "fps_original": -1}, {"path": "y", "fps_original": 8}]),
     "videos[0].fps_original"),
    ("videos", json.dumps([{"path": "x", "fps_original": 8, "frames_trim": ["0", 5]},
                           {"path": "y", "fps_original": 8}]), "frames_trim"),
    ("differences_gt", json.dumps({"0": "d"}), "label must be a, b, c or null"),
    ("differences_gt", json.dumps({"7": "a"}), "key '7' has no entry"),
    ("differences_annotated", json.dumps([1, 2]), "expected an object"),
    ("differences_annotated", json.dumps({"0": {"name": "x"}}), "description"),
    ("retrieval_frames", json.dumps([{"0": ["x"]}, {}]), "frame indices"),
    ("n_differences_open_prediction", "5", "expected int"),
    ("sample_hash", True, "expected int"),
    ("action", None, "expected str"),
])
def test_bad_rows_name_sample_and_field(field, value, needle):
    with pytest.raises(InputError) as e:
        parse_row(make_row("bad1", **{field: value}), source="f.parquet: row 3")
    msg = str(e.value)
    assert "f.parquet: row 3" in msg and "'bad1'" in msg and needle in msg


def test_missing_field_is_named():
    row = make_row()
    del row["split"]
    with pytest.raises(InputError, match="'split': missing"):
        parse_row(row)


def test_local_folder_duplicate_keys_and_missing_parquet(tmp_path):
    with pytest.raises(InputError, match="no data/test-"):
        read_parquet_dir(tmp_path)
    write_parquet(tmp_path, [make_row("k"), make_row("k")])
    with pytest.raises(InputError, match="duplicate sample_key 'k'"):
        read_parquet_dir(tmp_path)


def test_corrupt_parquet_is_input_error(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "test-0.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cannot read parquet"):
        read_parquet_dir(tmp_path)


def test_missing_videos_message_names_domain_source_and_paths(tmp_path):
    rows = [make_row("f1"), make_row("b1", domain="ballsports", action="ballsports_0",
                                     split="medium")]
    write_parquet(tmp_path, rows)
    with pytest.raises(InputError) as e:
        load_benchmark(str(tmp_path))
    msg = str(e.value)
    assert "videos missing for 2 of 2 samples" in msg
    assert "Ego-Exo4D" in msg and "HuMMan" in msg and "videos/x_a.mp4" in msg
    # with --skip-missing and one sample's videos present, the rest is evaluated
    (tmp_path / "videos" / "x_b").mkdir(parents=True)
    (tmp_path / "videos" / "x_a.mp4").write_bytes(b"")
    bench = load_benchmark(str(tmp_path), Selection(domain="fitness"), skip_missing=True)
    assert [s.sample_key for s in bench.samples] == ["f1"]


def test_skip_missing_records_what_was_skipped(tmp_path):
    write_parquet(tmp_path, [make_row("f1"), make_row("f2", videos=json.dumps([
        {"path": "videos/there", "fps_original": 8}, {"path": "videos/there", "fps_original": 8}]))])
    (tmp_path / "videos" / "there").mkdir(parents=True)
    bench = load_benchmark(str(tmp_path), skip_missing=True)
    assert [s.sample_key for s in bench.samples] == ["f2"]
    assert bench.skipped_missing == ["f1"]
    assert bench.provenance()["skipped_missing_videos"] == 1


def test_selection_filters():
    rows = [parse_row(make_row(f"s{i}", action=f"fitness_{i % 2}", split="easy")) for i in range(6)]
    assert len(Selection(per_action=2).apply(rows)) == 4
    assert [s.sample_key for s in Selection(action="fitness_1").apply(rows)] == ["s1", "s3", "s5"]
    assert len(Selection(limit=2).apply(rows)) == 2
    assert Selection(split="hard").apply(rows) == []
    with pytest.raises(InputError, match="--split"):
        Selection(split="extreme").check_split(SPLITS)


def test_mini_loads_with_all_splits():
    bench = load_benchmark("mini")
    assert {s.split for s in bench.samples} == {"easy", "medium", "hard"}
    assert bench.revision and bench.source == "mini"


def _zip(path, members: dict[str, bytes], link: str | None = None):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")


def test_zip_extraction_is_safe(tmp_path):
    good = tmp_path / "good.zip"
    _zip(good, {"videos/a/0001.jpg": b"x", "videos/a/0002.jpg": b"y"})
    out = tmp_path / "out"
    written = extract_zip_safely(good, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "videos/a/0001.jpg", "videos/a/0002.jpg"]
    for name, bad in [("evil1.zip", {"../escape.txt": b"x"}),
                      ("evil2.zip", {"/abs/escape.txt": b"x"}),
                      ("evil3.zip", {"ok.txt": b"1", "a/../../escape.txt": b"x"})]:
        _zip(tmp_path / name, bad)
        with pytest.raises(InputError, match="unsafe member"):
            extract_zip_safely(tmp_path / name, tmp_path / "out2")
        assert not (tmp_path / "escape.txt").exists()
        assert not (tmp_path / "out2" / "ok.txt").exists()  # all or nothing
    _zip(tmp_path / "link.zip", {"ok.txt": b"1"}, link="videos/link")
    with pytest.raises(InputError, match="unsafe member 'videos/link'"):
        extract_zip_safely(tmp_path / "link.zip", tmp_path / "out3")


def test_hub_source_uses_the_same_parser(tmp_path, hub_copy, monkeypatch):
    """The hub path with huggingface_hub's downloads pointed at a local copy."""
    pytest.importorskip("huggingface_hub")
    import huggingface_hub

    snap = tmp_path / "snapshots" / "abc123"
    (snap / "data").mkdir(parents=True)
    for f in (hub_copy / "data").glob("*.parquet"):
        (snap / "data" / f.name).write_bytes(f.read_bytes())
    zip_path = tmp_path / "videos_fitness.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for p in (hub_copy / "videos").rglob("*"):
            if p.is_file():
                zf.write(p, p.relative_to(hub_copy).as_posix())
    calls = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: str(snap))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download",
                        lambda repo, filename, **k: calls.append(filename) or str(zip_path))
    bench = load_benchmark("jmhb/VidDiffBench", Selection(split="easy"), cache_dir=tmp_path / "c")
    assert bench.revision == "abc123" and bench.samples
    assert calls == ["data/videos_fitness.zip"]  # easy = fitness only; surgery zip not fetched
    assert all((bench.video_root / v.path).exists() for s in bench.samples for v in s.videos)


def test_hub_outage_is_a_failure_but_a_wrong_repo_is_bad_input(tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    import huggingface_hub

    from vdbench.cli.main import main
    from vdbench.core.errors import RunFailure

    class RepositoryNotFoundError(Exception):
        pass

    def offline(*a, **k):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(RunFailure, match="ConnectionError"):
        load_benchmark("jmhb/VidDiffBench", cache_dir=tmp_path)
    assert main(["eval", "--model", "random",
                 "--data", "jmhb/VidDiffBench", "--cache-dir", str(tmp_path)]) == 1

    def missing(*a, **k):
        raise RepositoryNotFoundError("404")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", missing)
    with pytest.raises(InputError, match="RepositoryNotFoundError"):
        load_benchmark("someone/NoSuchBench", cache_dir=tmp_path)


def test_data_revision_pins_the_hub_download(tmp_path, hub_copy, monkeypatch):
    pytest.importorskip("huggingface_hub")
    import huggingface_hub

    snap = tmp_path / "snapshots" / "pinned42"
    (snap / "data").mkdir(parents=True)
    for f in (hub_copy / "data").glob("*.parquet"):
        (snap / "data" / f.name).write_bytes(f.read_bytes())
    asked = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download",
                        lambda *a, **k: asked.append(k.get("revision")) or str(snap))
    bench = load_benchmark("jmhb/VidDiffBench", Selection(split="hard", domain="music"),
                           cache_dir=tmp_path, check_videos=False, revision="pinned42")
    assert asked == ["pinned42"] and bench.revision == "pinned42"
    with pytest.raises(InputError, match="only a hub id has revisions"):
        load_benchmark("mini", revision="abc")
