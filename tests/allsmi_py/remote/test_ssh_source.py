"""The SSH source against real OpenSSH servers on loopback (ssh_server.py)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from allsmi_py.remote.ssh_source import NO_HOST_KEY_CHECK, UNSUPPORTED, SshSource
from tests.allsmi_py.remote.ssh_fixtures import (
    Hosts,
    options,
    read_one,
    trusting,
)
from tests.allsmi_py.remote.ssh_server import (
    SKIP_REASON,
    SSH_KEYGEN,
    keygen,
    sshd_available,
)

pytestmark = pytest.mark.skipif(not sshd_available(), reason=SKIP_REASON)


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
    opts = options(trusting(tmp_path, *servers), user_key, command_timeout_s=2.0)
    async with SshSource([s.spec for s in servers], options=opts) as source:
        nodes = (await source.poll_once()).nodes
    assert [n.status.state for n in nodes] == ["ok", "timeout", "ok"]
    assert nodes[1].status.error == "no answer within 2 s"


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
