"""Configuration: YAML file, then environment, then command-line flags.

Precedence, highest first: flag > `ALLSMI_<SECTION>_<KEY>` > file > default. The file is
the first that exists of `$XDG_CONFIG_HOME/allsmi/config.yaml`, `~/.config/allsmi/config.yaml`,
`/etc/allsmi/config.yaml` (or the one `--config` names). Every error names the file, the
line and the key, and is raised as ConfigError (the CLI prints it on one line, exit 2).

Every number has one allowed Range, declared with its Setting and checked by NumberSetting
whichever way it comes: the flag's argparse `type=` (flag_type), the environment and the
file. Infinity and NaN are outside every range (issue 14: an infinite interval killed the
exporter's collector thread, a zero timeout timed every node out).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from allsmi_py.errors import ConfigError

ENV_PREFIX = "ALLSMI_"


@dataclass(frozen=True, slots=True)
class Range:
    """Where a number may lie: from min (or just above it) to max, both finite."""

    min: int | float
    max: int | float
    min_exclusive: bool = False
    unit: str = ""  # shown after the range: "seconds", "bytes"


INTERVAL_S = Range(0.05, 3600.0, unit="seconds")
TIMEOUT_S = Range(0, 600.0, min_exclusive=True, unit="seconds")
BODY_BYTES = Range(1024, 2**30, unit="bytes")
PORT = Range(1, 65535)
PORT_OR_ANY = Range(0, 65535)  # 0: the OS chooses
CONCURRENCY = Range(1, 10_000)
SEED = Range(0, 2**63 - 1)
TEMPERATURE_C = Range(0, 200.0, unit="C")
HYSTERESIS_C = Range(0, 50.0, unit="C")
PERCENT = Range(0, 1000.0, min_exclusive=True, unit="percent")


@dataclass(frozen=True, slots=True)
class NumberSetting:
    """A named number and its Range; every refusal is one line naming both and the value."""

    name: str  # "view.timeout_s", or a flag's name where there is no config key
    kind: type  # int or float
    range: Range

    def allowed(self) -> str:
        """The range in words: 'an integer between 1 and 65535'."""
        r = self.range
        low, high = _number_text(r.min), _number_text(r.max)
        span = f"more than {low} and at most {high}" if r.min_exclusive else \
            f"between {low} and {high}"
        noun = "an integer" if self.kind is int else "a number"
        return f"{noun} {span}" + (f" {r.unit}" if r.unit else "")

    def check(self, value: object) -> Any:
        """`value` (already typed, as YAML gives it) as self.kind; ValueError if refused."""
        r = self.range
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                self.kind is int and not isinstance(value, int)) or not (
                # NaN compares false with everything, and both bounds are finite.
                (value > r.min if r.min_exclusive else value >= r.min) and value <= r.max):
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {_shown(value)}")
        return self.kind(value)

    def parse(self, text: str) -> Any:
        """The number `text` (a flag or an environment variable) gives; ValueError if refused."""
        try:
            value = self.kind(text.strip())
        except ValueError:  # also integers of more than 4300 digits (CVE-2020-10735)
            raise ValueError(f"{self.name}: invalid {self.kind.__name__} value {_shown(text)}, "
                             f"expected {self.allowed()}") from None
        try:
            return self.check(value)
        except ValueError:  # show what was typed ('1e309'), not what it became (inf)
            raise ValueError(f"{self.name}: expected {self.allowed()}, "
                             f"got {_shown(text)}") from None

    def flag_type(self) -> Callable[[str], Any]:
        """An argparse `type=`: the number, or the one-line refusal as a usage error."""
        def convert(text: str) -> Any:
            try:
                return self.parse(text)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return convert


def _number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True, slots=True)
class Setting:
    """One configurable value: its type, default and meaning (and range, for numbers)."""

    kind: type  # int, float, bool, str or list (of str)
    default: Any
    help: str
    nullable: bool = False
    range: Range | None = None  # required for int and float


SCHEMA: dict[str, dict[str, Setting]] = {
    "general": {
        "theme": Setting(str, "dark", "TUI theme: dark or light"),
    },
    "local": {
        "interval_s": Setting(float, 2.0, "seconds between readings in the local TUI",
                              range=INTERVAL_S),
    },
    "api": {
        "port": Setting(int, 9090, "TCP port of the exporter", range=PORT),
        "bind": Setting(str, "0.0.0.0", "address to listen on (127.0.0.1 for local only)"),
        "interval_s": Setting(float, 3.0, "seconds between collections", range=INTERVAL_S),
        "processes": Setting(bool, False, "export per-process metrics"),
        "auth_token": Setting(str, "", "require this bearer token (empty: no auth)"),
        "basic_auth": Setting(str, "", "require HTTP basic auth, as user:password"),
        "tls_cert": Setting(str, "", "TLS certificate file (PEM); enables HTTPS with tls_key"),
        "tls_key": Setting(str, "", "TLS private key file (PEM)"),
    },
    "view": {
        "hosts": Setting(list, [], "nodes to watch: host, host:port or URL"),
        "hostfile": Setting(str, "", "file with one node per line"),
        "prometheus": Setting(str, "", "read the cluster from this Prometheus server instead"),
        "interval_s": Setting(float, 2.0, "seconds between scrape rounds", range=INTERVAL_S),
        "timeout_s": Setting(float, 5.0, "per-request timeout in seconds", range=TIMEOUT_S),
        "concurrency": Setting(int, 256, "requests in flight at once", range=CONCURRENCY),
        "max_body_bytes": Setting(int, 10_000_000, "largest response accepted from a node",
                                  range=BODY_BYTES),
        "auth_token": Setting(str, "", "bearer token sent to nodes (or ALLSMI_AUTH_TOKEN)"),
        "ca_file": Setting(str, "", "PEM file of the CA that signed https nodes (private CA)"),
    },
    "alerts": {
        "temp_warn_c": Setting(float, 80.0, "temperature warning threshold, C",
                               range=TEMPERATURE_C),
        "temp_crit_c": Setting(float, 90.0, "temperature critical threshold, C",
                               range=TEMPERATURE_C),
        "hysteresis_c": Setting(float, 2.0, "how far below a threshold before an alert clears, C",
                                range=HYSTERESIS_C),
        "power_warn_pct": Setting(float, 95.0, "power draw warning, percent of the power limit",
                                  range=PERCENT),
    },
    "mock": {
        "seed": Setting(int, None, "seed of simulated devices (empty: random)", nullable=True,
                        range=SEED),
    },
}
# Every int and float setting by "section.key", e.g. NUMBERS["view.timeout_s"].flag_type().
NUMBERS: dict[str, NumberSetting] = {
    f"{section}.{key}": NumberSetting(f"{section}.{key}", setting.kind, setting.range)
    for section, keys in SCHEMA.items() for key, setting in keys.items()
    if setting.range is not None
}


def flag_type(name: str) -> Callable[[str], Any]:
    """The argparse `type=` of the flag that sets config key `name` ("view.timeout_s")."""
    return NUMBERS[name].flag_type()


class Config:
    """The effective configuration: look values up with get() or value()."""

    def __init__(self, values: dict[tuple[str, str], Any], sources: dict[tuple[str, str], str],
                 path: Path | None) -> None:
        self._values = values
        self._sources = sources
        self.path = path

    def get(self, section: str, key: str) -> Any:
        """The value from environment, file or default."""
        try:
            return self._values[(section, key)]
        except KeyError:
            raise KeyError(f"no setting {section}.{key}") from None

    def value(self, section: str, key: str, flag: Any = None) -> Any:
        """The flag's value when one was given (not None), else get()."""
        return flag if flag is not None else self.get(section, key)

    def source(self, section: str, key: str) -> str:
        """Where the value came from: default, file or env."""
        return self._sources[(section, key)]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Every setting, by section."""
        out: dict[str, dict[str, Any]] = {}
        for (section, key), val in self._values.items():
            out.setdefault(section, {})[key] = val
        return out


def search_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Config files looked for, in order."""
    env = os.environ if environ is None else environ
    paths = []
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        paths.append(Path(xdg) / "allsmi" / "config.yaml")
    home = env.get("HOME")
    if home:
        paths.append(Path(home) / ".config" / "allsmi" / "config.yaml")
    paths.append(Path("/etc/allsmi/config.yaml"))
    return paths


