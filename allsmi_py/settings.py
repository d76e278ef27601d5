"""Every setting: its type, default, meaning and, for numbers, the one Range it may lie in.

Every number has one allowed Range, declared with its Setting and checked by NumberSetting
whichever way it comes: the flag's argparse `type=` (flag_type), the environment and the
file. Infinity and NaN are outside every range (issue 14: an infinite interval killed the
exporter's collector thread, a zero timeout timed every node out). Reading the file and the
environment is config.py's job.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Range:
    """Where a number may lie: from min (or just above it) to max, both finite."""

    min: int | float
    max: int | float
    min_exclusive: bool = False
    unit: str = ""  # shown after the range: "seconds", "bytes"


INTERVAL_S = Range(0.05, 3600.0, unit="seconds")
TIMEOUT_S = Range(0, 600.0, min_exclusive=True, unit="seconds")
BODY_BYTES = Range(1024, 2**30, unit="bytes")
PORT = Range(1, 65535)
PORT_OR_ANY = Range(0, 65535)  # 0: the OS chooses
CONCURRENCY = Range(1, 10_000)
SEED = Range(0, 2**63 - 1)
TEMPERATURE_C = Range(0, 200.0, unit="C")
HYSTERESIS_C = Range(0, 50.0, unit="C")
PERCENT = Range(0, 1000.0, min_exclusive=True, unit="percent")
IDLE_MINUTES = Range(0, 10_080.0, unit="minutes")  # a week; 0: the idle alert is off
UTILIZATION_PCT = Range(0, 100.0, unit="percent")
MEMORY_MIB = Range(0, 16 * 1024 * 1024.0, unit="MiB")
RETRIES = Range(0, 10)
PRICE_PER_KWH = Range(0, 1_000_000)
ENERGY_GAP_S = Range(1, 3600.0, unit="seconds")


@dataclass(frozen=True, slots=True)
class NumberSetting:
    """A named number and its Range; every refusal is one line naming both and the value."""

    name: str  # "view.timeout_s", or a flag's name where there is no config key
    kind: type  # int or float
    range: Range

    def allowed(self) -> str:
        """The range in words: 'an integer between 1 and 65535'."""
        r = self.range
        low, high = _number_text(r.min), _number_text(r.max)
        span = f"more than {low} and at most {high}" if r.min_exclusive else \
            f"between {low} and {high}"
        noun = "an integer" if self.kind is int else "a number"
        return f"{noun} {span}" + (f" {r.unit}" if r.unit else "")

    def check(self, value: object) -> Any:
        """`value` (already typed, as YAML gives it) as self.kind; ValueError if refused."""
        r = self.range
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                self.kind is int and not isinstance(value, int)) or not (
                # NaN compares false with everything, and both bounds are finite.
                (value > r.min if r.min_exclusive else value >= r.min) and value <= r.max):
            raise ValueError(f"{self.name}: expected {self.allowed()}, got {shown(value)}")
        return self.kind(value)

    def parse(self, text: str) -> Any:
        """The number `text` (a flag or an environment variable) gives; ValueError if refused."""
        try:
            value = self.kind(text.strip())
        except ValueError:  # also integers of more than 4300 digits (CVE-2020-10735)
            raise ValueError(f"{self.name}: invalid {self.kind.__name__} value {shown(text)}, "
                             f"expected {self.allowed()}") from None
        try:
            return self.check(value)
        except ValueError:  # show what was typed ('1e309'), not what it became (inf)
            raise ValueError(f"{self.name}: expected {self.allowed()}, "
                             f"got {shown(text)}") from None

    def flag_type(self) -> Callable[[str], Any]:
        """An argparse `type=`: the number, or the one-line refusal as a usage error."""
        def convert(text: str) -> Any:
            try:
                return self.parse(text)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return convert


def _number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def shown(value: object) -> str:
    """A value for an error line: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True, slots=True)
class Setting:
    """One configurable value: its type, default and meaning (and range, for numbers)."""

    kind: type  # int, float, bool, str or list (of str)
    default: Any
    help: str
    nullable: bool = False
    range: Range | None = None  # required for int and float
    secret: bool = False  # `allsmi config print` shows it as <redacted>


