"""Turn the host list `allsmi view --hostfile` reads into a Prometheus file_sd target file.

    python dashboards/tools/hostfile_to_file_sd.py hosts.txt > targets/allsmi.json
    python dashboards/tools/hostfile_to_file_sd.py hosts.txt --label cluster=pod-a -o FILE

The host list is parsed by the view's own parser (`allsmi_py.remote.hosts`), so every form
it accepts works here: `host`, `host:port` (default port 9090), `[v6addr]:port` and
`http(s)://host:port/prefix`. A URL's scheme and path prefix become file_sd's
`__scheme__` and `__metrics_path__` labels, so one scrape job serves every form.
Lines the view would skip are skipped here too, and reported on stderr.
With `-o FILE` the file is replaced atomically: Prometheus re-reads it without a restart
and never sees half a file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from allsmi_py.errors import UsageError
from allsmi_py.remote.hosts import Target, read_hostfile


def _labels(pairs: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or key.startswith("__"):
            raise UsageError(f"bad --label {pair!r}: write NAME=VALUE (NAME not starting '__')")
        labels[key] = value
    return labels


def target_groups(targets: tuple[Target, ...], labels: dict[str, str]) -> list[dict[str, object]]:
    """file_sd groups: one per (scheme, metrics path), targets in host list order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for target in targets:
        url = urlsplit(target.base_url)
        groups.setdefault((url.scheme, url.path + "/metrics"), []).append(url.netloc)
    out: list[dict[str, object]] = []
    for (scheme, path), hosts in groups.items():
        group_labels = dict(labels)
        if scheme != "http":
            group_labels["__scheme__"] = scheme
        if path != "/metrics":
            group_labels["__metrics_path__"] = path
        out.append({"targets": hosts, "labels": group_labels})
    return out


def main(argv: list[str] | None = None) -> int:
    """Print (or write with -o) the file_sd JSON for a hostfile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hostfile", help="one host per line, as for `allsmi view --hostfile`")
    parser.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                        help="add this label to every target (repeatable)")
    args = parser.parse_args(argv)
    try:
        labels = _labels(args.label)
        hosts = read_hostfile(args.hostfile)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in hosts.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    if not hosts.targets:
        print(f"error: no valid host in {args.hostfile}", file=sys.stderr)
        return 2
    text = json.dumps(target_groups(hosts.targets, labels), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it 0600; Prometheus often runs as its own user
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
