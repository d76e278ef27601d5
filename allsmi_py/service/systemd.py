"""The systemd unit (and environment file) for a ServiceSpec, quoted by systemd's own rules.

Quoting follows systemd.service(5) "Command lines" and systemd.unit(5) "Specifiers": words
are split at unquoted whitespace, double quotes group, backslash escapes inside them, `%`
starts a specifier (`%%` is one `%`), and `$` in an argument starts a variable (`$$` is one
`$`). The executable's path is not variable-expanded, and systemd refuses one that holds a
quote, a backslash or a control character, so such a path is refused here first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from allsmi_py.errors import UsageError
from allsmi_py.service.spec import Argument, Credential, ServiceSpec
from allsmi_py.settings import shown

_PLAIN_WORD = re.compile(r"[A-Za-z0-9_./:@+,=-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x1f\x7f\"'\\]")

# Namespacing options need unprivileged user namespaces in a user manager (Ubuntu 24.04
# restricts them), so a --user unit keeps only what seccomp and no_new_privs give.
_SANDBOX_ANY = (
    "NoNewPrivileges=yes",
    "LockPersonality=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "SystemCallArchitectures=native",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "SystemCallFilter=@system-service",
    "SystemCallErrorNumber=EPERM",
    "UMask=0077",
)
# Left out on purpose: MemoryDenyWriteExecute (ctypes and cffi, which vendor libraries use,
# need writable code pages) and ProtectProc=invisible (--processes reads other users' /proc).
# No PrivateDevices, ProtectClock or DevicePolicy here: each closes the device policy and
# would hide /dev/nvidia*, /dev/kfd and /dev/dri from the backends (see README, service).
_SANDBOX_SYSTEM = (
    "ProtectSystem=strict",
    "ProtectHome=read-only",  # read-only, not yes: a venv in a home directory must still run
    "PrivateTmp=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
)


def _refuse_control(text: str, what: str) -> None:
    """UsageError unless `text` is free of control characters; `what` names it (a secret's
    value is never shown)."""
    if _CONTROL.search(text):
        raise UsageError(f"{what} holds a control character (a newline?); "
                         "a service unit cannot carry it")


def quote_executable(path: str) -> str:
    """`path` as the first word of ExecStart; UsageError for a path systemd cannot run."""
    if not path.startswith("/"):
        raise UsageError(f"the service needs an absolute executable path, not {path!r}")
    if _UNSAFE_IN_PATH.search(path):
        raise UsageError(f"systemd cannot run {path!r}: its path holds a quote, a backslash "
                         "or a control character; install allsmi under a plainer path")
    text = path.replace("%", "%%")
    return text if _PLAIN_WORD.fullmatch(path) else f'"{text}"'


def quote_argument(word: str) -> str:
    """One ExecStart argument that systemd hands to the program as exactly `word`."""
    _refuse_control(word, f"the value {shown(word)}")
    if _PLAIN_WORD.fullmatch(word):
        return word
    escaped = (word.replace("\\", "\\\\").replace('"', '\\"')
               .replace("%", "%%").replace("$", "$$"))
    return f'"{escaped}"'


def _path_value(path: str, what: str) -> str:
    """A path as a setting's whole value (EnvironmentFile=, LoadCredential=): specifiers only."""
    _refuse_control(path, f"{what} {shown(path)}")
    return path.replace("%", "%%")


def _argument(arg: Argument) -> str:
    # %d is $CREDENTIALS_DIRECTORY, where systemd puts each LoadCredential= file.
    return f"%d/{arg.name}" if isinstance(arg, Credential) else quote_argument(arg)


def exec_start(spec: ServiceSpec) -> str:
    """The ExecStart= value: the executable, then every argument, quoted."""
    first, *rest = spec.executable
    words = [quote_executable(first), *(quote_argument(w) for w in rest),
             *(_argument(a) for a in spec.arguments)]
    return " ".join(words)


def render_unit(spec: ServiceSpec) -> str:
    """The text of allsmi-api.service for `spec`."""
    service = [f"ExecStart={exec_start(spec)}", "Type=exec"]
    if spec.environment_file is not None:
        service.append("EnvironmentFile="
                       + _path_value(str(spec.environment_file), "the environment file"))
    service += [f"LoadCredential={c.name}:{_path_value(str(c.path), 'the file')}"
                for c in spec.credentials]
    service += ["Restart=on-failure", f"RestartSec={spec.restart_delay_s}",
                f"LimitNOFILE={spec.open_files_max}"]
    if spec.dynamic_user:
        service.append("DynamicUser=yes")
        if spec.supplementary_groups:
            service.append("SupplementaryGroups=" + " ".join(spec.supplementary_groups))
        caps = "CAP_NET_BIND_SERVICE" if spec.bind_privileged_port else ""
        service.append(f"CapabilityBoundingSet={caps}")
        if caps:
            service.append(f"AmbientCapabilities={caps}")
    if spec.device_allow is not None:
        service.append("DevicePolicy=closed")
        service += [f"DeviceAllow={device}" for device in spec.device_allow]
    service += list(_SANDBOX_ANY)
    if spec.system:
        service += list(_SANDBOX_SYSTEM)
    target = "multi-user.target" if spec.system else "default.target"
    # A user manager has no network-online.target: it sees no system units.
    network = ["After=network-online.target", "Wants=network-online.target"] \
        if spec.system else []
    return "\n".join([
        "# Written by 'allsmi service install'; 'allsmi service uninstall' removes it.",
        "[Unit]",
        f"Description={spec.description}",
        *network,
        "",
        "[Service]",
        *service,
        "",
        "[Install]",
        f"WantedBy={target}",
        "",
    ])


def render_environment_file(variables: Mapping[str, str]) -> str:
    """An EnvironmentFile= text setting each variable to exactly its value."""
    return "".join(f"{name}={_env_value(name, value)}\n"
                   for name, value in sorted(variables.items()))


def _env_value(name: str, value: str) -> str:
    _refuse_control(value, f"the value of {name}")
    # Double-quoted: backslash escapes \\ \" \$ \` and keeps everything else literal.
    escaped = "".join("\\" + ch if ch in '\\"$`' else ch for ch in value)
    return f'"{escaped}"'

