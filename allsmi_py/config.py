"""Configuration: YAML file, then environment, then command-line flags.

Precedence, highest first: flag > `ALLSMI_<SECTION>_<KEY>` > file > all-smi's settings >
default. The file is the first that exists of `$XDG_CONFIG_HOME/allsmi/config.yaml`,
`~/.config/allsmi/config.yaml`, `/etc/allsmi/config.yaml` (or the one `--config` names).
all-smi's `ALL_SMI_*` variables and config.toml (config_allsmi.py) fill what is left at its
default, unless `--config` names a file; `Config.notes` says in a line what they gave.
Every error names the file, the line and the key, and is raised as ConfigError (the CLI
prints it on one line, exit 2).
What each setting is and may hold is declared in settings.py; the file is read and checked
by config_file.py, which `allsmi config validate` uses too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from allsmi_py.config_allsmi import read_allsmi
from allsmi_py.config_file import check_file
from allsmi_py.errors import ConfigError
from allsmi_py.settings import NUMBERS, SCHEMA, Setting, shown

ENV_PREFIX = "ALLSMI_"


class Config:
    """The effective configuration: look values up with get() or value()."""

    def __init__(self, values: dict[tuple[str, str], Any], sources: dict[tuple[str, str], str],
                 path: Path | None, notes: tuple[str, ...] = ()) -> None:
        self._values = values
        self._sources = sources
        self.path = path
        self.notes = notes  # one-line reports for stderr: what all-smi's settings gave

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
        """Where the value came from: default, file, env or all-smi."""
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
        check = check_file(file_path)
        if check.problems:
            raise ConfigError(str(check.problems[0]))
        for setting_key, val in check.values.items():
            values[setting_key], sources[setting_key] = val, "file"
    for (section, key), setting in _all_settings():
        name = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
        if name in env:
            values[(section, key)] = _parse_env(name, env[name], setting, f"{section}.{key}")
            sources[(section, key)] = "env"
    notes: list[str] = []
    if path is None:  # a file named with --config is the whole story
        fallback = read_allsmi(env)
        used = {taken for taken in fallback.values if sources[taken] == "default"}
        for taken in used:
            values[taken], sources[taken] = fallback.values[taken], "all-smi"
        notes = fallback.notes(used) if used else []
    return Config(values, sources, file_path, tuple(notes))


def _all_settings() -> list[tuple[tuple[str, str], Setting]]:
    return [((s, k), v) for s, keys in SCHEMA.items() for k, v in keys.items()]


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
