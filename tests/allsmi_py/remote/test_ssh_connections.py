"""The SSH source's connections against real sshd servers: reuse, loss, backoff, limits."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from allsmi_py.model import ClusterNode
from allsmi_py.remote.ssh_hosts import SshTarget
from allsmi_py.remote.ssh_source import SshSource
from tests.allsmi_py.remote.ssh_fixtures import (
    Hosts,
    options,
    read_one,
    read_one_spec,
    start_host,
    trusting,
)
from tests.allsmi_py.remote.ssh_server import (
    SKIP_REASON,
    free_port,
    sshd_available,
)

pytestmark = pytest.mark.skipif(not sshd_available(), reason=SKIP_REASON)


async def test_one_connection_per_host_across_rounds(user_key: Path, tmp_path: Path) -> None:
    servers = []
    for name, mode in (("a", "allsmi"), ("b", "nvidia-smi")):
        (tmp_path / name).mkdir()
        servers.append(start_host(tmp_path / name, mode, user_key))
    try:
        opts = options(trusting(tmp_path, *servers), user_key)
        async with SshSource([s.spec for s in servers], options=opts) as source:
            for _ in range(3):
                states = [n.status.state for n in (await source.poll_once()).nodes]
                assert states == ["ok", "ok"]
            assert source.reader.connections_opened == 2
        assert [s.logins() for s in servers] == [1, 1]
    finally:
        for server in servers:
            server.stop()


async def test_a_lost_connection_is_opened_again(hosts: Hosts, user_key: Path,
                                                 tmp_path: Path) -> None:
    server = hosts("allsmi")
    async with SshSource([server.spec], options=options(trusting(tmp_path, server),
                                                        user_key)) as source:
        assert (await source.poll_once()).nodes[0].is_live
        for host in source.reader._hosts.values():
            assert host.connection is not None
            host.connection.close()
            await host.connection.wait_closed()
        assert (await source.poll_once()).nodes[0].is_live
        assert source.reader.connections_opened == 2


async def test_live_reads_each_host_on_its_own(hosts: Hosts, user_key: Path,
                                               tmp_path: Path) -> None:
    servers = [hosts("allsmi"), hosts("rocm-smi")]
    opts = options(trusting(tmp_path, *servers), user_key)
    async with SshSource([s.spec for s in servers], options=opts) as source:
        # An interval long enough that no second read is due (or overdue) when we look.
        task = asyncio.create_task(source.live(30.0))
        try:
            while not source.settled:
                await asyncio.sleep(0.02)
            picture = source.current()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert picture is not None
    assert [(n.status.state, n.status.source) for n in picture.nodes] == [
        ("ok", "ssh:allsmi"), ("ok", "ssh:rocm-smi")]


async def test_a_closed_port_is_unreachable_and_not_retried_at_once(user_key: Path,
                                                                    tmp_path: Path) -> None:
    port = free_port()
    opts = options(tmp_path / "known_hosts", user_key)
    async with SshSource([f"ops@127.0.0.1:{port}"], options=opts) as source:
        first = (await source.poll_once()).nodes[0].status
        host = next(iter(source.reader._hosts.values()))
        attempts = host.failures
        second = (await source.poll_once()).nodes[0].status
        assert host.failures == attempts == 1  # the second round waited out the backoff
    assert first.state == second.state == "unreachable"
    assert first.error is not None and first.error.startswith("cannot connect")


async def test_a_server_that_never_speaks_ssh_is_a_login_timeout(user_key: Path,
                                                                 tmp_path: Path) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        opts = options(tmp_path / "known_hosts", user_key, connect_timeout_s=0.5)
        status, _ = await read_one_spec(f"ops@127.0.0.1:{port}", opts)
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    assert (status.state, status.error) == ("timeout", "no ssh login within 0.5 s")
    assert len(accepted) == 1


def test_asyncssh_logs_nothing_below_warning() -> None:
    import logging

    assert logging.getLogger("asyncssh").getEffectiveLevel() >= logging.WARNING


async def test_a_changed_hostfile_adds_and_drops_hosts(hosts: Hosts, user_key: Path,
                                                       tmp_path: Path) -> None:
    first, second = hosts("allsmi"), hosts("rocm-smi")
    hostfile = tmp_path / "ssh_hosts"
    hostfile.write_text(f"{first.spec}\n")
    opts = options(trusting(tmp_path, first, second), user_key)
    async with SshSource([], str(hostfile), options=opts) as source:
        assert [n.status.source for n in (await source.poll_once()).nodes] == ["ssh:allsmi"]
        hostfile.write_text(f"# moved\n{second.spec}\n")
        assert [n.status.source for n in (await source.poll_once()).nodes] == ["ssh:rocm-smi"]
        assert len(source.reader._hosts) == 1  # the dropped host's connection is closed


def _descendants(pid: int) -> list[int]:
    """Every process under `pid` (here: the sshd children serving our connection)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


