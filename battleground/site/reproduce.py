"""The ``battleground run`` command that reproduces a run, built from its record, torch-free.

Every chart's hover and every results-table row offers it. A command names the investigation, the
variant, the seed(s), the epochs or budget, the device, and ``--train-size``, ``--cuda-graphs``,
``--smoke`` or ``--force`` where the run needed them; ``tests/test_reproduce.py`` runs each command through the
real command line's parser and checks that it selects exactly the recorded run (variant, seed
and every training setting).

Where no command can select the run (its variant is no longer declared, or the investigation's
settings have changed since it trained), the command still says what it can, and a shell comment
at its end says what differs, so pasting it never silently trains something else.

Records travel, so what a command shows of one is input: every word is shell-quoted, and the
comment is one line of printable text whatever the record holds (a line break in it would end
the comment and run what followed, when pasted into a shell).
"""

from __future__ import annotations

import re
import shlex
from typing import Iterable, Sequence

from battleground.core.config import DEFAULTS, format_budget
from battleground.core.spec import Investigation, Variant
from battleground.core.values import printable

PROGRAM = "battleground run"
# A CPU run records the processor and its threads (train/provenance.py cpu_name: "AMD EPYC
# (1 threads)"); a CUDA run records the GPU's name, and from schema 2 on its TF32 settings.
_CPU_DEVICE = re.compile(r"\(\d+ threads?\)$")


def device_flag(record: dict) -> str:
    """``cpu`` or ``cuda``: the ``--device`` a run trained on, from its record's environment."""
    environment = record["environment"]
    if "tf32" in environment:
        return "cuda"
    return "cpu" if _CPU_DEVICE.search(environment["device"]) else "cuda"


def _declared(spec: Investigation, name: str) -> Variant | None:
    return next((v for v in spec.variants if v.name == name), None)


def _length_flags(config: dict) -> list[str]:
    """``--epochs N`` for a run told its epochs, else ``--budget`` with the budget it was given."""
    if config.get("epochs") is not None:
        return ["--epochs", shlex.quote(str(config["epochs"]))]
    return ["--budget", shlex.quote(format_budget(config["budget_s"]))]


def _settings_differ(spec: Investigation, variant: Variant, config: dict, smoke: bool,
                     flags: dict | None = None) -> list[str]:
    """The training settings of ``config`` (a record's) that the command would set otherwise;
    ``flags``: settings the command sets (``train_size`` by ``--train-size``)."""
    base = spec.config.replace(**spec.smoke.config_changes) if smoke else spec.config
    base = base.replace(**(flags or {}))
    length = ({"epochs": config["epochs"]} if config.get("epochs") is not None
              else {"epochs": None, "budget_s": config["budget_s"]})
    wanted = base.replace(**variant.training, **length).as_dict()
    recorded = {**DEFAULTS.as_dict(), **config}  # an older record lacks settings added since: defaults
    return [key for key in wanted if recorded.get(key) != wanted[key]]


def _tail(spec: Investigation, record: dict) -> tuple[list[str], str]:
    """The flags after the seeds, and a shell comment (or "") saying what the command cannot match."""
    config = record["config"]
    flags = _length_flags(config) + ["--device", device_flag(record)]
    if record.get("engine") == "cuda-graphs":
        flags.append("--cuda-graphs")
    variant = _declared(spec, record["variant"])
    if variant is None:
        return flags, _comment(f"variant {shlex.quote(record['variant'])} is no longer declared by {spec.name}")
    differ = _settings_differ(spec, variant, config, smoke=False)
    if differ and spec.smoke is not None and not _settings_differ(spec, variant, config, smoke=True):
        return ["--smoke"] + flags, ""
    if "train_size" in differ and config.get("train_size") is not None:  # a run on part of the images
        flags += ["--train-size", shlex.quote(str(config["train_size"]))]
        differ = _settings_differ(spec, variant, config, smoke=False, flags={"train_size": config["train_size"]})
    if differ:
        shown = ", ".join(f"{key}={config.get(key)!r}" for key in differ)
        return flags, _comment(f"this run trained with {shown}, which {spec.name} no longer sets")
    return flags, ""


def _comment(text: str) -> str:
    """A shell comment saying ``text`` on one line: every character that could end the line (or
    move a terminal's cursor) is written as its escape."""
    return f"  # {printable(text)}"


def seed_flags(seeds: Iterable[int], spec: Investigation) -> str:
    """``--seed 1729 --seed 271828``, and ``--force`` after them where a seed is not one the
    investigation declares (the command line refuses such a seed without it)."""
    seeds = list(seeds)
    flags = " ".join(f"--seed {shlex.quote(str(seed))}" for seed in seeds)
    return flags + (" --force" if any(seed not in spec.seeds for seed in seeds) else "")


def command_parts(spec: Investigation, records: Sequence[dict]) -> tuple[str, str] | None:
    """The command that reproduces every run of ``records`` (runs of one variant), split around
    its seed flags: ``(head, tail)``, so that ``f"{head} {seed_flags(seeds)}{tail}"`` is the
    command for those seeds (``static/js/charts.js`` joins them so for a chart's hover). None
    where the runs trained with different settings, and so need a command each."""
    if not records or len({r["variant"] for r in records}) != 1:
        return None
    tails = {(tuple(flags), comment) for flags, comment in (_tail(spec, r) for r in records)}
    if len(tails) != 1:
        return None
    (flags, comment), = tails
    head = f"{PROGRAM} {shlex.quote(spec.name)} --variant {shlex.quote(records[0]['variant'])}"
    return head, " " + " ".join(flags) + comment


def command(spec: Investigation, records: Sequence[dict]) -> str | None:
    """The one command that reproduces ``records`` (one run, or the seeds of one variant trained
    alike), or None where they need a command each."""
    parts = command_parts(spec, records)
    if parts is None:
        return None
    head, tail = parts
    return f"{head} {seed_flags((r['seed'] for r in records), spec)}{tail}"
