"""One YAML config file, read and checked key by key, with every problem collected.

`load_config` raises the first problem; `allsmi config validate` prints them all. Both call
`check_file`, so a file validate passes is exactly a file load_config accepts. Each problem
names the file, the line and the key. A YAML syntax error stops the check at that line (the
rest of the file cannot be read as YAML); everything else is checked to the end.

The file is untrusted input: at most MAX_FILE_BYTES are read, only regular files are opened
(a FIFO would block), nesting deeper than MAX_DEPTH is refused while parsing (PyYAML's
composer recurses once a level), and aliases (`*name`) are refused because one alias per
level makes a few hundred bytes stand for billions of values ("billion laughs").
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from allsmi_py.settings import NUMBERS, SCHEMA, Setting, shown

MAX_FILE_BYTES = 1024 * 1024  # a full config is ~3 KiB; a long view.hosts list fits too
MAX_DEPTH = 8  # the schema needs 3: sections, keys, a list of hosts
MAX_PROBLEMS = 100  # kept and printed; the rest are only counted


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a config file; `line` is None when it is about the whole file."""

    path: Path
    line: int | None
    message: str  # starts with the key when there is one: "view.timeout_s: expected ..."

    def __str__(self) -> str:
        where = f" line {self.line}" if self.line is not None else ""
        return f"{self.path}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What a config file sets, and what is wrong with it (the first MAX_PROBLEMS)."""

    path: Path
    values: dict[tuple[str, str], Any]
    problems: tuple[Problem, ...]
    more_problems: int = 0  # found beyond MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        """True when the file has no problem at all."""
        return not self.problems


def check_file(path: Path) -> FileCheck:
    """Read and check the config file at `path` (a missing file is a problem too)."""
    text, problem = _read_text(path)
    if problem is not None:
        return FileCheck(path, {}, (problem,))
    return check_text(text, path)


def check_text(text: str, path: Path) -> FileCheck:
    """Check config `text` as if read from `path` (used in messages only)."""
    checker = _Checker(path)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: the reader checks up front
        checker.add(text.count("\n", 0, exc.position) + 1,
                    f"not YAML text: character #x{exc.character:04x} is not allowed")
        return FileCheck(path, {}, tuple(checker.problems))
    try:
        root = loader.get_single_node()
        if root is not None:
            checker.check_root(root, loader)
    except yaml.YAMLError as exc:
        checker.add(_mark_line(exc), f"invalid YAML: {_yaml_problem(exc)}")
    finally:
        loader.dispose()
    return FileCheck(path, checker.values, tuple(checker.problems), checker.more)


def _read_text(path: Path) -> tuple[str, Problem | None]:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "", Problem(path, None, "not a regular file")
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return "", Problem(path, None, "config file does not exist")
    except OSError as exc:
        return "", Problem(path, None, f"cannot read config file: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return "", Problem(path, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB; "
                                       "is this the config file?")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return "", Problem(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")


@dataclass
class _Checker:
    """Walks the composed YAML nodes, so every key keeps its line, and collects problems."""

    path: Path
    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(self, line: int | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.path, line, message))
        else:
            self.more += 1

    def check_root(self, root: yaml.Node, loader: _Loader) -> None:
        if _is_null(root):
            return
        if not isinstance(root, yaml.MappingNode):
            self.add(_line(root), "the file must be a mapping of sections (general:, api:, ...)")
            return
        seen: dict[str, int] = {}
        for key_node, value_node in root.value:
            section = self._name(key_node, "section", seen)
            if section is None:
                continue
            if section not in SCHEMA:
                self.add(_line(key_node), f"unknown section {section!r}"
                         f"{_did_you_mean(section, SCHEMA)}; valid: {', '.join(SCHEMA)}")
            elif isinstance(value_node, yaml.MappingNode):
                self._check_section(section, value_node, loader)
            elif not _is_null(value_node):
                self.add(_line(value_node), f"section {section!r} must be a mapping of keys")

    def _check_section(self, section: str, node: yaml.MappingNode, loader: _Loader) -> None:
        keys = SCHEMA[section]
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._name(key_node, f"key in section {section!r}", seen, f"{section}.")
            if key is None:
                continue
            name = f"{section}.{key}"
            setting = keys.get(key)
            if setting is None:
                self.add(_line(key_node), f"unknown key {name}{_nearest_key(section, key)}; "
                                          f"valid: {', '.join(keys)}")
                continue
            try:
                raw = loader.construct_object(value_node, deep=True)
                self.values[(section, key)] = coerce(raw, setting, name)
            except yaml.YAMLError as exc:
                self.add(_line(value_node), f"{name}: {_yaml_problem(exc)}")
            except ValueError as exc:
                self.add(_line(key_node), str(exc))

    def _name(self, node: yaml.Node, what: str, seen: dict[str, int],
              prefix: str = "") -> str | None:
        """The key's text, or None (and a problem) when it is not a plain or is repeated."""
        if not isinstance(node, yaml.ScalarNode):
            self.add(_line(node), f"a {what} must be a plain name, not a list or mapping")
            return None
        name = str(node.value)
        if name in seen:
            self.add(_line(node), f"duplicate {what.split()[0]} {prefix}{name} (first at line "
                                  f"{seen[name]}); YAML would keep only the last")
            return None
        seen[name] = _line(node)
        return name


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _nearest_key(section: str, key: str) -> str:
    """' (did you mean view.timeout_s?)': a close key here, else the section holding it."""
    close = difflib.get_close_matches(key, list(SCHEMA[section]), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {section}.{close[0]}?)"
    elsewhere = [f"{s}.{key}" for s, keys in SCHEMA.items() if key in keys and s != section]
    return f" (it is in section {elsewhere[0].split('.')[0]!r})" if elsewhere else ""


def coerce(raw: Any, setting: Setting, name: str) -> Any:
    """A file's value for setting `name`, typed; ValueError (naming the key) when refused."""
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


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"{problem} ({context})" if context else str(problem)


class _Loader(yaml.SafeLoader):
    """SafeLoader with a depth limit and no aliases; over-long integers stay text."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise ComposerError(None, None, "aliases (*name) are not allowed in a config file",
                                self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # more than 4300 digits: int() refuses (CVE-2020-10735)
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
