import pytest

from conftest import make_row
from vdbench.data.schema import parse_row
from vdbench.tasks.closed import parse_closed_reply
from vdbench.tasks.parsing import extract_json_object, normalize_label

SAMPLE = parse_row(make_row())  # asks keys 0 (gt a) and 1 (gt b)


@pytest.mark.parametrize("text, expected", [
    ('{"0": "a", "1": "b"}', {"0": "a", "1": "b"}),
    ('Sure! Here you go:\n```json\n{"0": "A", "1": "video b"}\n```\nHope it helps', {"0": "a", "1": "b"}),
    ('{"0": "a", "1": "b",}', {"0": "a", "1": "b"}),
    ('{\n "0": {"description": "deeper", "prediction": "b"},\n "1": {"prediction": "(a)"},\n}',
     {"0": "b", "1": "a"}),
    ("I think 0: video a and 1: b.", {"0": "a", "1": "b"}),
    ('{"0": "Video A", "1": "B"}', {"0": "a", "1": "b"}),
])
def test_parse_variants(text, expected):
    out = parse_closed_reply(SAMPLE, text)
    assert {k: p.prediction for k, p in out.predictions.items()} == expected
    assert out.status == "ok"


def test_missing_key_is_partial_and_named():
    out = parse_closed_reply(SAMPLE, '{"0": "a"}')
    assert out.status == "partial" and "1" in out.error
    assert set(out.predictions) == {"0"}


def test_unusable_reply_is_parse_error():
    for text in ("I cannot tell.", "", None, '{"0": "both", "1": "neither"}'):
        out = parse_closed_reply(SAMPLE, text)
        assert out.status == "parse_error" and out.predictions == {}


def test_keys_not_asked_are_ignored():
    out = parse_closed_reply(SAMPLE, '{"0": "a", "1": "b", "2": "a", "9": "b"}')
    assert set(out.predictions) == {"0", "1"}  # key 2 has gt c, key 9 does not exist


def test_extract_prefers_a_valid_object_over_broken_ones():
    assert extract_json_object('{broken: } then {"x": 1}') == {"x": 1}
    assert extract_json_object("no json here") is None


@pytest.mark.parametrize("value, label", [
    ("a", "a"), ("B", "b"), ("video a", "a"), ("(b)", "b"), ("'a'", "a"),
    ("ab", None), ("c", None), (1, None), ({"prediction": "B"}, "b"), ("video c", None),
])
def test_normalize_label(value, label):
    assert normalize_label(value) == label
