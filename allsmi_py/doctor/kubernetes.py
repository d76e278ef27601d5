"""The doctor's Kubernetes line: can the kubelet's pod-resources socket say who holds a device."""

from __future__ import annotations

import os

from allsmi_py.doctor.findings import Finding
from allsmi_py.workloads.pod_resources import (
    NO_PERMISSION,
    PodResourcesClient,
    PodResourcesError,
    grpc_missing,
    socket_problem,
)

CHECK = "pod resources"
DEADLINE_S = 1.0
INSTALL_FIX = "pip install 'allsmi-py[kubernetes]'"


def _asked(socket_path: str) -> Finding:
    try:
        client = PodResourcesClient(socket_path, DEADLINE_S)
    except PodResourcesError as exc:
        return Finding.problem(True, CHECK, str(exc), INSTALL_FIX)
    try:
        held = client.list_devices()
    except PodResourcesError as exc:
        return Finding.problem(True, CHECK, str(exc),
                               "check the kubelet: its pod-resources socket does not answer")
    finally:
        client.close()
    pods = {reading for readings in held.values() for reading in readings}
    return Finding.ok(CHECK, f"the kubelet at {socket_path} answers: {len(held)} accelerators "
                             f"held by {len(pods)} pod containers")


def pod_resources_finding(socket_path: str, root: str = "/") -> Finding:
    """OK off Kubernetes (no socket); WARN where a socket is there but cannot be read.

    Under another --root the socket is looked at, never connected to (it is not this host's).
    """
    if not socket_path:
        return Finding.ok(CHECK, "off (kubernetes.pod_resources_socket is empty)")
    path = os.path.join(root, socket_path.lstrip("/")) if root != "/" else socket_path
    if not os.path.lexists(path):
        return Finding.ok(CHECK, f"no kubelet socket at {path}: not a Kubernetes node (or "
                                 "not mounted); devices get no pod labels")
    problem = socket_problem(path)
    if problem:
        fix = ("run as root, as the DaemonSet does" if problem.startswith(NO_PERMISSION) else
               "mount the kubelet's /var/lib/kubelet/pod-resources folder there read-only")
        return Finding.problem(True, CHECK, problem, fix)
    if root != "/":
        return Finding.ok(CHECK, f"a socket at {path} (not asked: --root is not this host)")
    missing = grpc_missing()
    if missing:
        return Finding.problem(True, CHECK, missing, INSTALL_FIX)
    return _asked(path)