SCHEMA: dict[str, dict[str, Setting]] = {
    "general": {
        "theme": Setting(str, "dark", "TUI theme: dark or light"),
    },
    "local": {
        "interval_s": Setting(float, 2.0, "seconds between readings in the local TUI",
                              range=INTERVAL_S),
        "readonly": Setting(bool, False, "no process actions (signals) in the local TUI"),
    },
    "api": {
        "port": Setting(int, 9090, "TCP port of the exporter", range=PORT),
        "bind": Setting(str, "0.0.0.0", "address to listen on (127.0.0.1 for local only)"),
        "interval_s": Setting(float, 3.0, "seconds between collections", range=INTERVAL_S),
        "processes": Setting(bool, False, "export per-process metrics"),
        "auth_token": Setting(str, "", "require this bearer token (empty: no auth)",
                              secret=True),
        "basic_auth": Setting(str, "", "require HTTP basic auth, as user:password",
                              secret=True),
        "tls_cert": Setting(str, "", "TLS certificate file (PEM); enables HTTPS with tls_key"),
        "tls_key": Setting(str, "", "TLS private key file (PEM)"),
    },
    "view": {
        "hosts": Setting(list, [], "nodes to watch: host, host:port or URL"),
        "hostfile": Setting(str, "", "file with one node per line"),
        "prometheus": Setting(str, "", "read the cluster from this Prometheus server instead"),
        "interval_s": Setting(float, 2.0, "seconds between scrape rounds", range=INTERVAL_S),
        "timeout_s": Setting(float, 5.0, "per-request timeout in seconds", range=TIMEOUT_S),
        "concurrency": Setting(int, 256, "requests in flight at once", range=CONCURRENCY),
        "max_body_bytes": Setting(int, 10_000_000, "largest response accepted from a node",
                                  range=BODY_BYTES),
        "auth_token": Setting(str, "", "bearer token sent to nodes (or ALLSMI_AUTH_TOKEN)",
                              secret=True),
        "ca_file": Setting(str, "", "PEM file of the CA that signed https nodes (private CA)"),
        "ssh_connect_timeout_s": Setting(float, 10.0, "seconds for an SSH connection and login "
                                         "(--ssh)", range=TIMEOUT_S),
        "ssh_concurrency": Setting(int, 32, "SSH hosts read at once (--ssh)", range=CONCURRENCY),
        "ssh_known_hosts": Setting(str, "~/.ssh/known_hosts", "known_hosts file of --ssh"),
    },
    "prometheus": {  # `view --prometheus`: the aggregated round's budget (issue 20)
        "budget_bytes": Setting(int, 2_000_000, "bytes on the wire one view round may take; "
                                "past it the optional parts (device page, users) are dropped",
                                range=Range(10_000, 2**30, unit="bytes")),
        "budget_s": Setting(float, 1.0, "seconds one view round may take before the optional "
                            "parts are dropped", range=Range(0.05, 600.0, unit="seconds")),
        "page_rows": Setting(int, 64, "device rows the view fetches for the device table",
                             range=Range(1, 10_000)),
        "max_response_bytes": Setting(int, 64_000_000, "largest answer accepted from the "
                                      "Prometheus server (decoded)", range=BODY_BYTES),
    },
    "alerts": {
        "temp_warn_c": Setting(float, 80.0, "temperature warning threshold, C",
                               range=TEMPERATURE_C),
        "temp_crit_c": Setting(float, 90.0, "temperature critical threshold, C",
                               range=TEMPERATURE_C),
        "hysteresis_c": Setting(float, 2.0, "how far below a threshold before an alert clears, C",
                                range=HYSTERESIS_C),
        "power_warn_pct": Setting(float, 95.0, "power draw warning, percent of the power limit",
                                  range=PERCENT),
        "util_low_mins": Setting(float, 0.0, "warn when a device holding memory has been idle "
                                 "this many minutes (0: off; --alert-util-low-mins)",
                                 range=IDLE_MINUTES),
        "util_low_pct": Setting(float, 5.0, "utilization at or below this counts as idle",
                                range=UTILIZATION_PCT),
        "util_low_memory_mib": Setting(float, 1024.0, "memory used above this (MiB) counts as "
                                       "holding memory, for the idle alert", range=MEMORY_MIB),
        "webhook_url": Setting(str, "", "POST each alert change here as JSON (empty: off)",
                               secret=True),
        "webhook_timeout_s": Setting(float, 2.0, "seconds one webhook POST may take",
                                     range=TIMEOUT_S),
        "webhook_retries": Setting(int, 3, "retries of a failed webhook POST, with backoff",
                                   range=RETRIES),
    },
    "energy": {
        "price_per_kwh": Setting(float, 0.12, "price of one kWh, for the cost the TUI shows",
                                 range=PRICE_PER_KWH),
        "currency": Setting(str, "USD", "currency of price_per_kwh (a code or a symbol)"),
        "max_gap_s": Setting(float, 10.0, "a longer gap between readings adds no energy "
                             "(at least 3 collection intervals)", range=ENERGY_GAP_S),
        "state_file": Setting(str, "", "where totals are kept across restarts "
                              "(empty: $XDG_STATE_HOME/allsmi/energy.json)"),
    },
    "mock": {
        "seed": Setting(int, None, "seed of simulated devices (empty: random)", nullable=True,
                        range=SEED),
    },
    "kubernetes": {
        "pod_resources_socket": Setting(str, "/var/lib/kubelet/pod-resources/kubelet.sock",
                                        "the kubelet's pod-resources socket, which tells the "
                                        "pod holding each device (empty: off)"),
        "pod_resources_interval_s": Setting(float, 10.0, "seconds between readings of the "
                                            "pod-resources socket", range=INTERVAL_S),
    },
}
# Every int and float setting by "section.key", e.g. NUMBERS["view.timeout_s"].flag_type().
NUMBERS: dict[str, NumberSetting] = {
    f"{section}.{key}": NumberSetting(f"{section}.{key}", setting.kind, setting.range)
    for section, keys in SCHEMA.items() for key, setting in keys.items()
    if setting.range is not None
}


REDACTED = "<redacted>"


def redacted(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Settings by section with every secret that is set shown as <redacted>."""
    def shown(section: str, key: str, value: Any) -> Any:
        setting = SCHEMA.get(section, {}).get(key)
        return REDACTED if value and setting is not None and setting.secret else value

    return {section: {key: shown(section, key, value) for key, value in keys.items()}
            for section, keys in values.items()}


def flag_type(name: str) -> Callable[[str], Any]:
    """The argparse `type=` of the flag that sets config key `name` ("view.timeout_s")."""
    return NUMBERS[name].flag_type()