def find_config_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The first existing config file, or None."""
    return next((p for p in search_paths(environ) if p.is_file()), None)


def load_config(path: str | Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Read file (explicit `path` or the first found) and environment over the defaults."""
    env = os.environ if environ is None else environ
    values = {(s, k): setting.default for s, keys in SCHEMA.items() for k, setting in keys.items()}
    sources = dict.fromkeys(values, "default")
    file_path = Path(path) if path is not None else find_config_file(env)
    if file_path is not None:
        for setting_key, val in _read_file(file_path, explicit=path is not None).items():
            values[setting_key], sources[setting_key] = val, "file"
    for (section, key), setting in _all_settings():
        name = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
        if name in env:
            values[(section, key)] = _parse_env(name, env[name], setting, f"{section}.{key}")
            sources[(section, key)] = "env"
    return Config(values, sources, file_path)


def _all_settings() -> list[tuple[tuple[str, str], Setting]]:
    return [((s, k), v) for s, keys in SCHEMA.items() for k, v in keys.items()]


def _read_file(path: Path, explicit: bool) -> dict[tuple[str, str], Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file {path} does not exist") from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path} line 1: the file must be a mapping of sections")
    lines = _key_lines(root)
    out: dict[tuple[str, str], Any] = {}
    for section, keys in data.items():
        line = lines.get((str(section), None), 1)
        if section not in SCHEMA:
            valid = ", ".join(SCHEMA)
            raise ConfigError(f"{path} line {line}: unknown section {section!r}; valid: {valid}")
        if keys is None:
            continue
        if not isinstance(keys, dict):
            raise ConfigError(f"{path} line {line}: section {section!r} must be a mapping")
        for key, raw in keys.items():
            key_line = lines.get((section, str(key)), line)
            setting = SCHEMA[section].get(str(key))
            if setting is None:
                valid = ", ".join(SCHEMA[section])
                raise ConfigError(
                    f"{path} line {key_line}: unknown key {section}.{key}; valid: {valid}")
            try:
                out[(section, str(key))] = _coerce(raw, setting, f"{section}.{key}")
            except ValueError as exc:
                raise ConfigError(f"{path} line {key_line}: {exc}") from None
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps an integer too long for int() as its text, for _coerce to refuse."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # more than 4300 digits: int() refuses (CVE-2020-10735)
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _key_lines(root: yaml.MappingNode) -> dict[tuple[str, str | None], int]:
    lines: dict[tuple[str, str | None], int] = {}
    for key_node, value_node in root.value:
        section = str(key_node.value)
        lines[(section, None)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                lines[(section, str(sub_key.value))] = sub_key.start_mark.line + 1
    return lines


def _coerce(raw: Any, setting: Setting, name: str) -> Any:
    if raw is None:
        if setting.nullable:
            return None
        raise ValueError(f"{name}: a value is required")
    number = NUMBERS.get(name)
    if number is not None:
        return number.check(raw)
    kind = setting.kind
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"{name}: expected true or false, got {_shown(raw)}")
    if kind is list:
        if isinstance(raw, list) and all(isinstance(x, str | int) for x in raw):
            return [str(x) for x in raw]
        raise ValueError(f"{name}: expected a list of strings, got {_shown(raw)}")
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError(f"{name}: expected a string, got {_shown(raw)}")


def _parse_env(name: str, text: str, setting: Setting, key: str) -> Any:
    text = text.strip()
    try:
        if setting.nullable and text == "":
            return None
        number = NUMBERS.get(key)
        if number is not None:
            return number.parse(text)
        if setting.kind is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"{key}: expected true or false, got {_shown(text)}")
        if setting.kind is list:
            return [part.strip() for part in text.split(",") if part.strip()]
        return text
    except ValueError as exc:
        raise ConfigError(f"environment variable {name}: {exc}") from None


def default_file_text() -> str:
    """A commented YAML file holding every setting at its default."""
    lines = ["# allsmi-py configuration.",
             "# Precedence: flag > ALLSMI_<SECTION>_<KEY> > this file > default.", ""]
    for section, keys in SCHEMA.items():
        lines.append(f"{section}:")
        for key, setting in keys.items():
            default = setting.default
            rendered = "" if default is None else yaml.safe_dump(
                default, default_flow_style=True).strip().removesuffix("...").strip()
            lines.append(f"  # {setting.help}")
            lines.append(f"  {key}: {rendered}".rstrip())
        lines.append("")
    return "\n".join(lines)
