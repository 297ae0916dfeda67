"""Remake the network zoo's stored digit pictures, ``runs/network-zoo/digits/test-images.idx.gz``.

    python scripts/zoo_digits.py --data-dir DIR     # DIR: the MNIST IDX files (or $BATTLEGROUND_DATA_DIR)
    python scripts/zoo_digits.py                    # without either: the hub, as training loads it (torch)

The page shows pictures of its weird and confusing test images. A build given the IDX files
(``--data-dir``) cuts them from those; a plain build reads them from this committed file, which
holds every weird and confusing image of the records as they are now (the galleries show the
first of those), in the format :mod:`battleground.site.zoo_digits` describes. When new runs make
the page show an image the file lacks, the build says so in one line (``--strict`` fails) and
names this command; run it and commit the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from battleground.core import idx  # noqa: E402
from battleground.site import runs, zoo_digits, zoo_page  # noqa: E402

DATASET = "mnist"  # the zoo's data set; its records say so (config.dataset)


def test_images(data_dir: str | None):
    """The data set's test images: from the IDX files of ``data_dir``, else as training loads them."""
    if data_dir:
        folder = idx.idx_folder(data_dir, DATASET)
        return idx.read_idx(next(p for p in (folder / "t10k-images-idx3-ubyte", folder / "t10k-images-idx3-ubyte.gz")
                                 if p.is_file()), idx.IMAGE_MAGIC)
    from battleground.train.data import load_arrays  # the hub (imports torch; the site never does)

    return load_arrays(DATASET).test_images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="the MNIST IDX files (default: $BATTLEGROUND_DATA_DIR; else the hub)")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="run records (default: runs/)")
    parser.add_argument("--investigation", default="network-zoo", help="the zoo (default: network-zoo)")
    args = parser.parse_args(argv)
    from experiments import discover

    spec = discover()[args.investigation]
    data = runs.load_investigation(spec, args.runs, [])
    wanted = zoo_page.gallery_images(zoo_page.view(data, None))
    if not wanted:
        print(f"{args.investigation}: no weird or confusing images yet (no per-image predictions); nothing written")
        return 1
    try:
        images = test_images(args.data_dir or os.environ.get(zoo_page.DATA_DIR_ENV))
    except (idx.DataError, StopIteration) as error:
        print(f"error: no test images: {error or 'no t10k-images-idx3-ubyte[.gz]'}", file=sys.stderr)
        return 1
    if max(wanted) >= len(images):
        print(f"error: the records name test image {max(wanted)}, but there are {len(images)}", file=sys.stderr)
        return 1
    path = zoo_digits.path_in(args.runs, args.investigation)
    size = zoo_digits.write(path, wanted, images[wanted])
    print(f"wrote {path}: {len(wanted)} test images (every weird and confusing one), {size / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
