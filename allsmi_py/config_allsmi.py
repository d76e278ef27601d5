"""all-smi's own settings as a fallback: its config.toml and its ALL_SMI_* variables (issue 19).

A user who switches from all-smi keeps the settings both tools share. load_config applies
them only to keys that our own file and ALLSMI_* variables left at their defaults, and says
in one line what it took. Precedence among all-smi's own sources is all-smi's: its variables
over its file (README, "Configuration", lablup/all-smi b92ea0a).

Where all-smi looks (the first file that exists wins), by platform:
    Linux    $XDG_CONFIG_HOME/all-smi/config.toml (else ~/.config/...), /etc/all-smi/config.toml
    macOS    ~/Library/Application Support/all-smi/config.toml, ~/.config/all-smi/config.toml,
             /Library/Application Support/all-smi/config.toml
    Windows  %APPDATA%\\all-smi\\config.toml, %PROGRAMDATA%\\all-smi\\config.toml

The file is untrusted input: only a regular file, at most MAX_FILE_BYTES, TOML via tomllib.
A file that cannot be read is skipped with a note, never an error: it is not our file. Keys
with no meaning here (all-smi's `locale`, `socket`, `wal_path` ...) and values our ranges
refuse are left out and named in the note; secrets are never shown in it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allsmi_py.settings import NUMBERS, SCHEMA, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

MAX_FILE_BYTES = 256 * 1024  # all-smi's full example file is about 4 KiB
MAX_NOTED = 8  # keys named in a note; the rest are counted
SettingKey = tuple[str, str]

# all-smi's [section] key -> our section.key, where the meaning is the same.
KEYS: dict[SettingKey, SettingKey] = {
    ("general", "theme"): ("general", "theme"),
    ("local", "interval_secs"): ("local", "interval_s"),
    ("view", "hostfile"): ("view", "hostfile"),
    ("view", "hosts"): ("view", "hosts"),
    ("view", "interval_secs"): ("view", "interval_s"),
    ("api", "port"): ("api", "port"),
    ("api", "processes"): ("api", "processes"),
    ("api", "interval_secs"): ("api", "interval_s"),
    ("alerts", "temp_warn_c"): ("alerts", "temp_warn_c"),
    ("alerts", "temp_crit_c"): ("alerts", "temp_crit_c"),
    ("alerts", "hysteresis_c"): ("alerts", "hysteresis_c"),
    ("alerts", "util_idle_pct"): ("alerts", "util_low_pct"),
    ("alerts", "util_idle_warn_mins"): ("alerts", "util_low_mins"),
    ("alerts", "webhook_url"): ("alerts", "webhook_url"),
    ("energy", "price_per_kwh"): ("energy", "price_per_kwh"),
    ("energy", "currency"): ("energy", "currency"),
    ("energy", "gap_interpolate_seconds"): ("energy", "max_gap_s"),
}
# Variables beside the canonical ALL_SMI_<SECTION>_<KEY> of each key above.
LEGACY_ENV: dict[str, SettingKey] = {
    "ALL_SMI_ALERT_TEMP": ("alerts", "temp_warn_c"),
    "ALL_SMI_ALERT_UTIL_LOW_MINS": ("alerts", "util_low_mins"),
    "ALL_SMI_ENERGY_PRICE": ("energy", "price_per_kwh"),
    "ALL_SMI_ENERGY_GAP_SECONDS": ("energy", "max_gap_s"),
    "ALL_SMI_AUTH_TOKEN": ("view", "auth_token"),  # the bearer token all-smi's view sends
}
# all-smi's 0 means "adaptive" (intervals) or "TCP off" (port): nothing ours can take.
_ZERO_MEANS_OTHER = {("local", "interval_s"), ("view", "interval_s"), ("api", "port")}
_THEMES = ("dark", "light")  # all-smi's auto, high-contrast and mono have no twin here


@dataclass(frozen=True, slots=True)
class Fallback:
    """Settings taken from all-smi, where each came from, and what was left out."""

    values: dict[SettingKey, Any] = field(default_factory=dict)
    origins: dict[SettingKey, str] = field(default_factory=dict)  # a path or a variable
    ignored: tuple[str, ...] = ()  # "[api] socket", "ALL_SMI_API_PORT=0 ..."

    def notes(self, used: set[SettingKey] | None = None) -> list[str]:
        """At most two lines: what was used (of `used`, default all), what was left out."""
        keys = [k for k in self.values if used is None or k in used]
        lines = []
        if keys:
            by_origin: dict[str, list[str]] = {}
            for key in keys:
                by_origin.setdefault(self.origins[key], []).append(self._shown(key))
            parts = [f"{_cut(names)} from all-smi's {origin}"
                     for origin, names in by_origin.items()]
            lines.append("allsmi: using " + "; ".join(parts))
        if self.ignored:
            lines.append("allsmi: ignored from all-smi's settings (no such setting here or out "
                         f"of range): {_cut(list(self.ignored))}")
        return lines

    def _shown(self, key: SettingKey) -> str:
        section, name = key
        value = self.values[key]
        if SCHEMA[section][name].secret:
            return f"{section}.{name}=<redacted>"
        if isinstance(value, list):
            return f"{section}.{name}=[{len(value)} entries]"
        return f"{section}.{name}={_number(value) if not isinstance(value, str) else value}"


def _cut(names: list[str]) -> str:
    more = len(names) - MAX_NOTED
    return ", ".join(names[:MAX_NOTED]) + (f" and {more} more" if more > 0 else "")


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def search_paths(environ: Mapping[str, str], platform: str = sys.platform) -> list[Path]:
    """all-smi's config.toml candidates, in its order, for `platform`."""
    home = environ.get("HOME")
    paths: list[Path] = []
    if platform == "win32":
        for name in ("APPDATA", "PROGRAMDATA"):
            if environ.get(name):
                paths.append(Path(environ[name]) / "all-smi" / "config.toml")
        return paths
    if platform == "darwin":
        if home:
            paths.append(Path(home) / "Library" / "Application Support" / "all-smi" /
                         "config.toml")
            paths.append(Path(home) / ".config" / "all-smi" / "config.toml")
        paths.append(Path("/Library/Application Support/all-smi/config.toml"))
        return paths
    xdg = environ.get("XDG_CONFIG_HOME")
    if xdg:
        paths.append(Path(xdg) / "all-smi" / "config.toml")
    elif home:
        paths.append(Path(home) / ".config" / "all-smi" / "config.toml")
    paths.append(Path("/etc/all-smi/config.toml"))
    return paths


