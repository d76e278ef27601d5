"""Dataclass <-> plain JSON-ready values, for the model's frozen dataclasses.

Fields equal to their default are left out, so a device that reports little serializes
small. Decoders are built once per class from its type hints, since the remote view decodes
thousands of devices a round.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")
_NO_DEFAULT = object()

Decoder = Callable[[Any], Any]


def to_plain(obj: Any) -> Any:
    """Convert a model dataclass (recursively) to dicts, lists and scalars."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for name, default in _defaults(type(obj)):
            value = getattr(obj, name)
            if default is not _NO_DEFAULT and value == default:
                continue
            out[name] = to_plain(value)
        return out
    if isinstance(obj, tuple | list):
        return [to_plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(key): to_plain(value) for key, value in obj.items()}
    return obj


def from_plain(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build `cls` from the output of to_plain; ValueError on a malformed document."""
    try:
        return _decoder_for(cls)(data)  # type: ignore[no-any-return]
    except (TypeError, KeyError, AttributeError, ValueError, OverflowError) as exc:
        raise ValueError(f"malformed {cls.__name__}: {exc}") from exc


_DEFAULTS: dict[type, tuple[tuple[str, Any], ...]] = {}
_DECODERS: dict[Any, Decoder] = {}


def _defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    cached = _DEFAULTS.get(cls)
    if cached is None:
        pairs = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = _NO_DEFAULT
            pairs.append((f.name, default))
        cached = _DEFAULTS[cls] = tuple(pairs)
    return cached


def _decoder_for(tp: Any) -> Decoder:
    cached = _DECODERS.get(tp)
    if cached is None:
        cached = _DECODERS[tp] = _build_decoder(tp)
    return cached


def _build_decoder(tp: Any) -> Decoder:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)  # type: ignore[arg-type]
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"unsupported union {tp}")
        decode_inner = _decoder_for(inner[0])
        return lambda v: None if v is None else decode_inner(v)
    if origin is tuple:
        decode_item = _decoder_for(args[0])
        return lambda v: tuple(decode_item(item) for item in _as_list(v))
    if origin in (Mapping, dict) or tp in (Mapping, dict):
        return lambda v: {str(k): str(val) for k, val in _as_dict(v).items()}
    if tp is float:
        return _decode_float
    if tp is int:
        return _decode_int
    if tp is bool:
        return _decode_bool
    if tp is str:
        return _decode_str
    raise TypeError(f"unsupported field type {tp}")


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    field_decoders = {f.name: _decoder_for(hints[f.name]) for f in dataclasses.fields(cls)}

    def decode(value: Any) -> Any:
        data = _as_dict(value)
        kwargs = {name: dec(data[name]) for name, dec in field_decoders.items() if name in data}
        return cls(**kwargs)

    return decode


def _as_dict(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return list(value)


def _decode_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _decode_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise TypeError(f"expected an integer, got {value!r}")
    return int(value)


def _decode_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _decode_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value
