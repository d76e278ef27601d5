"""The families the README names against the schema: none documented that we do not write,
none of our own written without a word, and no all-smi name that all-smi does not define.

The README's table of all-smi's families is held by test_family_table.py; this covers every
other place the README names a family (our own `allsmi_*` ones above all), so a family we
claim cannot disappear, nor be renamed, without a test failing.
"""

from __future__ import annotations

import re
from pathlib import Path

from allsmi_py.exporter.schema import BY_NAME, OWN_NAMES

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
ALLSMI_LIST = ROOT / "tests" / "fixtures" / "allsmi" / "allsmi_metrics.txt"
# a family in backticks, maybe with labels or a PromQL tail: `allsmi_device_state{...} == 1`
OURS = re.compile(r"`(allsmi_[a-z0-9_]+)(?=[`{\s\[])")
THEIRS = re.compile(r"`(all_smi_[a-z0-9_]+)(?=[`{\s\[])")


def _named(pattern: re.Pattern[str], text: str) -> set[str]:
    return set(pattern.findall(text))


def test_every_family_of_ours_the_readme_names_is_written() -> None:
    named = _named(OURS, README.read_text())
    assert named, "the README names none of our own families"
    assert named <= set(BY_NAME), sorted(named - set(BY_NAME))


def test_every_family_of_ours_is_documented_in_the_readme() -> None:
    documented = _named(OURS, README.read_text())
    assert not OWN_NAMES - documented, sorted(OWN_NAMES - documented)


def test_every_all_smi_family_the_readme_names_is_all_smis() -> None:
    defined = set(re.findall(r"^(all_smi_\w+)\{", ALLSMI_LIST.read_text(), re.MULTILINE))
    assert len(defined) == 185
    # and what all-smi's mock server writes beside them (all_smi_cpu_model), as captured
    for capture in ALLSMI_LIST.parent.glob("*.prom"):
        defined |= set(re.findall(r"^(all_smi_\w+)\{", capture.read_text(), re.MULTILINE))
    named = _named(THEIRS, README.read_text())
    assert named and named <= defined, sorted(named - defined)


def test_the_patterns_find_what_they_should_and_nothing_else() -> None:
    text = ("`allsmi_device_state{state=\"lost\"} == 1`, `allsmi_py/model.py`, "
            "`allsmi_py.collect()`, `all_smi_up`, `all_smi_process_*`, `allsmi_x_total`")
    assert _named(OURS, text) == {"allsmi_device_state", "allsmi_x_total"}
    assert _named(THEIRS, text) == {"all_smi_up"}
