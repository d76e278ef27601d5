"""What keeping one SSH connection per host saves: rounds on kept connections vs a new login each.

Run: .venv/bin/python tests/benchmarks/bench_ssh_source.py [--hosts 8] [--rounds 10]

Starts `--hosts` real sshd servers on loopback (tests/allsmi_py/remote/ssh_server.py, mode
"allsmi": each prints a 2-GPU snapshot) and reads them as `allsmi view --ssh` does, in the
same run two ways:
- "kept": one SshSource, `--rounds` rounds (the first one logs in, the rest reuse);
- "new login": a new SshSource per round, as a tool that runs `ssh host cmd` each round would.
It prints wall time per round and the client's CPU time per round for both, and their ratio.
Skips (exit 0, one line) when sshd is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from allsmi_py.remote.ssh_session import SshOptions  # noqa: E402
from allsmi_py.remote.ssh_source import SshSource  # noqa: E402
from tests.allsmi_py.remote.faults import node_snapshot  # noqa: E402
from tests.allsmi_py.remote.ssh_server import SshHost, keygen, sshd_available  # noqa: E402


async def _rounds(specs: list[str], opts: SshOptions, rounds: int,
                  kept: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per round, the first (login) round excluded when kept."""
    if kept:
        async with SshSource(specs, options=opts) as source:
            await source.poll_once()
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(rounds):
                assert all(n.is_live for n in (await source.poll_once()).nodes)
            return (time.perf_counter() - wall) / rounds, (time.process_time() - cpu) / rounds
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        async with SshSource(specs, options=opts) as source:
            assert all(n.is_live for n in (await source.poll_once()).nodes)
    return (time.perf_counter() - wall) / rounds, (time.process_time() - cpu) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    if not sshd_available():
        print("skipped: sshd is not installed (Debian: apt-get install openssh-server)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = keygen(root / "id_ed25519")
        servers = []
        try:
            for i in range(args.hosts):
                (root / f"h{i}").mkdir()
                server = SshHost(root / f"h{i}", "allsmi", key)
                server.start()
                servers.append(server)
                body = json.dumps(node_snapshot(f"n{i}", "h100:2").to_dict())
                (server.root / "data" / "allsmi.json").write_text(body)
            known = root / "known_hosts"
            known.write_text("".join(s.known_hosts_line() for s in servers))
            opts = SshOptions(known_hosts=str(known), keys=(str(key),), use_agent=False)
            specs = [s.spec for s in servers]
            kept = asyncio.run(_rounds(specs, opts, args.rounds, kept=True))
            fresh = asyncio.run(_rounds(specs, opts, args.rounds, kept=False))
        finally:
            for server in servers:
                server.stop()
    print(f"{args.hosts} hosts, {args.rounds} rounds each")
    print(f"{'way':<12}{'wall ms/round':>16}{'client CPU ms/round':>22}")
    for name, (wall, cpu) in (("kept", kept), ("new login", fresh)):
        print(f"{name:<12}{wall * 1000:>16.1f}{cpu * 1000:>22.1f}")
    print(f"{'ratio':<12}{fresh[0] / kept[0]:>15.1f}x{fresh[1] / max(kept[1], 1e-9):>21.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
