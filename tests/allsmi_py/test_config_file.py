"""config_file.check_file: every problem of a file, each with its line and key, in file order."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.config import load_config
from allsmi_py.config_file import MAX_PROBLEMS, Problem, check_file, check_text
from allsmi_py.errors import ConfigError

MANY_PROBLEMS = """\
api:
  prot: 1
  port: 99999
  processes: 3
veiw:
  hosts: [a]
view:
  timout_s: 2
  port: 1
  timeout_s: 0
  timeout_s: 3
  interval_s: 1.5
alerts: 5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_is_reported_with_its_line_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MANY_PROBLEMS)
    check = check_file(path)
    assert [(p.line, p.message.split(";")[0]) for p in check.problems] == [
        (2, "unknown key api.prot (did you mean api.port?)"),
        (3, "api.port: expected an integer between 1 and 65535, got 99999"),
        (4, "api.processes: expected true or false, got 3"),
        (5, "unknown section 'veiw' (did you mean 'view'?)"),
        (8, "unknown key view.timout_s (did you mean view.timeout_s?)"),
        (9, "unknown key view.port (it is in section 'api')"),
        (10, "view.timeout_s: expected a number more than 0 and at most 600 seconds, got 0"),
        (11, "duplicate key view.timeout_s (first at line 10)"),
        (13, "section 'alerts' must be a mapping of keys"),
    ]
    assert all(str(p).startswith(f"{path} line {p.line}: ") for p in check.problems)
    assert check.values == {("view", "interval_s"): 1.5}  # the one good key
    assert not check.ok


def test_unknown_names_list_the_valid_ones(tmp_path: Path) -> None:
    check = check_text("zzz:\n  a: 1\napi:\n  qqqq: 1\n", tmp_path / "c.yaml")
    first, second = (p.message for p in check.problems)
    assert first.startswith("unknown section 'zzz'; valid: general, local, api, view")
    assert second.startswith("unknown key api.qqqq; valid: port, bind, interval_s")


def test_a_good_file_gives_its_typed_values(tmp_path: Path) -> None:
    text = "api:\n  port: 9100\n  processes: yes\nview:\n  hosts: [a, 'b:9']\nmock:\n  seed:\n"
    check = check_text(text, tmp_path / "c.yaml")
    assert check.ok and check.problems == () and check.more_problems == 0
    assert check.values == {("api", "port"): 9100, ("api", "processes"): True,
                            ("view", "hosts"): ["a", "b:9"], ("mock", "seed"): None}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n", "api:\n", "api: ~\n"])
def test_empty_file_and_empty_sections_are_fine(tmp_path: Path, text: str) -> None:
    check = check_text(text, tmp_path / "c.yaml")
    assert check.ok and check.values == {}


def test_duplicate_sections_and_flow_mapping_keys_are_problems(tmp_path: Path) -> None:
    check = check_text("api: {port: 1, port: 2}\nlocal: {}\napi:\n  bind: x\n", tmp_path / "c")
    assert [(p.line, p.message) for p in check.problems] == [
        (1, "duplicate key api.port (first at line 1); YAML would keep only the last"),
        (3, "duplicate section api (first at line 1); YAML would keep only the last"),
    ]


def test_keys_that_are_not_plain_names_are_problems(tmp_path: Path) -> None:
    check = check_text("? [a, b]\n: 1\napi:\n  ? {x: 1}\n  : 2\n", tmp_path / "c")
    assert [p.line for p in check.problems] == [1, 4]
    assert all("must be a plain name" in p.message for p in check.problems)


def test_problems_past_the_cap_are_counted_not_kept(tmp_path: Path) -> None:
    text = "".join(f"section{i}: 1\n" for i in range(MAX_PROBLEMS + 25))
    check = check_text(text, tmp_path / "c")
    assert len(check.problems) == MAX_PROBLEMS and check.more_problems == 25


def test_load_config_raises_the_first_problem_validate_reports(tmp_path: Path) -> None:
    path = _write(tmp_path, MANY_PROBLEMS)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert str(info.value) == str(check_file(path).problems[0])


def test_load_config_reads_what_check_file_accepts(tmp_path: Path) -> None:
    path = _write(tmp_path, "view:\n  timeout_s: 2.5\n  hosts: [n1]\n")
    config = load_config(path, environ={})
    assert check_file(path).values == {("view", "timeout_s"): 2.5, ("view", "hosts"): ["n1"]}
    assert config.get("view", "timeout_s") == 2.5 and config.source("view", "hosts") == "file"


def test_problem_without_a_line_names_the_file(tmp_path: Path) -> None:
    assert str(Problem(tmp_path / "c.yaml", None, "gone")) == f"{tmp_path / 'c.yaml'}: gone"
    missing = check_file(tmp_path / "nope.yaml")
    assert [str(p) for p in missing.problems] == [
        f"{tmp_path / 'nope.yaml'}: config file does not exist"]
