"""A process's container and pod from the text of its /proc/<pid>/cgroup: a pure parser.

Each line is `hierarchy-id:controllers:path` (cgroup v1: one per hierarchy; v2: `0::/path`).
The container runtimes name the cgroups they make (the formats and their sources are in
tests/fixtures/cgroup/README.md):

- systemd driver: a scope `<prefix>-<64 hex>.scope`, prefix docker, cri-containerd, crio or
  libpod; `crio-conmon-` and `libpod-conmon-` scopes hold the runtime's monitor, not the
  container;
- cgroupfs driver: `crio-<id>` and `libpod-<id>` folders (CRI-O, Podman's `libpod_parent/`),
  or a folder named by the bare id under `docker/`, containerd's namespace (`k8s.io/`,
  `containerd/`) or a kubelet pod folder;
- LXC: `lxc/<name>`, `lxc.payload/<name>` (LXC 3) or `lxc.payload.<name>` (LXC 4 and LXD);
- the kubelet: `kubepods[-<qos>]-pod<uid with _>.slice` (systemd) or `kubepods[/<qos>]/pod<uid>`
  (cgroupfs); guaranteed pods sit right under kubepods, without a QoS level.

The innermost container wins (docker in docker names the inner one).
"""

from __future__ import annotations

import re

from allsmi_py.model_workload import WorkloadReading

MAX_LINES = 128
MAX_LINE_CHARS = 4096
MAX_TEXT_CHARS = MAX_LINES * MAX_LINE_CHARS

_HEX64 = r"[0-9a-f]{64}"
_UUID = r"[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}"
_SCOPE = re.compile(rf"(docker|cri-containerd|crio|libpod)-({_HEX64})(?:\.scope)?")
_SCOPE_RUNTIMES = {"docker": "docker", "cri-containerd": "containerd", "crio": "cri-o",
                   "libpod": "podman"}
_BARE_ID = re.compile(_HEX64)
# The folder above a bare id, for the runtimes that use the cgroupfs driver.
_BARE_PARENTS = {"docker": "docker", "k8s.io": "containerd", "containerd": "containerd"}
_SYSTEMD_POD = re.compile(rf"kubepods(?:-burstable|-besteffort)?-pod({_UUID})\.slice")
_CGROUPFS_POD = re.compile(rf"pod({_UUID})")
_LXC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CONTROLLER_TEXT = re.compile(r"[a-z0-9_,=.-]*")


def parse_cgroup(text: str) -> WorkloadReading | None:
    """The container and pod a process's cgroup file names; None for one in no container."""
    paths: list[str] = []
    for number, line in enumerate(text[:MAX_TEXT_CHARS].splitlines()):
        if number >= MAX_LINES:
            break
        path = _line_path(line)
        if path is not None and path not in paths:
            paths.append(path)
    best: WorkloadReading | None = None
    for path in paths:
        found = parse_cgroup_path(path)
        if found is not None and _score(found) > (_score(best) if best else 0):
            best = found
    return best


def parse_cgroup_path(path: str) -> WorkloadReading | None:
    """The container and pod one cgroup path names (`/kubepods.slice/...`), or None."""
    runtime: str | None = None
    container_id: str | None = None
    pod_uid: str | None = None
    under_kubepods = False
    previous = ""
    for segment in path.split("/"):
        # Seen from a cgroup namespace, a host process's path climbs out with `..` and may
        # start below kubepods (`/../besteffort/pod<uid>/...`).
        if segment.startswith("kubepods") or segment in ("..", "burstable", "besteffort"):
            under_kubepods = True
        pod = _SYSTEMD_POD.fullmatch(segment)
        if pod is None and under_kubepods:
            pod = _CGROUPFS_POD.fullmatch(segment)
        if pod is not None:
            pod_uid = pod.group(1).replace("_", "-")
        elif (scope := _SCOPE.fullmatch(segment)) is not None:
            runtime, container_id = _SCOPE_RUNTIMES[scope.group(1)], scope.group(2)
        elif _BARE_ID.fullmatch(segment) and (previous in _BARE_PARENTS or pod_uid):
            # Under a kubelet pod folder (cgroupfs driver) the path does not say which runtime.
            runtime, container_id = _BARE_PARENTS.get(previous), segment
        elif (name := _lxc_name(previous, segment)) is not None:
            runtime, container_id = "lxc", name
        previous = segment
    if container_id is None and pod_uid is None:
        return None
    return WorkloadReading(runtime=runtime, container_id=container_id, pod_uid=pod_uid)


def _line_path(line: str) -> str | None:
    if len(line) > MAX_LINE_CHARS:
        return None
    parts = line.split(":", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not _CONTROLLER_TEXT.fullmatch(parts[1]):
        return None
    path = parts[2]
    return path if path.startswith("/") and path != "/" else None


def _lxc_name(previous: str, segment: str) -> str | None:
    if previous in ("lxc", "lxc.payload"):
        name = segment
    elif segment.startswith("lxc.payload."):
        name = segment[len("lxc.payload."):]
    else:
        return None
    return name if _LXC_NAME.fullmatch(name) else None


def _score(workload: WorkloadReading) -> int:
    return (2 if workload.container_id else 0) + (1 if workload.pod_uid else 0)
