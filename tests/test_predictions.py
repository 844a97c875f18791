import json

import pytest

from conftest import make_row
from vdbench.core.errors import InputError
from vdbench.data.predictions import load_predictions
from vdbench.data.schema import parse_row

SAMPLES = [parse_row(make_row("s0")), parse_row(make_row("s1"))]


def _write(tmp_path, content) -> str:
    p = tmp_path / "preds.json"
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


GOOD = {"s0": {"0": "a", "1": {"prediction": "b", "description": "faster"}},
        "s1": {"0": {"prediction": "b", "frames": {"a": [1, 2], "b": [3]}}, "1": "a"}}


def test_both_formats_give_the_same_predictions(tmp_path):
    canon = load_predictions(_write(tmp_path, GOOD), SAMPLES)
    as_list = load_predictions(_write(tmp_path, [GOOD["s0"], GOOD["s1"]]), SAMPLES)
    assert canon.format == "canonical" and as_list.format == "list"
    assert canon.predictions == as_list.predictions
    assert canon.predictions["s1"]["0"].frames == {"a": [1, 2], "b": [3]}


@pytest.mark.parametrize("content, needles", [
    ('{"s0": {"0": "a"', ["invalid JSON", "line 1"]),
    ("", ["invalid JSON"]),
    ("{}", ["empty object"]),
    ("[]", ["list format has 0 entries", "2 samples"]),
    ('"a"', ["top level must be an object"]),
    ({"s9": {"0": "a"}}, ["sample 's9': unknown sample key"]),
    ({"s0": {"7": "a"}}, ["sample 's0', difference '7': unknown difference key"]),
    ({"s0": {"0": "c"}}, ["difference '0'", "must be \"a\" or \"b\", got 'c'"]),
    ({"s0": {"0": "A"}}, ["got 'A'"]),
    ({"s0": {"0": 1}}, ["expected \"a\", \"b\" or an object, got int"]),
    ({"s0": {"0": {"prediction": "a", "description": 5}}}, ["\"description\" must be a string"]),
    ({"s0": {"0": {"prediction": "a", "frames": {"a": ["x"]}}}}, ["\"frames\" must be"]),
    ({"s0": {"0": {"prediction": "a", "confidence": 1}}}, ["unknown field(s) ['confidence']"]),
    ({"s0": []}, ["sample 's0': expected an object", "got list"]),
    ({"s0": {}}, ["sample 's0': empty object"]),
    ([{"0": "a"}, {"0": "x"}], ["[1] (sample 's1'), difference '0'"]),
])
def test_bad_prediction_files_name_the_place(tmp_path, content, needles):
    with pytest.raises(InputError) as e:
        load_predictions(_write(tmp_path, content), SAMPLES)
    msg = str(e.value)
    assert "preds.json" in msg
    for n in needles:
        assert n in msg


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    with pytest.raises(InputError) as e:
        load_predictions(_write(tmp_path, {"s0": {"0": "x", "9": "a"}, "zz": {}}), SAMPLES)
    assert len(e.value.problems) == 3


def test_missing_samples_scored_as_wrong_unless_strict(tmp_path):
    path = _write(tmp_path, {"s0": {"0": "a"}})
    loaded = load_predictions(path, SAMPLES)
    assert loaded.missing_samples == ["s1"]
    with pytest.raises(InputError) as e:
        load_predictions(path, SAMPLES, strict=True)
    assert "sample 's1': missing" in e.value.problems
    assert "sample 's0', difference '1': missing" in e.value.problems


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_predictions(tmp_path / "nope.json", SAMPLES)
