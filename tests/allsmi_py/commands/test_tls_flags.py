"""--ca-file, view.ca_file and --insecure against a real loopback HTTPS node (issue 15)."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from allsmi_py.cli import main
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.remote.tls import INSECURE_WARNING
from tests.allsmi_py.remote.faults import node_snapshot
from tests.hostile.raw_clients import openssl_available, self_signed_cert


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URL, CA file) of an HTTPS node serving /metrics with a certificate no system trusts."""
    if not openssl_available():
        pytest.skip("openssl CLI not installed")
    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    body = render_prometheus(node_snapshot("tls-node", "h100:2")).encode()

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    loop = asyncio.new_event_loop()
    ports: list[int] = []
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        loop.run_until_complete(site.start())
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"https://127.0.0.1:{ports[0]}", cert
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def _node(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], str]:
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert len(doc["nodes"]) == 1
    node: dict[str, object] = doc["nodes"][0]
    return node, captured.err


def test_private_ca_without_ca_file_is_a_tls_error(
        tls_node: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = tls_node
    assert main(["snapshot", "--hosts", url, "--timeout", "3", "--compact"]) == 0
    node, _ = _node(capsys)
    assert node["state"] == "unreachable"
    assert "TLS certificate not trusted" in str(node["error"])
    assert "--ca-file" in str(node["error"])


def test_ca_file_flag_and_config_trust_the_node(
        tls_node: tuple[str, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, ca = tls_node
    assert main(["snapshot", "--hosts", url, "--ca-file", str(ca), "--compact"]) == 0
    node, err = _node(capsys)
    assert node["state"] == "ok" and err == ""
    monkeypatch.setenv("ALLSMI_VIEW_CA_FILE", str(ca))
    assert main(["snapshot", "--hosts", url, "--compact"]) == 0
    assert _node(capsys)[0]["state"] == "ok"


def test_insecure_skips_verification_and_warns_once(
        tls_node: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = tls_node
    assert main(["snapshot", "--hosts", url, "--insecure", "--compact"]) == 0
    node, err = _node(capsys)
    assert node["state"] == "ok"
    assert err.splitlines() == [INSECURE_WARNING]


@pytest.mark.parametrize("command", ["snapshot", "view"])
def test_missing_ca_file_is_one_line_and_exit_2(
        command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.pem"
    assert main([command, "--hosts", "https://127.0.0.1:1", "--ca-file", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "Traceback" not in err


def test_ca_file_that_is_not_pem_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    monkeypatch.setenv("ALLSMI_VIEW_CA_FILE", str(junk))
    assert main(["snapshot", "--hosts", "https://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a PEM certificate bundle" in err
