"""Configuration: YAML file, then environment, then command-line flags.

Precedence, highest first: flag > `ALLSMI_<SECTION>_<KEY>` > file > default. The file is
the first that exists of `$XDG_CONFIG_HOME/allsmi/config.yaml`, `~/.config/allsmi/config.yaml`,
`/etc/allsmi/config.yaml` (or the one `--config` names). Every error names the file, the
line and the key, and is raised as ConfigError (the CLI prints it on one line, exit 2).
What each setting is and may hold is declared in settings.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from allsmi_py.errors import ConfigError
from allsmi_py.settings import NUMBERS, SCHEMA, Setting, shown

ENV_PREFIX = "ALLSMI_"


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
        raise ValueError(f"{name}: expected true or false, got {shown(raw)}")
    if kind is list:
        if isinstance(raw, list) and all(isinstance(x, str | int) for x in raw):
            return [str(x) for x in raw]
        raise ValueError(f"{name}: expected a list of strings, got {shown(raw)}")
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError(f"{name}: expected a string, got {shown(raw)}")


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
            raise ValueError(f"{key}: expected true or false, got {shown(text)}")
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
