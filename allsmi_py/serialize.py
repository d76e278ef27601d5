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

try:  # orjson parses 4x and writes 10x faster than json: the remote view decodes ~1000
    import orjson as _orjson  # bodies a round and the mock server encodes as many

    def dumps_json(value: Any, pretty: bool = False) -> bytes:
        """UTF-8 JSON: compact, or indented by two spaces when `pretty`."""
        return _orjson.dumps(value, option=_orjson.OPT_INDENT_2 if pretty else 0)

    def loads_json(data: bytes | str) -> Any:
        """Parse JSON; ValueError when it is not valid JSON."""
        return _orjson.loads(data)

except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    import json as _json

    def dumps_json(value: Any, pretty: bool = False) -> bytes:
        """UTF-8 JSON: compact, or indented by two spaces when `pretty`."""
        if pretty:
            return _json.dumps(value, indent=2, allow_nan=False).encode()
        return _json.dumps(value, separators=(",", ":"), allow_nan=False).encode()

    def loads_json(data: bytes | str) -> Any:
        """Parse JSON; ValueError when it is not valid JSON."""
        return _json.loads(data)


_TYPED_DECODERS: dict[type, Callable[[bytes | str], Any]] = {}


def decode_json_as(cls: type[T], body: bytes | str) -> T:
    """Parse JSON straight into dataclass `cls`, validating types; ValueError when malformed.

    msgspec builds the dataclasses in C, three times faster than loads_json + from_plain;
    without msgspec the two give the same result. A number msgspec cannot hold (an integer
    or float beyond 1e308) is not a malformed document: it is decoded by `_wide_decode`, as a
    value no field can mean, for the caller's range check (remote/values.py) to drop.
    ValueError is the only error this raises, nesting however deep included.
    """
    decoder = _TYPED_DECODERS.get(cls)
    if decoder is None:
        decoder = _TYPED_DECODERS[cls] = _typed_decoder(cls)
    result: T = decoder(body)
    return result


def _typed_decoder(cls: type) -> Callable[[bytes | str], Any]:
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency
        def slow(body: bytes | str) -> Any:
            data = loads_json(body)
            if not isinstance(data, dict):
                raise ValueError(f"malformed {cls.__name__}: not a JSON object")
            return from_plain(cls, data)
        return slow
    fast: Any = msgspec.json.Decoder(cls)

    def decode(body: bytes | str) -> Any:
        try:
            return fast.decode(body)
        except msgspec.ValidationError as exc:
            if "out of range" in str(exc):
                return _wide_decode(cls, body)
            raise ValueError(f"malformed {cls.__name__}: {exc}") from None
        except (msgspec.MsgspecError, RecursionError) as exc:
            raise ValueError(f"malformed {cls.__name__}: {exc}") from None

    return decode


_WIDE_DIGITS = 400  # longer integers are beyond every field's range (and int()'s own limit)
_WIDE_INT = 2**1000  # a stand-in for them that is still a float when a float field needs one


def _wide_int(text: str) -> int:
    if len(text) <= _WIDE_DIGITS:
        return int(text)
    return -_WIDE_INT if text.startswith("-") else _WIDE_INT


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _wide_decode(cls: type, body: bytes | str) -> Any:
    """`body` through the json module: floats beyond 1e308 as inf, long integers as 2**1000."""
    import json

    try:
        text = body if isinstance(body, str) else bytes(body).decode("utf-8")
        data = json.loads(text, parse_int=_wide_int, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"malformed {cls.__name__}: nested too deeply") from None
    if type(data) is not dict:
        raise ValueError(f"malformed {cls.__name__}: not a JSON object")
    return from_plain(cls, data)

_NO_DEFAULT = object()

Decoder = Callable[[Any], Any]


def to_plain(obj: Any) -> Any:
    """Convert a model dataclass (recursively) to dicts, lists and scalars."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _encoder_for(type(obj))(obj)
    if isinstance(obj, tuple | list):
        return [to_plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(key): to_plain(value) for key, value in obj.items()}
    return obj


def from_plain(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build `cls` from the output of to_plain; ValueError on a malformed document."""
    try:
        return _decoder_for(cls)(data)  # type: ignore[no-any-return]
    except (TypeError, KeyError, AttributeError, ValueError, OverflowError,
            RecursionError) as exc:
        raise ValueError(f"malformed {cls.__name__}: {exc}") from exc


