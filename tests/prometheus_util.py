"""Helpers for tests that run `allsmi api` or a real Prometheus server as subprocesses.

Shared by the exporter tests and the dashboards tests: `free_port()`, `run_api(...)` and
`prometheus_server(...)` (skips the test, with the reason, when `prometheus` is missing);
`build_history_tsdb(...)` and `prometheus_on_tsdb(...)` serve an `allsmi-mock history` file.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS_MISSING = ("prometheus is not installed (Debian package 'prometheus'; "
                      ".ci/run installs it)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float = 20.0, proc: subprocess.Popen[bytes] | None = None,
              ok: Sequence[int] = (200,)) -> httpx.Response:
    """Poll `url` until it answers with a status in `ok`; fail when `proc` exits first."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"process exited with {proc.returncode} before {url}: {out}")
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code in ok:
                return response
            last = response.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"{url} not answering after {timeout_s} s (last: {last!r})")


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for a child `allsmi`: no user config file, no ALLSMI_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLSMI_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".local" / "state"), PYTHONUNBUFFERED="1")
    return env


@dataclass
class ApiProcess:
    """A running `allsmi api` child."""

    proc: subprocess.Popen[bytes]
    url: str
    port: int


@contextmanager
def run_api(args: Sequence[str], home: Path, port: int | None = None,
            wait_path: str | None = "/healthz") -> Iterator[ApiProcess]:
    """Start `allsmi api --bind 127.0.0.1 --port P ARGS`, wait for `wait_path`, stop it after."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "allsmi_py", "api", "--bind", "127.0.0.1", "--port", str(port),
           *args]
    proc = subprocess.Popen(cmd, cwd=REPO, env=isolated_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        if wait_path is not None:
            wait_http(url + wait_path, proc=proc)
        yield ApiProcess(proc, url, port)
    finally:
        stop_child(proc)


def stop_child(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a test's child process (kill it after 10 s) and close its pipes."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


@contextmanager
def prometheus_server(targets: Sequence[str], workdir: Path, scrape_interval: str = "1s",
                      extra_config: str = "") -> Iterator[str]:
    """A real Prometheus on loopback scraping `targets` (host:port, honor_labels); yields its URL.

    `extra_config` is appended to prometheus.yml (e.g. a `rule_files:` section).
    """
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip(PROMETHEUS_MISSING)
    port = free_port()
    config = workdir / "prometheus.yml"
    target_list = ", ".join(f'"{t}"' for t in targets)
    config.write_text(
        f"global:\n  scrape_interval: {scrape_interval}\n  evaluation_interval: {scrape_interval}\n"
        "scrape_configs:\n  - job_name: allsmi\n    honor_labels: true\n"
        f"    static_configs:\n      - targets: [{target_list}]\n" + extra_config)
    storage = workdir / "prometheus-data"
    storage.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={storage}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/-/ready", timeout_s=30.0, proc=proc)
        yield url
    finally:
        stop_child(proc)


def query_until(prometheus_url: str, promql: str, count: int,
                timeout_s: float = 20.0) -> list[dict[str, object]]:
    """Instant-query `promql` until it returns `count` series (or time runs out); the series."""
    deadline = time.monotonic() + timeout_s
    result: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        response = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": promql},
                             timeout=5.0)
        body = response.json()
        if body.get("status") == "success":
            result = body["data"]["result"]
            if len(result) >= count:
                return result
        time.sleep(0.25)
    return result


def build_history_tsdb(history_file: Path, data_dir: Path) -> float:
    """`promtool tsdb create-blocks-from openmetrics` of `history_file` into `data_dir`;
    the seconds it took. Skips the test when promtool is missing."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(PROMETHEUS_MISSING)
    started = time.monotonic()
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                           str(history_file), str(data_dir)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"promtool failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.monotonic() - started


@contextmanager
def prometheus_on_tsdb(data_dir: Path, workdir: Path, attempts: int = 3) -> Iterator[str]:
    """A real Prometheus on loopback serving the blocks in `data_dir` and scraping nothing;
    yields its URL. Retention is a century, so blocks of a fixed past stay loaded; a port
    taken between choosing it and binding it is tried again with another."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip(PROMETHEUS_MISSING)
    config = workdir / "prometheus-tsdb.yml"
    config.write_text("global:\n  scrape_interval: 15s\nscrape_configs: []\n")
    for attempt in range(attempts):
        port = free_port()
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
             "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir)
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_http(url + "/-/ready", timeout_s=60.0, proc=proc)
            except AssertionError as exc:
                if "address already in use" in str(exc) and attempt + 1 < attempts:
                    continue
                raise
            yield url
            return
        finally:
            stop_child(proc)
