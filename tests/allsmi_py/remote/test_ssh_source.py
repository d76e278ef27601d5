"""The SSH source against real OpenSSH servers on loopback (ssh_server.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from allsmi_py.model import ClusterNode, NodeStatus
from allsmi_py.remote.ssh_hosts import SshTarget
from allsmi_py.remote.ssh_session import SshOptions
from allsmi_py.remote.ssh_source import NO_HOST_KEY_CHECK, UNSUPPORTED, SshSource
from tests.allsmi_py.remote.faults import node_snapshot
from tests.allsmi_py.remote.ssh_server import (
    SKIP_REASON,
    SSH_KEYGEN,
    SshHost,
    free_port,
    keygen,
    sshd_available,
)

pytestmark = pytest.mark.skipif(not sshd_available(), reason=SKIP_REASON)

Hosts = Callable[[str], SshHost]


@pytest.fixture(scope="module")
def user_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keygen(tmp_path_factory.mktemp("user") / "id_ed25519")


def _start(root: Path, mode: str, user_key: Path) -> SshHost:
    host = SshHost(root, mode, user_key)
    host.start()
    snapshot = node_snapshot("ssh-node", "h100:2")
    (root / "data" / "allsmi.json").write_text(json.dumps(snapshot.to_dict()))
    return host


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, user_key: Path) -> Iterator[Hosts]:
    started: dict[str, SshHost] = {}

    def get(mode: str) -> SshHost:
        if mode not in started:
            started[mode] = _start(tmp_path_factory.mktemp(f"sshd-{mode}"), mode, user_key)
        return started[mode]

    yield get
    for host in started.values():
        host.stop()


def trusting(tmp_path: Path, *servers: SshHost) -> Path:
    """A known_hosts file that lists `servers`."""
    path = tmp_path / "known_hosts"
    path.write_text("".join(s.known_hosts_line() for s in servers))
    return path


def options(known_hosts: Path, user_key: Path, **changes: object) -> SshOptions:
    values: dict[str, object] = dict(
        strict_host_key="yes", known_hosts=str(known_hosts), keys=(str(user_key),),
        connect_timeout_s=5.0, command_timeout_s=2.0, max_output_bytes=200_000,
        use_agent=False)
    values.update(changes)
    return SshOptions(**values)  # type: ignore[arg-type]


async def read_one(server: SshHost, opts: SshOptions) -> tuple[NodeStatus, int]:
    async with SshSource([server.spec], options=opts) as source:
        node = (await source.poll_once()).nodes[0]
    return node.status, len(node.snapshot.devices) if node.snapshot else -1


@pytest.mark.parametrize(("mode", "source", "devices"), [
    ("allsmi", "ssh:allsmi", 2),
    ("all-smi", "ssh:all-smi", 2),
    ("nvidia-smi", "ssh:nvidia-smi", 1),
    ("rocm-smi", "ssh:rocm-smi", 2),
])
async def test_each_source_answers_and_the_row_says_which(
        hosts: Hosts, user_key: Path, tmp_path: Path, mode: str, source: str,
        devices: int) -> None:
    server = hosts(mode)
    status, count = await read_one(server, options(trusting(tmp_path, server), user_key))
    assert (status.state, status.source, count) == ("ok", source, devices), status.error


async def test_nvidia_smi_values_come_through(hosts: Hosts, user_key: Path,
                                              tmp_path: Path) -> None:
    server = hosts("nvidia-smi")
    async with SshSource([server.spec], options=options(trusting(tmp_path, server),
                                                        user_key)) as source:
        snapshot = (await source.poll_once()).nodes[0].snapshot
    assert snapshot is not None and snapshot.hostname == "127.0.0.1"
    device = snapshot.devices[0]
    assert (device.name, device.utilization_pct, device.memory_total_bytes, device.power_w) == (
        "NVIDIA H100 80GB HBM3", 100.0, 81559 << 20, 631.95)


async def test_a_host_with_none_of_the_tools_is_unsupported(hosts: Hosts, user_key: Path,
                                                            tmp_path: Path) -> None:
    server = hosts("none")
    status, _ = await read_one(server, options(trusting(tmp_path, server), user_key))
    assert status.state == UNSUPPORTED
    assert status.error is not None
    assert "allsmi: not found" in status.error and "rocm-smi: not found" in status.error


def _key_texts(*paths: Path) -> list[str]:
    """Every base64 blob of the given key files, and each decoded blob's hex."""
    texts = []
    for path in paths:
        for word in path.read_text().split():
            if len(word) > 40:
                texts.append(word)
                try:
                    texts.append(base64.b64decode(word + "==").hex())
                except ValueError:
                    pass
    return texts


async def test_a_changed_host_key_is_refused_with_a_clear_line(
        hosts: Hosts, user_key: Path, tmp_path: Path) -> None:
    server = hosts("allsmi")
    other = keygen(tmp_path / "other_host_key")
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} "
                     + " ".join(Path(f"{other}.pub").read_text().split()[:2]) + "\n")
    status, _ = await read_one(server, options(known, user_key))
    assert status.state == "unreachable"
    assert status.error is not None
    assert status.error.startswith(f"host key for {server.spec} changed")
    assert "ssh-keygen -R" in status.error
    for secret in _key_texts(Path(f"{other}.pub"), server.root / "host_key.pub",
                             server.root / "host_key", user_key):
        assert secret not in status.error


