"""JSON Schema generated from dataclasses, so the published schema is the code's own types.

Covers the annotations the submission types use: str, int, float, bool, None, Literal,
unions, list[T], dict[str, T], Any and nested dataclasses (emitted once under $defs).
Per-field constraints and descriptions come from `field(metadata={"schema": {...}})`,
which the validator in submission.py reads too.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean",
                            type(None): "null"}


def type_schema(
    tp: Any, defs: dict[str, Any], aliases: dict[Any, str] | None = None
) -> dict[str, Any]:
    """The schema of one annotation. Dataclasses, and the type aliases named in `aliases`,
    are added to `defs` once and referenced."""
    aliases = aliases or {}
    name = aliases.get(tp) or (tp.__name__ if _is_dataclass(tp) else None)
    if name:
        if name not in defs:
            defs[name] = {}  # placeholder: a recursive reference stops here
            defs[name] = (dataclass_schema(tp, defs, aliases) if _is_dataclass(tp)
                          else _structural(tp, defs, aliases))
        return {"$ref": f"#/$defs/{name}"}
    return _structural(tp, defs, aliases)


def _is_dataclass(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _structural(tp: Any, defs: dict[str, Any], aliases: dict[Any, str]) -> dict[str, Any]:
    if tp is Any:
        return {}  # any JSON value
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    origin = get_origin(tp)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [type_schema(a, defs, aliases) for a in get_args(tp)]}
    if origin is list:
        (item,) = get_args(tp)
        return {"type": "array", "items": type_schema(item, defs, aliases)}
    if origin is dict:
        key, value = get_args(tp)
        if key is not str:
            raise TypeError(f"JSON object keys must be str, got {key!r}")
        return {"type": "object", "additionalProperties": type_schema(value, defs, aliases)}
    raise TypeError(f"no JSON Schema for annotation {tp!r}")


def dataclass_schema(
    cls: type, defs: dict[str, Any], aliases: dict[Any, str] | None = None
) -> dict[str, Any]:
    hints = get_type_hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        prop = type_schema(hints[f.name], defs, aliases)
        prop.update(f.metadata.get("schema", {}))
        props[f.name] = prop
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object"}
    doc = inspect.getdoc(cls)
    if doc and not doc.startswith(f"{cls.__name__}("):  # skip the docstring dataclass invents
        out["description"] = doc
    out |= {"properties": props, "required": required, "additionalProperties": False}
    return out


def conforms(value: Any, tp: Any) -> bool:
    """Whether a parsed JSON value has the type an annotation describes (scalars, Literal,
    unions, list[T], dict[str, T], Any): the check of metadata fields and run records."""
    if tp is Any:
        return True
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp in _SCALARS:
        return isinstance(value, tp)
    origin = get_origin(tp)
    if origin is Literal:
        return value in get_args(tp)
    if origin in (Union, types.UnionType):
        return any(conforms(value, a) for a in get_args(tp))
    if origin is list:
        (item,) = get_args(tp)
        return isinstance(value, list) and all(conforms(v, item) for v in value)
    if origin is dict:
        _, item = get_args(tp)
        return (isinstance(value, dict) and all(isinstance(k, str) for k in value)
                and all(conforms(v, item) for v in value.values()))
    raise TypeError(f"conforms() does not handle {tp!r}")


def describe(tp: Any) -> str:
    """A reader's name for an annotation, for error messages."""
    if tp is Any:
        return "any value"
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = get_origin(tp)
    if origin is Literal:
        return " or ".join(f'"{a}"' for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in get_args(tp))
    if origin is list:
        return f"a list of ({describe(get_args(tp)[0])})"
    if origin is dict:
        return f"an object of ({describe(get_args(tp)[1])})"
    raise TypeError(f"describe() does not handle {tp!r}")
