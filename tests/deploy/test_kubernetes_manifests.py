"""deploy/kubernetes: valid Kubernetes objects (offline schemas), and meaning what the code needs.

The built-in kinds are checked by `kubernetes-validate` (it bundles the Kubernetes OpenAPI
schemas; strict, so a misspelt field fails) at the oldest and the newest version we claim;
the ServiceMonitor is a CRD, checked against servicemonitor_v1.schema.json, written from the
Prometheus Operator's API reference for the fields we use. Then what no schema knows: the
socket and log folders the code reads are mounted read-only where it reads them, the ports
agree by name, the command parses with the real parser, and the probes' paths answer.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.prometheus_util import REPO, free_port, run_api, wait_http

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DEPLOY = REPO / "deploy" / "kubernetes"
SCHEMA = Path(__file__).with_name("servicemonitor_v1.schema.json")
KUBERNETES_VERSIONS = ("1.27", kubernetes_validate.latest_version())
CRD_KINDS = {"ServiceMonitor"}
Doc = dict[str, Any]


def _manifest_files() -> list[Path]:
    return sorted(p for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")


def _docs() -> list[Doc]:
    return [doc for path in _manifest_files()
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _one(kind: str) -> Doc:
    found = [doc for doc in _docs() if doc["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects in {DEPLOY}"
    return found[0]


def _pod() -> Doc:
    spec: Doc = _one("DaemonSet")["spec"]["template"]["spec"]
    return spec


def _container() -> Doc:
    containers = _pod()["containers"]
    assert len(containers) == 1
    container: Doc = containers[0]
    return container


def _mounts_by_path() -> dict[str, Doc]:
    return {m["mountPath"]: m for m in _container()["volumeMounts"]}


def _volumes() -> dict[str, Doc]:
    return {v["name"]: v for v in _pod()["volumes"]}


def _servicemonitor_errors(doc: Doc) -> list[str]:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


def _pyproject() -> Doc:
    data: Doc = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return data


# -- the schemas -------------------------------------------------------------------------------

def test_kustomization_lists_every_manifest_and_nothing_else() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == [p.name for p in _manifest_files()]
    assert {d["kind"] for d in _docs()} == {"Namespace", "DaemonSet", "Service", "ServiceMonitor"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_builtin_object_is_valid_kubernetes(version: str) -> None:
    docs = [d for d in _docs() if d["kind"] not in CRD_KINDS]
    assert len(docs) == 3
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)  # raises on any error


def test_the_servicemonitor_matches_the_operators_api() -> None:
    assert _servicemonitor_errors(_one("ServiceMonitor")) == []


def test_a_wrong_api_version_fails_validation() -> None:
    daemonset = copy.deepcopy(_one("DaemonSet"))
    daemonset["apiVersion"] = "apps/v1beta2"  # removed in Kubernetes 1.16
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(daemonset, KUBERNETES_VERSIONS[0], strict=True)


def test_a_misspelt_or_mistyped_field_fails_validation() -> None:
    daemonset = copy.deepcopy(_one("DaemonSet"))
    pod = daemonset["spec"]["template"]["spec"]
    pod["hostPid"] = pod.pop("hostPID")
    with pytest.raises(kubernetes_validate.ValidationError, match="hostPid"):
        kubernetes_validate.validate(daemonset, KUBERNETES_VERSIONS[0], strict=True)
    service = copy.deepcopy(_one("Service"))
    service["spec"]["ports"][0]["port"] = "9090"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, KUBERNETES_VERSIONS[0], strict=True)


@pytest.mark.parametrize("breakage", ["api_version", "port_typo", "interval", "action"])
def test_a_broken_servicemonitor_fails_its_schema(breakage: str) -> None:
    monitor = copy.deepcopy(_one("ServiceMonitor"))
    endpoint = monitor["spec"]["endpoints"][0]
    if breakage == "api_version":
        monitor["apiVersion"] = "monitoring.coreos.com/v1alpha1"
    elif breakage == "port_typo":
        endpoint["prot"] = endpoint.pop("port")
    elif breakage == "interval":
        endpoint["interval"] = "15 s"
    else:
        endpoint["relabelings"][0]["action"] = "rename"
    assert _servicemonitor_errors(monitor) != []


def test_kubectl_kustomize_renders_the_four_objects() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (kustomize is checked by the resources test)")
    out = subprocess.run([kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    rendered = [d for d in yaml.safe_load_all(out) if d]
    assert sorted(d["kind"] for d in rendered) == sorted(d["kind"] for d in _docs())


# -- what the code reads, mounted where it reads it --------------------------------------------

def test_host_pid_so_nvml_pids_have_their_proc_and_cgroup() -> None:
    assert _pod()["hostPID"] is True
    assert _pod().get("hostNetwork", False) is False
    assert _pod()["runtimeClassName"] == "nvidia"


def test_the_pod_resources_socket_folder_is_mounted_read_only_where_the_code_reads() -> None:
    from allsmi_py.settings import SCHEMA as SETTINGS

    socket_path = SETTINGS["kubernetes"]["pod_resources_socket"].default
    assert socket_path == "/var/lib/kubelet/pod-resources/kubelet.sock"
    folder = str(Path(socket_path).parent)
    mount = _mounts_by_path()[folder]
    assert mount["readOnly"] is True
    assert _volumes()[mount["name"]]["hostPath"]["path"] == folder


def test_the_kubelet_log_folders_are_mounted_where_the_names_are_read() -> None:
    from allsmi_py.workloads import kubelet_names

    for folder in (kubelet_names.CONTAINERS_DIR, kubelet_names.PODS_DIR):
        mount = _mounts_by_path()["/" + folder]
        assert mount["readOnly"] is True
        assert _volumes()[mount["name"]]["hostPath"]["path"] == "/" + folder


def test_every_host_path_is_read_only_at_the_same_path() -> None:
    mounts = {m["name"]: m for m in _container()["volumeMounts"]}
    host_paths = {name: v["hostPath"]["path"] for name, v in _volumes().items()
                  if "hostPath" in v}
    assert len(host_paths) == 3
    for name, path in host_paths.items():
        assert mounts[name]["readOnly"] is True, name
        assert mounts[name]["mountPath"] == path, name


def test_no_privilege_beyond_the_socket_and_the_state_folder() -> None:
    context = _container()["securityContext"]
    assert context["privileged"] is False
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True
    assert _pod()["automountServiceAccountToken"] is False
    env = {e["name"]: e["value"] for e in _container()["env"]}
    assert env["NVIDIA_VISIBLE_DEVICES"] == "all"
    assert env["NVIDIA_DRIVER_CAPABILITIES"] == "utility"
    # The energy totals (allsmi_py/energy/store.py) go under XDG_STATE_HOME: a writable emptyDir.
    state = _mounts_by_path()[env["XDG_STATE_HOME"]]
    assert not state.get("readOnly", False) and "emptyDir" in _volumes()[state["name"]]
    assert "nvidia.com/gpu" not in str(_container()["resources"])  # never takes a GPU


def test_the_metrics_port_agrees_across_pod_service_and_servicemonitor() -> None:
    namespace = _one("Namespace")["metadata"]["name"]
    daemonset, service, monitor = _one("DaemonSet"), _one("Service"), _one("ServiceMonitor")
    for doc in (daemonset, service, monitor):
        assert doc["metadata"]["namespace"] == namespace, doc["kind"]
    (port,) = _container()["ports"]
    (service_port,) = service["spec"]["ports"]
    assert port["name"] == service_port["name"] == service_port["targetPort"] == "metrics"
    assert service_port["port"] == port["containerPort"]
    pod_labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert daemonset["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"][
        "labels"].items()
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [namespace]
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert _container()[probe]["httpGet"]["port"] == "metrics", probe


# -- the command and the probes, against the real CLI and exporter -----------------------------

def _parse_command(command: list[str]) -> argparse.Namespace:
    from allsmi_py import cli

    assert command[0] == "allsmi" and "allsmi" in _pyproject()["project"]["scripts"]
    module_name, _ = cli.COMMANDS[command[1]]
    parser = argparse.ArgumentParser(prog=f"allsmi {command[1]}", exit_on_error=False)
    importlib.import_module(module_name).add_arguments(parser)
    return parser.parse_args(command[2:])


def test_the_command_parses_with_the_real_parser_and_serves_the_port() -> None:
    args = _parse_command(_container()["command"])
    assert args.port == _container()["ports"][0]["containerPort"]
    assert args.processes is True
    with pytest.raises((argparse.ArgumentError, SystemExit)):
        _parse_command(["allsmi", "api", "--prot", "9090"])


@pytest.mark.slow
def test_the_probe_paths_answer_from_the_real_exporter(tmp_path: Path) -> None:
    command = list(_container()["command"][2:])
    port = free_port()
    command[command.index("--port") + 1] = str(port)
    with run_api([*command, "--mock", "h100:2", "--seed", "1"], tmp_path, port=port,
                 wait_path="/healthz") as api:
        wait_http(api.url + _container()["readinessProbe"]["httpGet"]["path"], proc=api.proc)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = _container()[probe]["httpGet"]["path"]
            assert httpx.get(api.url + path, timeout=5).status_code == 200, probe
        assert httpx.get(api.url + "/no-such-path", timeout=5).status_code == 404
        metrics = httpx.get(api.url + _one("ServiceMonitor")["spec"]["endpoints"][0]["path"])
        assert "all_smi_process_memory_used_bytes{" in metrics.text  # --processes took effect


# -- the image ---------------------------------------------------------------------------------

def test_the_image_is_this_versions_build() -> None:
    version = _pyproject()["project"]["version"]
    assert _container()["image"] == f"allsmi-py:{version}"
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["images"] == [{"name": "allsmi-py", "newName": "allsmi-py",
                                        "newTag": version}]


def test_the_dockerfile_installs_existing_extras_from_the_sources_it_is_given() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    extras = re.findall(r'pip install [^\n]*"\.\[([a-z0-9_,-]+)\]"', dockerfile)
    assert extras == ["kubernetes"]
    assert set(extras[0].split(",")) <= set(_pyproject()["project"]["optional-dependencies"])
    copied = {part.rstrip("/").removeprefix("./") for line in dockerfile.splitlines()
              if line.startswith("COPY ") for part in line.split()[1:-1]}
    wheel = _pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert copied == {*wheel, "pyproject.toml", _pyproject()["project"]["readme"]}
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore  # everything out, then the sources back in
    allowed = {line[1:] for line in ignore if line.startswith("!")}
    assert allowed == copied  # what the build context lets in is exactly what is copied


def test_the_servicemonitor_drops_the_target_labels_the_process_families_use() -> None:
    # The process families' workload labels (README, "Containers and pods"); the operator
    # sets target labels of the same names to the exporter's own pod. The real Prometheus
    # run of these relabelings: test_servicemonitor_prometheus.py.
    endpoint = _one("ServiceMonitor")["spec"]["endpoints"][0]
    assert endpoint["honorLabels"] is False
    drops = [r["regex"] for r in endpoint["relabelings"] if r["action"] == "labeldrop"]
    assert len(drops) == 1
    dropped = {n for n in ("pod", "namespace", "container", "instance", "gpu", "job")
               if re.fullmatch(drops[0], n)}
    assert dropped == {"pod", "namespace", "container"}
