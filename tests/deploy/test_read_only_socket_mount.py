"""The DaemonSet mounts the kubelet's pod-resources folder read-only: the client still talks.

A read-only mount refuses writes to files, but connect(2) on a unix socket in it is allowed
(the kernel's read-only check covers regular files, folders and links, not sockets; access(2)
skips it for sockets as well, which `socket_problem` asks). Here the real client reaches a
real pod-resources gRPC server through a read-only bind mount of the server's folder, in a
mount namespace of its own (`unshare -m`), as the pod would; skipped where this test cannot
mount (not root, or no CAP_SYS_ADMIN).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.allsmi_py.workloads.pod_resources_server import GPU, MIG, node_pods, serving
from tests.prometheus_util import REPO

CANNOT_MOUNT = 77
CLIENT = """
import json, os, sys
from allsmi_py.workloads.pod_resources import PodResourcesClient, unavailable_reason
sock = sys.argv[1]
try:
    open(os.path.join(os.path.dirname(sock), "written"), "w")
    wrote = True
except OSError as exc:
    wrote = exc.strerror
client = PodResourcesClient(sock)
pods = {d: [w.pod for w in ws] for d, ws in client.list_devices().items()}
client.close()
print(json.dumps({"reason": unavailable_reason(sock), "write": wrote, "pods": pods}))
"""


def test_the_client_reads_pods_through_a_read_only_mount(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("needs root and unshare(1) to make a read-only bind mount")
    kubelet, pod_view = tmp_path / "kubelet", tmp_path / "pod-view"
    kubelet.mkdir()
    pod_view.mkdir()
    script = (f'mount --bind "{kubelet}" "{pod_view}" && '
              f'mount -o remount,bind,ro "{pod_view}" || exit {CANNOT_MOUNT}; '
              f'exec "{sys.executable}" -c "$0" "{pod_view}/kubelet.sock"')
    with serving(kubelet / "kubelet.sock", node_pods()):
        result = subprocess.run([unshare, "-m", "sh", "-c", script, CLIENT], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
    if result.returncode == CANNOT_MOUNT:
        pytest.skip(f"cannot bind-mount here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["write"] == "Read-only file system"  # the mount is read-only...
    assert answer["reason"] is None  # ...and the socket still looks usable
    assert answer["pods"][GPU[0]] == ["train-0"]  # ...and is: List answered through it
    assert answer["pods"][MIG[1]] == ["infer-7f9c"]
    assert not (kubelet / "written").exists()
