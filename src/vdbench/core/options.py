"""Typed `--model-option KEY=VALUE` settings: each model factory declares a dataclass of its
options, and the strings from the command line are checked and converted against it."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from vdbench.core.errors import InputError

T = TypeVar("T")


def describe_options(cls: type) -> str:
    """`key (type)` for every option of `cls`, for error messages and `vdbench models`."""
    hints = typing.get_type_hints(cls)
    prefix = getattr(cls, "option_prefix", "")
    return ", ".join(f"{prefix}{f.name} ({_type_name(hints[f.name])})"
                     for f in dataclasses.fields(cls))


def parse_options(cls: type[T], raw: Mapping[str, Any], owner: str) -> T:
    """An instance of the dataclass `cls` from string (or already typed) values; an unknown key
    or a value of the wrong type is an InputError naming the valid keys and their types.
    A class may set `option_prefix` ("viddiff.") that every key must carry."""
    prefix = getattr(cls, "option_prefix", "")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {}
    for key, value in raw.items():
        name = key.removeprefix(prefix) if key.startswith(prefix) else None
        if name not in names:
            valid = describe_options(cls) or "none"
            raise InputError(f"--model-option {key}: not an option of {owner}; valid: {valid}")
        values[name] = _convert(value, hints[name], key)
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--model-option: {owner}: {exc}") from None


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (value == "none" and type(None) in args):
            return None
        for arg in (a for a in args if a is not type(None)):
            return _convert(value, arg, key)
    if origin is typing.Literal:
        if value not in args:
            raise InputError(f"--model-option {key}: expected one of "
                             f"{', '.join(map(str, args))}, got {value!r}")
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise InputError(f"--model-option {key}: expected true or false, got {value!r}")
    if tp in (int, float, str):
        try:
            converted = tp(value)
        except (TypeError, ValueError):
            raise InputError(f"--model-option {key}: expected {tp.__name__}, "
                             f"got {value!r}") from None
        if tp is float and not math.isfinite(converted):
            raise InputError(f"--model-option {key}: expected a finite number, got {value!r}")
        return converted
    raise TypeError(f"option type {tp!r} is not supported")  # a programming error


def _type_name(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return "|".join(map(str, args))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    return "none" if tp is type(None) else getattr(tp, "__name__", str(tp))