async def test_a_connection_that_stops_answering_is_replaced(user_key: Path,
                                                             tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    server = start_host(tmp_path / "s", "allsmi", user_key)
    try:
        opts = options(trusting(tmp_path, server), user_key, command_timeout_s=2.0)
        async with SshSource([server.spec], options=opts) as source:
            assert (await source.poll_once()).nodes[0].is_live
            assert server.process is not None
            frozen = _descendants(server.process.pid)
            assert frozen  # the processes sshd forked for our connection
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            try:
                status = (await source.poll_once()).nodes[0].status
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            assert (status.state, status.error) == ("timeout", "no answer within 2 s")
            assert (await source.poll_once()).nodes[0].is_live
            assert source.reader.connections_opened == 2
            frozen = _descendants(server.process.pid)
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            try:
                await source.close()  # returns although the host never says goodbye
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None,
                    reason="ssh-agent and ssh-add are needed (Debian: openssh-client)")
async def test_a_key_held_by_ssh_agent_logs_in(hosts: Hosts, user_key: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    server = hosts("allsmi")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen([str(shutil.which("ssh-agent")), "-D", "-a", str(sock)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if sock.exists():
                break
            await asyncio.sleep(0.02)
        env = {"SSH_AUTH_SOCK": str(sock), "PATH": os.environ.get("PATH", "")}
        subprocess.run([str(shutil.which("ssh-add")), "-q", str(user_key)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_*: only the agent has a key
        opts = options(trusting(tmp_path, server), user_key, keys=(), use_agent=True)
        status, _ = await read_one(server, opts)
    finally:
        agent.terminate()
        agent.wait(timeout=5)
    assert status.state == "ok", status.error


async def test_no_more_hosts_are_read_at_once_than_the_concurrency(
        hosts: Hosts, user_key: Path, tmp_path: Path) -> None:
    servers = [hosts("allsmi"), hosts("nvidia-smi"), hosts("rocm-smi")]
    opts = options(trusting(tmp_path, *servers), user_key)
    async with SshSource([s.spec for s in servers], options=opts, concurrency=2) as source:
        fetch, in_flight, most = source.reader.fetch, [0], [0]

        async def counted(target: SshTarget) -> ClusterNode:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            try:
                return await fetch(target)
            finally:
                in_flight[0] -= 1

        source.reader.fetch = counted  # type: ignore[method-assign]
        nodes = (await source.poll_once()).nodes
    assert [n.status.state for n in nodes] == ["ok", "ok", "ok"]
    assert most[0] == 2


@pytest.mark.parametrize(("content", "reason"), [
    (b"[127.0.0.1]:22 ssh-ed25519 AAAA\xff\xfe\n", "not UTF-8 text"),
])
async def test_an_unreadable_known_hosts_is_one_line_without_its_content(
        user_key: Path, tmp_path: Path, content: bytes, reason: str) -> None:
    known = tmp_path / "known_hosts"
    known.write_bytes(content)
    status, _ = await read_one_spec(f"ops@127.0.0.1:{free_port()}", options(known, user_key))
    assert (status.state, status.error) == ("unreachable", f"cannot read {known}: {reason}")
