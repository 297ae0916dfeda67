"""The build: read and validate everything, render every file, then write the site in one swap.

``python build.py`` runs :func:`main`. Output goes to a temporary folder beside the target and
replaces it only once every file is written, so a failed build leaves the previous site intact.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from battleground.core import files
from battleground.core.records import FieldError
from battleground.core.values import printable
from battleground.site import assets, content, output, pages, zoo_page
from battleground.core.spec import Investigation
from experiments import DeclarationError  # the package's own code is torch-free; modules load in discover()

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BuildResult:
    out: Path
    written: dict[str, int]  # relative path -> bytes
    warnings: list[str]
    seconds: float


def discover_investigations() -> dict[str, Investigation]:
    from experiments import discover  # torch-free by contract

    return discover()


def build(
    out: Path | str = ROOT / "_site",
    runs: Path | str = ROOT / "runs",
    src: Path | str = ROOT / "site_src",
    models: Path | str | None = ROOT / "battleground" / "train" / "models.py",
    strict: bool = False,
    investigations: dict[str, Investigation] | None = None,
    node_modules: Path | str = ROOT / "node_modules",
    data_dir: Path | str | None = None,
) -> BuildResult:
    """Build the site into ``out``; raises a :class:`FieldError` (a bad page, record or benchmark
    file) naming the file and the field."""
    started = time.perf_counter()
    out = Path(out).resolve()
    inputs = {"pages": Path(src), "runs": Path(runs), "templates": ROOT / "templates", "static": ROOT / "static",
              "front-end packages": Path(node_modules)}
    if models:
        inputs["models"] = Path(models)
    output.check(out, inputs, ROOT)
    investigations = discover_investigations() if investigations is None else investigations
    data_dir = data_dir or os.environ.get(zoo_page.DATA_DIR_ENV)  # the default the command line documents
    context = content.read_context(Path(src), Path(runs), investigations, Path(models) if models else None, strict,
                                   Path(data_dir) if data_dir else None)
    files = pages.render_site(context)
    static = assets.asset_files(Path(node_modules))
    out.parent.mkdir(parents=True, exist_ok=True)
    output.remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=output.staging_prefix(out, "building"), dir=out.parent))
    written: dict[str, int] = {}
    try:
        (staging / output.MARKER).write_text(output.MARKER_TEXT, encoding="utf-8")
        for relative, value in sorted({**static, **files}.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(value, Path):
                shutil.copyfile(value, target)
            elif isinstance(value, bytes):  # a picture
                target.write_bytes(value)
            else:
                target.write_bytes(value.encode("utf-8"))
            written[relative] = target.stat().st_size
        output.swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(out, written, context.warnings, time.perf_counter() - started)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def report(result: BuildResult, stream=sys.stdout, verbose: bool = False) -> None:
    """What was written: each page with its size, the data files and assets summed up (listed one
    by one with ``verbose``), and the time taken."""
    pages = {k: v for k, v in result.written.items() if k.endswith(".html")}
    data = {k: v for k, v in result.written.items() if k.startswith("data/")}
    assets = {k: v for k, v in result.written.items() if k not in pages and k not in data}
    for relative, size in (result.written.items() if verbose else pages.items()):
        print(f"  {relative:<52} {_size(size):>10}", file=stream)
    if not verbose:
        print(f"  {'data/ (downloads)':<52} {_size(sum(data.values())):>10}  ({len(data)} files)", file=stream)
        print(f"  {'static/ and favicon.svg':<52} {_size(sum(assets.values())):>10}  ({len(assets)} files)",
              file=stream)
    print(f"wrote {len(pages)} pages, {len(data)} data files and {len(assets)} assets "
          f"({_size(sum(result.written.values()))}) to {result.out} in {result.seconds:.2f} s"
          + ("" if verbose else " (-v lists every file)"), file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the static site from site_src/ and runs/.")
    parser.add_argument("--out", type=Path, default=ROOT / "_site", help="output folder (default: _site/)")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="run records (default: runs/)")
    parser.add_argument("--src", type=Path, default=ROOT / "site_src", help="pages (default: site_src/)")
    parser.add_argument("--models", type=Path, default=ROOT / "battleground" / "train" / "models.py",
                        help="the model source shown on the models page (default: battleground/train/models.py)")
    parser.add_argument("--data-dir", type=Path, help="the MNIST IDX files the network zoo's digit pictures are "
                        "cut from (default: $BATTLEGROUND_DATA_DIR; without either, from the test images stored in "
                        "runs/network-zoo/digits/)")
    parser.add_argument("--strict", action="store_true", help="fail on an investigation page without runs, "
                        "and on prose with script elements, event handlers or javascript: URLs")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every file written")
    parser.add_argument("--serve", action="store_true", help="serve the built site on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="port for --serve (default: 8000)")
    args = parser.parse_args(argv)
    try:
        result = build(args.out, args.runs, args.src, args.models, args.strict, data_dir=args.data_dir)
    except output.OutputError as error:  # an --out that replacing could lose something
        print(f"error: {error}", file=sys.stderr)
        return 1
    except FieldError as error:  # a bad page, run record, split or benchmark file
        print(f"error: {printable(str(error))}", file=sys.stderr)
        print("build failed; nothing was written (the previous site, if any, is unchanged): fix the file named "
              "above, or move it out of the way, and build again", file=sys.stderr)
        return 1
    except DeclarationError as error:  # an experiment module that does not import, or declares wrongly
        print(f"error: {printable(' '.join(str(error).split()))}", file=sys.stderr)
        print("build failed; nothing was written (the previous site, if any, is unchanged): fix the experiment "
              "module named above (`battleground list` checks every one) and build again", file=sys.stderr)
        return 1
    except OSError as error:  # read-only, no permission, not a folder, disk full
        print(f"error: {files.explain(error)}", file=sys.stderr)
        print("build failed; the previous site, if any, is unchanged", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)  # names from runs/ are input
    report(result, verbose=args.verbose)
    if args.serve:
        from battleground.site.serve import serve

        serve(result.out, args.port)
    return 0