async def test_an_unknown_host_key_is_refused_under_yes(hosts: Hosts, user_key: Path,
                                                        tmp_path: Path) -> None:
    server = hosts("allsmi")
    status, _ = await read_one(server, options(tmp_path / "absent_known_hosts", user_key))
    assert status.state == "unreachable"
    assert status.error is not None
    assert status.error.startswith(f"host key for {server.spec} unknown")


async def test_accept_new_adds_the_key_then_yes_trusts_it(hosts: Hosts, user_key: Path,
                                                          tmp_path: Path) -> None:
    server = hosts("allsmi")
    known = tmp_path / "ssh" / "known_hosts"
    status, _ = await read_one(server, options(known, user_key, strict_host_key="accept-new"))
    assert status.state == "ok", status.error
    assert known.read_text() == server.known_hosts_line()
    assert known.stat().st_mode & 0o077 == 0
    status, _ = await read_one(server, options(known, user_key))
    assert status.state == "ok", status.error


async def test_accept_new_still_refuses_a_changed_key(hosts: Hosts, user_key: Path,
                                                      tmp_path: Path) -> None:
    server, other = hosts("allsmi"), hosts("garbage")
    known = tmp_path / "known_hosts"
    known.write_text(other.known_hosts_line().replace(str(other.port), str(server.port)))
    status, _ = await read_one(server, options(known, user_key, strict_host_key="accept-new"))
    assert status.state == "unreachable"
    assert status.error is not None and "changed" in status.error
    assert known.read_text().count("\n") == 1  # nothing was added


async def test_no_accepts_any_key_and_says_so(hosts: Hosts, user_key: Path,
                                              tmp_path: Path) -> None:
    server = hosts("allsmi")
    opts = options(tmp_path / "absent", user_key, strict_host_key="no")
    async with SshSource([server.spec], options=opts) as source:
        node = (await source.poll_once()).nodes[0]
        assert source.problems == (NO_HOST_KEY_CHECK,)
    assert node.status.state == "ok", node.status.error
    assert not (tmp_path / "absent").exists()


async def test_a_host_that_hangs_after_login_times_out_and_the_rest_stay_live(
        hosts: Hosts, user_key: Path, tmp_path: Path) -> None:
    servers = [hosts("allsmi"), hosts("hang"), hosts("nvidia-smi")]
    opts = options(trusting(tmp_path, *servers), user_key, command_timeout_s=1.0)
    async with SshSource([s.spec for s in servers], options=opts) as source:
        nodes = (await source.poll_once()).nodes
    assert [n.status.state for n in nodes] == ["ok", "timeout", "ok"]
    assert nodes[1].status.error == "no answer within 1 s"


async def test_huge_output_is_cut_at_the_cap(hosts: Hosts, user_key: Path,
                                             tmp_path: Path) -> None:
    server = hosts("huge")
    status, count = await read_one(server, options(trusting(tmp_path, server), user_key,
                                                   max_output_bytes=100_000))
    assert (status.state, count) == ("too_large", -1)
    assert status.error == "ssh:allsmi: output exceeds 100000 bytes"


async def test_garbage_output_is_bad_payload(hosts: Hosts, user_key: Path,
                                             tmp_path: Path) -> None:
    server = hosts("garbage")
    status, _ = await read_one(server, options(trusting(tmp_path, server), user_key))
    assert status.state == "bad_payload"
    assert status.error == "ssh:allsmi: not an allsmi-py snapshot"


async def test_one_connection_per_host_across_rounds(user_key: Path, tmp_path: Path) -> None:
    servers = []
    for name, mode in (("a", "allsmi"), ("b", "nvidia-smi")):
        (tmp_path / name).mkdir()
        servers.append(_start(tmp_path / name, mode, user_key))
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
        task = asyncio.create_task(source.live(0.2))
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


async def test_an_encrypted_key_without_an_agent_is_one_line_without_key_bytes(
        hosts: Hosts, tmp_path: Path) -> None:
    server = hosts("allsmi")
    key = tmp_path / "locked"
    assert SSH_KEYGEN is not None
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "sesame-passphrase", "-C", "",
                    "-f", str(key)], check=True)
    status, _ = await read_one(server, options(trusting(tmp_path, server), key))
    assert status.state == "unreachable"
    assert status.error is not None and "\n" not in status.error
    assert "sesame-passphrase" not in status.error
    for secret in _key_texts(key, Path(f"{key}.pub")):
        assert secret not in status.error


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


async def read_one_spec(spec: str, opts: SshOptions) -> tuple[NodeStatus, int]:
    async with SshSource([spec], options=opts) as source:
        node = (await source.poll_once()).nodes[0]
    return node.status, len(node.snapshot.devices) if node.snapshot else -1


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
    server = _start(tmp_path / "s", "allsmi", user_key)
    try:
        opts = options(trusting(tmp_path, server), user_key, command_timeout_s=1.0)
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
            assert (status.state, status.error) == ("timeout", "no answer within 1 s")
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
