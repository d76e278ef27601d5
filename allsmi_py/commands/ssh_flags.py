"""The `--ssh` flags of `allsmi view` and `allsmi snapshot`: hosts read over SSH, no agent."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.remote.ssh_names import HOST_KEY_REFUSED, STRICT_MODES
from allsmi_py.settings import flag_type

if TYPE_CHECKING:
    from allsmi_py.commands.snapshot_samples import Samples
    from allsmi_py.model import ClusterSnapshot
    from allsmi_py.remote.ssh_source import SshSource



def add_ssh_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--ssh, --ssh-hostfile, --ssh-key, --ssh-known-hosts, --ssh-strict-host-key, limits."""
    parser.add_argument("--ssh", action="extend", nargs="+", default=None,
                        metavar="USER@HOST[:PORT]",
                        help="read these hosts over SSH, no agent needed on them: each runs "
                             "allsmi, all-smi, nvidia-smi or rocm-smi, whichever it has; "
                             "comma- or space-separated, repeatable")
    parser.add_argument("--ssh-hostfile", default=None, metavar="FILE",
                        help="file with one user@host[:port] per line (# comments), "
                             "re-read when it changes")
    parser.add_argument("--ssh-key", action="append", default=None, metavar="FILE",
                        help="private key to log in with (repeatable; default: ssh-agent, "
                             "then ~/.ssh/id_*); passwords and passphrases are never asked")
    parser.add_argument("--ssh-known-hosts", default=None, metavar="FILE",
                        help="known_hosts file (default: config view.ssh_known_hosts, "
                             "~/.ssh/known_hosts)")
    parser.add_argument("--ssh-strict-host-key", choices=STRICT_MODES, default="yes",
                        help="yes: only host keys known_hosts has (default); accept-new: add "
                             "unknown hosts' keys, refuse changed ones; no: accept any key")
    parser.add_argument("--ssh-connect-timeout", type=flag_type("view.ssh_connect_timeout_s"),
                        default=None, metavar="SECONDS",
                        help="seconds to connect and log in (default: config "
                             "view.ssh_connect_timeout_s, 10)")
    parser.add_argument("--ssh-concurrency", type=flag_type("view.ssh_concurrency"),
                        default=None, metavar="N",
                        help="hosts read at once (default: config view.ssh_concurrency, 32)")


def wants_ssh(args: argparse.Namespace) -> bool:
    """True when the command line names SSH hosts."""
    return bool(args.ssh or args.ssh_hostfile)


def refuse_other_sources(args: argparse.Namespace, *others: str) -> None:
    """UsageError when --ssh comes with another source of nodes (`others` are dest names)."""
    given = [f"--{name.replace('_', '-')}" for name in others if getattr(args, name, None)]
    if given:
        raise UsageError(f"--ssh/--ssh-hostfile read the nodes over SSH; give them without "
                         f"{'/'.join(given)}")


def ssh_source(args: argparse.Namespace, config: Config, timeout_s: float) -> SshSource:
    """The SshSource the flags ask for; `timeout_s` bounds each command on a host."""
    from allsmi_py.remote.ssh_session import SshOptions
    from allsmi_py.remote.ssh_source import SshSource

    known = args.ssh_known_hosts or str(config.get("view", "ssh_known_hosts")
                                        or "~/.ssh/known_hosts")
    options = SshOptions(
        strict_host_key=args.ssh_strict_host_key, known_hosts=known,
        keys=tuple(args.ssh_key or ()),
        connect_timeout_s=float(config.value("view", "ssh_connect_timeout_s",
                                             args.ssh_connect_timeout)),
        command_timeout_s=timeout_s,
        max_output_bytes=int(config.get("view", "max_body_bytes")))
    return SshSource(args.ssh or (), args.ssh_hostfile, options=options,
                     concurrency=int(config.value("view", "ssh_concurrency",
                                                  args.ssh_concurrency)))


def take_ssh_samples(source: SshSource, render: Callable[[ClusterSnapshot], str], count: int,
                     interval_s: float) -> Samples:
    """`count` rounds over the SSH hosts on the same connections; a refused host key is one
    stderr line."""
    from allsmi_py.commands.snapshot_samples import Samples

    samples = Samples()

    async def rounds() -> None:
        loop = asyncio.get_running_loop()
        async with source:
            for problem in source.problems:
                print(f"allsmi: warning: {problem}", file=sys.stderr)
            start = loop.time()
            for i in range(count):
                if i:
                    await asyncio.sleep(max(0.0, start + i * interval_s - loop.time()))
                cluster = await source.poll_once()
                if i == 0:
                    for node in cluster.nodes:
                        error = node.status.error or ""
                        if error.startswith(HOST_KEY_REFUSED):
                            print(f"allsmi: error: {error}", file=sys.stderr)
                samples.pieces.append(render(cluster))

    try:
        asyncio.run(rounds())
    except KeyboardInterrupt:
        samples.interrupted = True
    return samples