_DEFAULTS: dict[type, tuple[tuple[str, Any], ...]] = {}
_DECODERS: dict[Any, Decoder] = {}
_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {}
_SCALARS = (float, int, str, bool)


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
        item_types = _scalar_types(args[0])
        if item_types is not None:
            return lambda v: _scalar_tuple(v, item_types)
        decode_item = _decoder_for(args[0])
        return lambda v: tuple(decode_item(item) for item in _as_list(v))
    if origin in (Mapping, dict) or tp in (Mapping, dict):
        return _decode_str_mapping
    if tp is float:
        return _decode_float
    if tp is int:
        return _decode_int
    if tp is bool:
        return _decode_bool
    if tp is str:
        return _decode_str
    raise TypeError(f"unsupported field type {tp}")


def _encoder_for(cls: type) -> Callable[[Any], dict[str, Any]]:
    cached = _ENCODERS.get(cls)
    if cached is None:
        cached = _ENCODERS[cls] = _build_encoder(cls)
    return cached


def _build_encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    # (name, default, how): how is None for scalars, "seq" for tuples of scalars,
    # "map" for str->str mappings, else to_plain.
    plan: list[tuple[str, Any, Any]] = []
    for name, default in _defaults(cls):
        inner = _strip_optional(hints[name])
        if inner in _SCALARS:
            how: Any = None
        elif typing.get_origin(inner) is tuple and typing.get_args(inner)[0] in _SCALARS:
            how = "seq"
        elif inner is Mapping or typing.get_origin(inner) in (Mapping, dict):
            how = "map"
        else:
            how = to_plain
        plan.append((name, default, how))

    def encode(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, default, how in plan:
            value = getattr(obj, name)
            if value is default or (default is not _NO_DEFAULT and value == default):
                continue
            if how is None:
                out[name] = value
            elif how == "seq":
                out[name] = list(value)
            elif how == "map":
                out[name] = dict(value)
            else:
                out[name] = how(value)
        return out

    return encode


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return tp


def _scalar_types(tp: Any) -> tuple[type, ...] | None:
    """The exact JSON value types a scalar field accepts, or None for non-scalars."""
    optional = typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(tp))
    inner = _strip_optional(tp)
    if inner not in _SCALARS:
        return None
    accepted: tuple[type, ...] = (float, int) if inner is float else (inner,)
    return (*accepted, type(None)) if optional else accepted


def _dataclass_decoder(cls: type) -> Decoder:
    # Generated straight-line code: the remote view decodes ~10k devices a round, and a
    # loop with per-field dict lookups cost twice as much as this.
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {"cls": cls, "MISSING": _NO_DEFAULT}
    lines = [
        "def decode(value):",
        "    if type(value) is not dict:",
        "        raise TypeError(f'expected an object, got {type(value).__name__}')",
        "    get = value.get",
        "    kwargs = {}",
    ]
    for i, f in enumerate(dataclasses.fields(cls)):
        accepted = _scalar_types(hints[f.name])
        lines += [f"    v = get({f.name!r}, MISSING)", "    if v is not MISSING:"]
        if accepted is not None:
            # exact type check: bool is an int subclass but never a number here
            namespace[f"A{i}"] = accepted
            lines += [f"        if type(v) not in A{i}:",
                      f"            raise TypeError({f.name!r} + ': unexpected value ' + repr(v))",
                      f"        kwargs[{f.name!r}] = v"]
        else:
            namespace[f"D{i}"] = _decoder_for(hints[f.name])
            lines.append(f"        kwargs[{f.name!r}] = D{i}(v)")
    lines.append("    return cls(**kwargs)")
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from field names
    decoder: Decoder = namespace["decode"]
    return decoder


def _as_dict(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return list(value)


def _scalar_tuple(value: Any, item_types: tuple[type, ...]) -> tuple[Any, ...]:
    if type(value) is not list and type(value) is not tuple:
        raise TypeError(f"expected a list, got {type(value).__name__}")
    for item in value:
        if type(item) not in item_types:
            raise TypeError(f"unexpected list item {item!r}")
    return tuple(value)


def _decode_str_mapping(value: Any) -> dict[str, str]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {type(value).__name__}")
    for key, item in value.items():
        if type(item) is not str:
            raise TypeError(f"{key}: expected a string, got {item!r}")
    return dict(value)


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
