"""The cluster view reading real sshd hosts (`allsmi view --ssh`): rows live, a hang stays alone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from allsmi_py.remote.ssh_session import SshOptions
from allsmi_py.remote.ssh_source import SshSource
from allsmi_py.tui.cluster_app import ClusterApp
from tests.allsmi_py.remote.faults import node_snapshot
from tests.allsmi_py.remote.ssh_server import SKIP_REASON, SshHost, keygen, sshd_available

pytestmark = pytest.mark.skipif(not sshd_available(), reason=SKIP_REASON)


@pytest.fixture()
def servers(tmp_path: Path) -> Iterator[tuple[list[SshHost], Path]]:
    key = keygen(tmp_path / "id_ed25519")
    started = []
    try:
        for name, mode in (("a", "allsmi"), ("b", "hang"), ("c", "nvidia-smi")):
            (tmp_path / name).mkdir()
            host = SshHost(tmp_path / name, mode, key)
            host.start()
            body = json.dumps(node_snapshot(f"node-{name}", "h100:2").to_dict())
            (host.root / "data" / "allsmi.json").write_text(body)
            started.append(host)
        yield started, key
    finally:
        for host in started:
            host.stop()


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not met in {seconds} s")


async def test_the_view_shows_ssh_hosts_and_times_out_the_one_that_hangs(
        servers: tuple[list[SshHost], Path], tmp_path: Path) -> None:
    hosts, key = servers
    known = tmp_path / "known_hosts"
    known.write_text("".join(h.known_hosts_line() for h in hosts))
    options = SshOptions(known_hosts=str(known), keys=(str(key),), use_agent=False,
                         command_timeout_s=1.0, connect_timeout_s=5.0)
    source = SshSource([h.spec for h in hosts], options=options)
    # Reads take ~0.1 s here: with a 2 s interval a live host is never shown slow.
    app = ClusterApp(source, interval_s=2.0, label="ssh test")

    def states() -> list[str]:
        state = app.state
        return [] if state is None else [n.status.state for n in state.cluster.nodes]

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: states() == ["ok", "timeout", "ok"])
        assert app.state is not None
        assert app.state.summary.nodes_live == 2
        assert [n.status.source for n in app.state.cluster.nodes] == [
            "ssh:allsmi", None, "ssh:nvidia-smi"]
        assert len(app.state.rows) == 3  # 2 GPUs of node-a, 1 of the nvidia-smi host
    assert source.reader.connections_opened == 3
