"""The offline judge's lexicon data (scoring/judge/lexicon.json): checked on reading, and
part of the judge's identity."""

from __future__ import annotations

import json

import pytest

from vdbench.scoring.judge import lexicon
from vdbench.scoring.judge.offline import OfflineJudge


def _data() -> dict:
    return json.loads(lexicon.FILE.read_text(encoding="utf-8"))


def _write(tmp_path, data: dict, indent: int | None = None):
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_shipped_lexicon_reads_cleanly():
    lex = lexicon.load()
    assert lex.rewrite("The diver rips the entry.") == "the diver entry with less splash"
    assert lex.stem("higher") == "high" and ("height", 1, True) in lex.signed["high"]


def test_a_missing_key_names_the_file_and_the_key(tmp_path):
    data = _data()
    del data["scales"]
    path = _write(tmp_path, data)
    with pytest.raises(RuntimeError, match=r"(?s)lexicon.json.*key 'scales' is missing"):
        lexicon.read(path)


def test_a_regex_that_does_not_compile_is_named(tmp_path):
    data = _data()
    data["rewrites"]["diving"][0][0] = r"\brip(s|ped"
    path = _write(tmp_path, data)
    with pytest.raises(RuntimeError, match=r"(?s)lexicon.json.*key 'rewrites': 'diving' #0"):
        lexicon.read(path)


@pytest.mark.parametrize("key, value, message", [
    ("stop", "the a an", "key 'stop': expected a list of words"),
    ("scale_nouns", {"height": ["height", 2]}, "key 'scale_nouns': expected an object of"),
    ("secondary", {"flat": [["flatness", 1]]}, "key 'secondary': unknown scale 'flatness'"),
])
def test_a_wrong_value_is_named(tmp_path, key, value, message):
    data = _data()
    data[key] = value
    with pytest.raises(RuntimeError, match=message):
        lexicon.read(_write(tmp_path, data))


def test_not_json_is_named(tmp_path):
    path = tmp_path / "lexicon.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(RuntimeError, match="lexicon.json"):
        lexicon.read(path)


def test_the_lexicon_data_is_part_of_the_judge_identity(tmp_path, monkeypatch):
    shipped = OfflineJudge("lexical").identity()["rules_hash"]
    data = _data()
    monkeypatch.setattr(lexicon, "FILE", _write(tmp_path, data, indent=4))
    assert OfflineJudge("lexical").identity()["rules_hash"] == shipped  # layout is not data
    data["stop"].append("thereof")
    (tmp_path / "changed").mkdir()
    monkeypatch.setattr(lexicon, "FILE", _write(tmp_path / "changed", data))
    assert OfflineJudge("lexical").identity()["rules_hash"] != shipped
