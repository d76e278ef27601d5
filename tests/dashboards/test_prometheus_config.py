"""prometheus.yml, alerts.yml and alerts_test.yml checked by promtool; the hostfile converter."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.dashboards.promql import DASHBOARDS, PROMETHEUS, rule_expressions
from tests.prometheus_util import PROMETHEUS_MISSING

CONVERTER = DASHBOARDS / "tools" / "hostfile_to_file_sd.py"


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool; skip the test, saying why, when it is not installed."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip(PROMETHEUS_MISSING.replace("prometheus is", "promtool is"))
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def _config() -> dict[str, object]:
    return dict(yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text("utf-8")))


def test_promtool_check_config() -> None:
    result = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    result = promtool("test", "rules", str(PROMETHEUS / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_matches_what_dashboards_and_alerts_assume() -> None:
    config = _config()
    jobs = config["scrape_configs"]
    assert isinstance(jobs, list) and len(jobs) == 1
    job = jobs[0]
    assert job["job_name"] == "allsmi"
    # the dashboards join on the target's `instance`: the exporter's must not replace it
    assert not job.get("honor_labels", False)
    assert job["file_sd_configs"][0]["files"] == ["targets/*.json"]
    assert job["static_configs"][0]["targets"]
    assert config["rule_files"] == ["alerts.yml"]
    for alert, expr in rule_expressions().items():
        if "up{" in expr:
            assert 'job="allsmi"' in expr, alert


def _alert_tests() -> dict[str, tuple[int, int]]:
    """alert name -> (cases expecting alerts, cases expecting none) in alerts_test.yml."""
    doc = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text("utf-8"))
    counts: dict[str, tuple[int, int]] = {}
    for test in doc["tests"]:
        for case in test["alert_rule_test"]:
            firing, quiet = counts.get(case["alertname"], (0, 0))
            if case.get("exp_alerts"):
                firing += 1
            else:
                quiet += 1
            counts[case["alertname"]] = (firing, quiet)
    return counts


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    alerts = set(rule_expressions())
    counts = _alert_tests()
    assert set(counts) == alerts
    for alert in alerts:
        firing, quiet = counts[alert]
        assert firing >= 1 and quiet >= 1, f"{alert}: {firing} firing, {quiet} quiet cases"


def test_every_alert_has_for_severity_and_annotations() -> None:
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text("utf-8"))
    for group in doc["groups"]:
        for rule in group["rules"]:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
            assert rule["labels"]["severity"] in ("critical", "warning", "info")
            assert "{{ $labels.instance }}" in rule["annotations"]["summary"], rule["alert"]
            assert len(rule["annotations"]["description"]) > 80, rule["alert"]


def _mutated(tmp_path: Path, alert: str, change: str) -> subprocess.CompletedProcess[str]:
    """Run alerts_test.yml against alerts.yml with one alert changed."""
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text("utf-8"))
    for group in doc["groups"]:
        for rule in group["rules"]:
            if rule["alert"] == alert:
                if change == "never":
                    rule["expr"] = "vector(1) == 0"
                else:
                    rule["for"] = "0s"
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    shutil.copy(PROMETHEUS / "alerts_test.yml", tmp_path / "alerts_test.yml")
    return promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)


@pytest.mark.parametrize("alert", sorted(rule_expressions()))
def test_the_unit_tests_catch_a_broken_alert(tmp_path: Path, alert: str) -> None:
    """An alert that never fires, or fires before its `for:`, fails promtool test rules."""
    for change in ("never", "no-for"):
        result = _mutated(tmp_path, alert, change)
        assert result.returncode != 0, f"{alert} with {change}: the tests still pass"
        assert alert in result.stdout + result.stderr


HOSTFILE = """\
# rack 1
gpu-01:9090
gpu-02            # default port 9090
10.0.0.7:10001
[fd00::7]:9100
https://gateway.example.com/nodes/gpu-03/metrics
not a host!
gpu-01:9090       # listed twice: kept once
"""


def test_hostfile_to_file_sd(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(HOSTFILE, encoding="utf-8")
    out = subprocess.run([sys.executable, str(CONVERTER), str(hosts), "--label", "cluster=a"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "not a host!" in out.stderr  # skipped lines are reported, as the view does
    groups = json.loads(out.stdout)
    assert groups == [
        {"targets": ["gpu-01:9090", "gpu-02:9090", "10.0.0.7:10001", "[fd00::7]:9100"],
         "labels": {"cluster": "a"}},
        {"targets": ["gateway.example.com:443"],
         "labels": {"cluster": "a", "__scheme__": "https",
                    "__metrics_path__": "/nodes/gpu-03/metrics"}},
    ]
    # and Prometheus accepts it as a file_sd file of prometheus.yml
    config_dir = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, config_dir, ignore=shutil.ignore_patterns("*.json"))
    (config_dir / "targets").mkdir(exist_ok=True)
    written = config_dir / "targets" / "allsmi.json"
    out = subprocess.run([sys.executable, str(CONVERTER), str(hosts), "-o", str(written)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert written.stat().st_mode & 0o044 == 0o044  # readable by a `prometheus` user
    assert [p.name for p in (config_dir / "targets").iterdir() if p.suffix != ""] == [
        "allsmi.json"]  # no temporary file left behind
    result = promtool("check", "config", str(config_dir / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    written.write_text('[{"targets": ["a:1"], "labels": {"bad-label": "x"}}]', "utf-8")
    assert promtool("check", "config", str(config_dir / "prometheus.yml")).returncode != 0


def test_hostfile_without_hosts_is_an_error(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# nothing yet\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(CONVERTER), str(hosts)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "no valid host" in out.stderr and not out.stdout


def test_the_example_file_sd_is_valid(tmp_path: Path) -> None:
    config_dir = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, config_dir, ignore=shutil.ignore_patterns("*.json"))
    (config_dir / "targets").mkdir(exist_ok=True)
    shutil.copy(PROMETHEUS / "file_sd.example.json", config_dir / "targets" / "example.json")
    result = promtool("check", "config", str(config_dir / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
