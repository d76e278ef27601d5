"""Real sshd servers for the SSH source's tests: one user key, one server per kind of host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.allsmi_py.remote.ssh_fixtures import Hosts, start_host
from tests.allsmi_py.remote.ssh_server import SshHost, keygen


@pytest.fixture(scope="module")
def user_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keygen(tmp_path_factory.mktemp("user") / "id_ed25519")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, user_key: Path) -> Iterator[Hosts]:
    started: dict[str, SshHost] = {}

    def get(mode: str) -> SshHost:
        if mode not in started:
            started[mode] = start_host(tmp_path_factory.mktemp(f"sshd-{mode}"), mode, user_key)
        return started[mode]

    yield get
    for host in started.values():
        host.stop()
