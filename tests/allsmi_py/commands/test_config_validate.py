"""`allsmi config validate [FILE]`: `FILE: OK` and exit 0, or one line per problem and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.cli import main
from allsmi_py.config_file import MAX_PROBLEMS

BROKEN = "api:\n  prot: 1\n  port: 0\nveiw: {}\nview:\n  timeout_s: -1\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_CONFIG_HOME and HOME point into tmp_path; returns where the XDG file would be."""
    if Path("/etc/allsmi/config.yaml").exists():
        pytest.skip("this machine has /etc/allsmi/config.yaml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "xdg" / "allsmi" / "config.yaml"


def test_a_good_file_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "c.yaml", "api:\n  port: 9100\nview:\n  hosts: [a, b]\n")
    assert main(["config", "validate", str(path)]) == 0
    assert capsys.readouterr() == (f"{path}: OK\n", "")


def test_every_problem_gets_its_own_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "c.yaml", BROKEN)
    assert main(["config", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == ""
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{path} line 2", f"{path} line 3", f"{path} line 4", f"{path} line 6"]
    assert "api.prot (did you mean api.port?)" in lines[0]
    assert "api.port: expected an integer" in lines[1]
    assert "'veiw' (did you mean 'view'?)" in lines[2]
    assert "view.timeout_s: expected a number more than 0" in lines[3]


def test_without_file_it_validates_the_file_allsmi_would_read(
        no_default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(no_default_file, "local:\n  interval_s: 1\n")
    assert main(["config", "validate"]) == 0
    assert capsys.readouterr().out == f"{no_default_file}: OK\n"
    _write(no_default_file, BROKEN)  # broken: validate must still report it all
    assert main(["config", "validate"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 4 and all(line.startswith(str(no_default_file))
                                        for line in out.splitlines())


def test_without_any_file_it_says_where_it_looked(
        no_default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no config file to validate") and str(no_default_file) in out


def test_the_global_config_option_names_the_file(
        tmp_path: Path, no_default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(no_default_file, "local:\n  interval_s: 1\n")
    path = _write(tmp_path / "other.yaml", BROKEN)
    assert main(["--config", str(path), "config", "validate"]) == 2
    assert capsys.readouterr().out.splitlines()[0].startswith(f"{path} line 2: ")


def test_a_missing_file_is_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().out == f"{tmp_path / 'nope.yaml'}: config file does not exist\n"


def test_problems_past_the_cap_are_counted(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "c.yaml", "".join(f"s{i}: 1\n" for i in range(MAX_PROBLEMS + 3)))
    assert main(["config", "validate", str(path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == MAX_PROBLEMS + 1 and lines[-1] == f"{path}: 3 more problems not shown"


def test_file_with_another_action_is_a_usage_error(
        tmp_path: Path, no_default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "print", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FILE is for 'allsmi config validate' only" in err


def test_help_describes_validate(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["config", "-h"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "validate: check every key of FILE" in out and "[FILE]" in out
