"""Load what the pages show from ``runs/``: each investigation's records, checked against its
declaration, and the ``battleground bench`` results files of ``runs/benchmarks/``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from battleground.core import benchmarks, files, records, splits
from battleground.core.config import SETTINGS
from battleground.core.spec import Investigation, Variant
from battleground.site.context import Benchmark, InvestigationData, Run, SiteError


@dataclass(frozen=True)
class RecordedVariant(Variant):
    """A variant known only from a record: its name is the record's, whatever its parameters."""

    recorded_name: str = ""

    @property
    def name(self) -> str:
        return self.recorded_name


_NAMED_KEY = re.compile(r"[\[,](\w+)=")  # the keys in a variant name: SimpleNet2[depth=0,lr=0.01]


def _record_variant(record: dict) -> Variant:
    """The variant of a record its investigation does not declare: the model's parameters, and
    the training settings its name sets (``lr=0.01``) with the values of its config, so charts
    label and facet it by them as they do a declared variant."""
    params = dict(record["model"]["params"])
    named = set(_NAMED_KEY.findall(record["variant"]))
    params.update((key, record["config"][key]) for key in SETTINGS if key in named and key in record["config"])
    return RecordedVariant(record["model"]["family"], tuple(sorted(params.items())), record["variant"])


def load_investigation(spec: Investigation, runs_dir: Path, warnings: list[str]) -> InvestigationData:
    """An investigation's records, checked against its declaration (folder, names, duplicates)."""
    runs: list[Run] = []
    seen: dict[tuple[str, int], Path] = {}
    declared = {v.name: v for v in spec.variants}
    extra: dict[str, Variant] = {}
    files.folder_or_none(runs_dir / spec.name, SiteError, f"a folder of the run records of '{spec.name}'")
    for path in records.record_files(runs_dir, spec.name):
        record = records.load_record(path)
        if records.is_smoke(record):  # a check that the code trains, whatever its numbers say
            raise SiteError(path, "smoke", "a run of the investigation, not a smoke run's record; move it out "
                            f"(battleground run --smoke writes to {records.SMOKE_RUNS_DIR}/ by default)", True)
        if record["investigation"] != spec.name:
            raise SiteError(path, "investigation", f"'{spec.name}' (the folder the record is in)",
                            record["investigation"])
        name = record["variant"]
        variant = declared.get(name) or _record_variant(record)
        key = (name, record["seed"])
        if key in seen:
            raise SiteError(path, "variant", f"one record per (variant, seed); {seen[key]} has the same", key)
        seen[key] = path
        if name not in declared and name not in extra:
            extra[name] = variant
            warnings.append(f"{path}: variant {name!r} is not declared in the investigation's experiments module")
        if record["seed"] not in spec.seeds_of(variant):
            warnings.append(f"{path}: seed {record['seed']} is not one of the investigation's seeds")
        runs.append(Run(path, record, variant))
    variants = list(spec.variants) + [extra[n] for n in sorted(extra)]
    return InvestigationData(spec, runs, variants, split_files(runs_dir, runs))


def split_files(runs_dir: Path, runs: list[Run]) -> dict[Path, dict[str, list[int]]]:
    """The split files of ``runs`` that ``runs_dir`` keeps, each read once: the pages compare
    models image by image on them (McNemar's test, the zoo's digits)."""
    found: dict[Path, dict[str, list[int]]] = {}
    for run in runs:
        path = splits.for_config(runs_dir, run.record["config"])
        if path not in found and splits.kept(path):
            found[path] = splits.read(path)
    return found


def load_benchmarks(runs_dir: Path) -> list[Benchmark]:
    """Every results file of ``runs/benchmarks/``; a bad one is a ``BenchmarkError``."""
    out, seen = [], {}
    files.folder_or_none(runs_dir / records.BENCHMARKS_FOLDER, SiteError, "a folder of benchmark results files")
    for path in benchmarks.results_files(runs_dir):
        text = records.read_text(path, benchmarks.BenchmarkError)
        bench = Benchmark(path, benchmarks.parse_results(text, path), text)
        if bench.filename in seen:  # two names that differ only in characters a URL cannot keep
            raise SiteError(path, "(file name)", f"a name of letters, digits, '.' and '-' unlike "
                            f"{seen[bench.filename].name}'s (both would be data/benchmarks/{bench.filename})")
        seen[bench.filename] = path
        out.append(bench)
    return out