def read_allsmi(environ: Mapping[str, str], platform: str = sys.platform,
                home_shown: str | None = None) -> Fallback:
    """all-smi's settings that mean the same here: its variables over its first config file."""
    values: dict[SettingKey, Any] = {}
    origins: dict[SettingKey, str] = {}
    ignored: list[str] = []
    path = next((p for p in search_paths(environ, platform) if _is_file(p)), None)
    if path is not None:
        origin = _tilde(path, environ.get("HOME") if home_shown is None else home_shown)
        table, problem = _read_toml(path)
        if problem is not None:
            ignored.append(f"{origin} ({problem})")
        for (section, key), value in _flatten(table, ignored):
            ours = KEYS.get((section, key))
            if ours is None:
                ignored.append(f"[{_name(section)}] {_name(key)}")
                continue
            _take(ours, value, origin, f"[{section}] {key}", values, origins, ignored)
    names = {f"ALL_SMI_{s.upper()}_{k.upper()}": ours for (s, k), ours in KEYS.items()}
    for name, ours in (*LEGACY_ENV.items(), *names.items()):  # canonical names win: last
        if name in environ:
            text = environ[name]
            given: Any = text if SCHEMA[ours[0]][ours[1]].kind is not list else \
                [part.strip() for part in text.split(",") if part.strip()]
            _take(ours, given, name, name, values, origins, ignored, from_text=True)
    return Fallback(values, origins, tuple(ignored))


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _tilde(path: Path, home: str | None) -> str:
    text = str(path)
    if home and text.startswith(home.rstrip("/") + "/"):
        return "~" + text[len(home.rstrip("/")):]
    return text


def _read_toml(path: Path) -> tuple[dict[str, Any], str | None]:
    try:
        with open(path, "rb", opener=_no_block) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return {}, "not a regular file"
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return {}, f"unreadable: {exc.strerror or exc}"
    if len(raw) > MAX_FILE_BYTES:
        return {}, f"larger than {MAX_FILE_BYTES} bytes"
    try:
        return tomllib.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return {}, "not UTF-8 text"
    except tomllib.TOMLDecodeError as exc:
        return {}, f"not TOML: {str(exc)[:80]}"
    except RecursionError:
        return {}, "nested too deep"


def _no_block(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not hang us


def _flatten(table: dict[str, Any], ignored: list[str]) -> list[tuple[SettingKey, Any]]:
    out: list[tuple[SettingKey, Any]] = []
    for section, keys in table.items():
        if section == "schema_version":
            continue
        if not isinstance(keys, dict):
            ignored.append(f"{_name(section)}")
            continue
        out.extend(((section, key), value) for key, value in keys.items())
    return out


def _name(text: str) -> str:
    return shown(text)[1:-1] if len(text) > 40 or not text.isprintable() else text


def _take(ours: SettingKey, value: Any, origin: str, what: str, values: dict[SettingKey, Any],
          origins: dict[SettingKey, str], ignored: list[str], from_text: bool = False) -> None:
    section, key = ours
    setting = SCHEMA[section][key]
    try:
        checked = _checked(ours, value, setting.kind, from_text)
    except ValueError:
        ignored.append(_name(what) if setting.secret else f"{_name(what)}={shown(value)}")
        return
    if checked is not None:
        values[ours], origins[ours] = checked, origin
    else:
        ignored.append(f"{_name(what)}={shown(value)}")


def _checked(ours: SettingKey, value: Any, kind: type, from_text: bool) -> Any:
    """The value as our setting holds it, None when it means something else; ValueError."""
    dotted = f"{ours[0]}.{ours[1]}"
    number = NUMBERS.get(dotted)
    if number is not None:
        parsed = number.kind(value.strip()) if from_text and isinstance(value, str) else value
        if ours in _ZERO_MEANS_OTHER and parsed == 0:
            return None
        return number.check(parsed)
    if kind is bool:
        if from_text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return lowered in ("1", "true", "yes", "on")
        if isinstance(value, bool):
            return value
        raise ValueError(dotted)
    if kind is list:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        raise ValueError(dotted)
    if not isinstance(value, str) or len(value) > 4096 or not value.isprintable():
        raise ValueError(dotted)
    if ours == ("general", "theme"):
        return value if value in _THEMES else None
    return value
