"""Helpers shared by the SSH source's test modules (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from allsmi_py.model import NodeStatus
from allsmi_py.remote.ssh_session import SshOptions
from allsmi_py.remote.ssh_source import SshSource
from tests.allsmi_py.remote.faults import node_snapshot
from tests.allsmi_py.remote.ssh_server import SshHost

Hosts = Callable[[str], SshHost]


def start_host(root: Path, mode: str, user_key: Path) -> SshHost:
    """A started sshd of `mode` under `root` whose `allsmi` prints a 2-GPU snapshot."""
    host = SshHost(root, mode, user_key)
    host.start()
    snapshot = node_snapshot("ssh-node", "h100:2")
    (root / "data" / "allsmi.json").write_text(json.dumps(snapshot.to_dict()))
    return host


def trusting(tmp_path: Path, *servers: SshHost) -> Path:
    """A known_hosts file that lists `servers`."""
    path = tmp_path / "known_hosts"
    path.write_text("".join(s.known_hosts_line() for s in servers))
    return path


def options(known_hosts: Path, user_key: Path, **changes: object) -> SshOptions:
    """Test options: this key only, no agent, short timeouts; `changes` override."""
    values: dict[str, object] = dict(
        strict_host_key="yes", known_hosts=str(known_hosts), keys=(str(user_key),),
        connect_timeout_s=5.0, command_timeout_s=2.0, max_output_bytes=200_000,
        use_agent=False)
    values.update(changes)
    return SshOptions(**values)  # type: ignore[arg-type]


async def read_one_spec(spec: str, opts: SshOptions) -> tuple[NodeStatus, int]:
    """One round over one host: its status, and its device count (-1: no snapshot)."""
    async with SshSource([spec], options=opts) as source:
        node = (await source.poll_once()).nodes[0]
    return node.status, len(node.snapshot.devices) if node.snapshot else -1


async def read_one(server: SshHost, opts: SshOptions) -> tuple[NodeStatus, int]:
    """read_one_spec of a test server."""
    return await read_one_spec(server.spec, opts)
