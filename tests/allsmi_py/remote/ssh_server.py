"""A real OpenSSH server on loopback for the SSH source's tests, one per kind of host.

Each `SshHost` is its own `sshd -D -e` with a temporary host key, an authorized_keys of a
temporary user key, and a ForceCommand that runs the client's command with PATH set to a
directory of fake tools (`allsmi`, `nvidia-smi`, ...) chosen by the host's `mode`. The port
is picked by binding port 0 and closing it (sshd cannot be told port 0), retried on a clash.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ssh"
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
SSH_KEYGEN = shutil.which("ssh-keygen")
SKIP_REASON = ("OpenSSH's sshd and ssh-keygen are needed (Debian: apt-get install "
               "openssh-server); .ci/run installs them")

# mode -> {tool name: shell body}; "$DATA" is the host's data directory.
MODES: dict[str, dict[str, str]] = {
    "allsmi": {"allsmi": 'exec /bin/cat "$DATA/allsmi.json"'},
    "all-smi": {"all-smi": f'exec /bin/cat "{FIXTURES}/all-smi_snapshot_schema1.json"',
                "nvidia-smi": 'echo "must not be reached"'},
    "nvidia-smi": {"allsmi": "exit 2",  # an old allsmi without `snapshot`: falls through
                   "nvidia-smi": f'exec /bin/cat "{FIXTURES}/nvidia-smi_query-gpu_h100_load.csv"'},
    "rocm-smi": {"rocm-smi": f'exec /bin/cat "{FIXTURES}/rocm-smi_mi100_rocm602.json"'},
    "none": {},
    "hang": {"allsmi": "exec /bin/sleep 30"},
    "huge": {"allsmi": "exec /usr/bin/yes 0123456789abcdef"},
    "garbage": {"allsmi": "echo '<html>not a snapshot</html>'"},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path) -> Path:
    """A new ed25519 key pair at `path` (and `path`.pub), without a passphrase."""
    assert SSH_KEYGEN is not None
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)],
                   check=True)
    return path


@dataclass
class SshHost:
    """One running sshd; `spec` is the user@127.0.0.1:port to give --ssh."""

    root: Path
    mode: str
    user_key: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "sshd.log"

    @property
    def spec(self) -> str:
        """The host as --ssh takes it."""
        return f"{getpass.getuser()}@127.0.0.1:{self.port}"

    @property
    def host_public_key(self) -> str:
        """`ssh-ed25519 AAAA...` of this server."""
        return " ".join((self.root / "host_key.pub").read_text().split()[:2])

    def known_hosts_line(self) -> str:
        """The known_hosts line that trusts this server."""
        return f"[127.0.0.1]:{self.port} {self.host_public_key}\n"

    def logins(self) -> int:
        """Logins sshd has accepted so far (one per connection)."""
        return self.log.read_text(errors="replace").count("Accepted publickey")

    def start(self) -> None:
        """Write keys, tools and config, start sshd, and wait until it accepts connections."""
        keygen(self.root / "host_key")
        bin_dir, data = self.root / "bin", self.root / "data"
        bin_dir.mkdir()
        data.mkdir(exist_ok=True)
        for tool, body in MODES[self.mode].items():
            script = bin_dir / tool
            script.write_text(f"#!/bin/sh\nDATA='{data}'\n{body}\n")
            script.chmod(0o755)
        dispatch = self.root / "dispatch"
        dispatch.write_text(f'#!/bin/sh\nPATH="{bin_dir}"\nexport PATH\n'
                            'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n')
        dispatch.chmod(0o755)
        (self.root / "authorized_keys").write_text(Path(f"{self.user_key}.pub").read_text())
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        for _ in range(5):
            self.port = free_port()
            if self._try_start():
                return
        raise RuntimeError(f"sshd did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def _try_start(self) -> bool:
        config = self.root / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1",
            f"HostKey {self.root / 'host_key'}", f"PidFile {self.root / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
            "StrictModes no", "UsePAM no", "PermitRootLogin yes",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            f"ForceCommand {self.root / 'dispatch'}", "LogLevel VERBOSE", "MaxStartups 100",
            "ClientAliveInterval 0", ""]))
        assert SSHD is not None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # the port was taken meanwhile, or a config error: see the log
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.recv(8)  # the SSH banner: sshd is serving, not just bound
                return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        """Stop sshd (sessions still open end with their connections)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def sshd_available() -> bool:
    """True when sshd and ssh-keygen are installed."""
    return SSHD is not None and SSH_KEYGEN is not None and os.name == "posix"
