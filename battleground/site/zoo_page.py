"""The network zoo's page element: ``{{ zoo: <part> }}``, one part of the analysis each.

The parts (:data:`PARTS`): ``runs`` (what ran, where, and the grid of cells), ``classes`` (how many
networks passed each mark after each epoch), ``strategy`` (every network as a point, per
computation kind or activation), ``digits`` (easy, weird and confusing images, the latter two as
pictures), ``best`` (the best network's percentile per class and its cost against Basic),
``ensembles`` (majority votes of k networks) and ``late`` (networks that learned late). Every
number and every sentence comes from the records (``battleground.site.zoo_analysis``), so new runs
change the prose with the numbers. The digit pictures are PNG files cut at build time from the
IDX test images of ``--data-dir`` (or ``$BATTLEGROUND_DATA_DIR``), or, without either, from the
test images committed beside the records (:mod:`.zoo_digits`): :func:`view` reads them, with
everything else, when the context is built; rendering reads the view alone.

All of the element's logic lives here; the element module (:mod:`.elements.zoo`) only names
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from battleground.core import catalogue, idx, zoo
from battleground.site import labels, png, zoo_digits
from battleground.site import zoo_analysis as za
from battleground.site.charts import inline_json
from battleground.site.context import SiteError

KIND = "zoo"
PARTS = ("runs", "classes", "strategy", "digits", "best", "ensembles", "late")
DATA_DIR_ENV = "BATTLEGROUND_DATA_DIR"
SHOWN_DIGITS = 48  # pictures per gallery at most; the counts say how many there are
# The original write-up's numbers, which the page compares with ours
ORIGINAL = {"best": 0.991, "easy": 4247, "weird": 8, "confusing": 5, "images": 10_000, "networks": 1000}
METRICS = (("accuracy", "validation accuracy after the last epoch", False),
           ("seconds", "training time (s)", True), ("weights", "weights", True),
           ("memory", "memory (elements of every intermediate tensor, one input)", True),
           ("flops", "training FLOPs (complete count)", True))


def digit_path(investigation: str, image: int) -> str:
    return f"data/{investigation}/digits/{image}.png"


@dataclass
class ZooView:
    """Everything the parts show, computed once per build."""

    investigation: str
    networks: list[za.Network]
    basics: list[za.Network]
    declared_networks: int
    declared_basics: int
    cells: dict[tuple[str, str], int]
    declared_cells: dict[tuple[str, str], int]
    # complete runs left out for training on other images than the zoo declares (a first pass on
    # part of the training set): networks, Basic seeds, and the training images they used
    left_out: tuple[int, int, tuple[int, ...]] = (0, 0, ())
    images: np.ndarray | None = None  # test-image index of each image, validation then test
    labels: np.ndarray | None = None
    verdicts: za.Verdicts | None = None
    voters: int = 0
    test_labels: np.ndarray | None = None
    pictures: dict[int, bytes] = field(default_factory=dict)  # test-image index -> PNG
    picture_note: str | None = None
    # the stored pictures (zoo_digits) lack some the page shows: where, and which test images
    stale: tuple[Path, list[int]] | None = None


def view(inv, data_dir: Path | str | None, runs_dir: Path | str | None = None) -> ZooView:
    """The zoo's numbers for the investigation's data ``inv`` (with the split file read with its
    runs), and the pictures of its digits cut from the IDX files of ``data_dir``, else from those
    stored in ``runs_dir`` (:mod:`.zoo_digits`); made once, when the context is built."""
    shown, others = at_declared_scale([run.record for run in inv.runs], inv.spec.config.train_size)
    networks, basics = za.zoo_networks(shown)
    declared = [v for v in inv.spec.variants if v.family != catalogue.ZOO_BASELINE]
    basic = next((v for v in inv.spec.variants if v.family == catalogue.ZOO_BASELINE), None)
    declared_cells: dict[tuple[str, str], int] = {}
    for v in declared:
        key = (zoo.computation_of(v.family), v.kwargs.get("activation"))
        declared_cells[key] = declared_cells.get(key, 0) + 1
    cells = {key: 0 for key in declared_cells}
    for n in networks:
        cells[(n.computation, n.activation)] = cells.get((n.computation, n.activation), 0) + 1
    made = ZooView(inv.spec.name, networks, basics, len(declared), len(inv.spec.seeds_of(basic)) if basic else 0,
                   cells, declared_cells)
    left = [r for r in others if r["status"] == "complete"]  # counted only: no need to read their predictions
    left_basics = sum(r["model"]["family"] == catalogue.ZOO_BASELINE for r in left)
    images = {(r.get("data") or {}).get("train_images") or r["config"].get("train_size") for r in left}
    made.left_out = (len(left) - left_basics, left_basics, tuple(sorted(i for i in images if i)))
    voters = [n for n in networks + basics[:1] if n.val is not None]
    kept = next((found for found in map(inv.split_of, inv.runs) if found is not None), None)
    if voters and kept is not None:
        made.images = np.array(kept["val"] + kept["test"])
        made.labels = np.array(kept["val_labels"] + kept["test_labels"])
        made.test_labels = np.array(kept["test_labels"])
        table = np.stack([np.concatenate([n.val, n.test]) for n in voters])
        if table.shape[1] == len(made.labels):
            made.verdicts, made.voters = za.verdicts(table, made.labels), len(voters)
            _cut_pictures(made, data_dir, runs_dir)
    return made


def at_declared_scale(run_records: list[dict], train_size: int | None) -> tuple[list[dict], list[dict]]:
    """``(shown, left out)``: the records trained on the images the zoo declares (``train_size``;
    None, every image) once any are, so that a rerun of a first pass on part of the training set
    is never counted with it; until then every record, since there is nothing else to show."""
    declared = [r for r in run_records if r["config"].get("train_size") == train_size]
    if not declared:
        return run_records, []
    return declared, [r for r in run_records if r["config"].get("train_size") != train_size]


def _cut_pictures(made: ZooView, data_dir, runs_dir) -> None:
    wanted = [int(made.images[i]) for i in _shown(made, "weird") + _shown(made, "confusing")]
    if not wanted:
        return
    if not data_dir:
        _stored_pictures(made, wanted, runs_dir)
        return
    try:
        folder = idx.idx_folder(data_dir, "mnist")
        path = next(p for p in (folder / "t10k-images-idx3-ubyte", folder / "t10k-images-idx3-ubyte.gz") if p.is_file())
        images = idx.read_idx(path, idx.IMAGE_MAGIC)
    except (idx.DataError, StopIteration) as error:
        made.picture_note = f"no pictures: {error}"
        return
    made.pictures = {i: png.grayscale_png(images[i]) for i in wanted if i < len(images)}


def _stored_pictures(made: ZooView, wanted: list[int], runs_dir) -> None:
    """The pictures from the committed test images (a damaged file is a ``SiteError``); those it
    lacks are left out, and :func:`check` reports them."""
    path = zoo_digits.path_in(runs_dir, made.investigation) if runs_dir is not None else None
    stored = (zoo_digits.read(path) if path is not None else None) or {}
    made.pictures = {i: png.grayscale_png(stored[i]) for i in wanted if i in stored}
    missing = [i for i in wanted if i not in stored]
    if missing:
        made.stale = (path, missing) if path is not None else None
        made.picture_note = (f"{len(missing)} of these {len(wanted)} pictures are missing from this build "
                             "of the site.")


def check(made: ZooView, strict: bool, warnings: list[str]) -> None:
    """One line for a build whose stored pictures lack some the page shows, naming the command
    that remakes them; with ``strict`` (``--strict``) it is an error."""
    if made.stale is None:
        return
    path, missing = made.stale
    shown = ", ".join(f"#{i}" for i in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    advice = f"remake it with `{zoo_digits.REFRESH}`, or build with --data-dir DIR"
    if strict:
        raise SiteError(path, "indices", f"every test image the {made.investigation} page shows (--strict); "
                        + advice, f"{len(missing)} missing: {shown}")
    where = "is missing" if not path.exists() else f"lacks {len(missing)} of the test images the page shows ({shown})"
    warnings.append(f"{path}: {where}, so the {made.investigation} page leaves those digit pictures out; {advice}")


def _shown(made: ZooView, kind: str) -> list[int]:
    """Positions (in validation-then-test order) of the images a gallery shows: the weird ones with
    the strongest wrong agreement first, the confusing ones with the weakest top answer first."""
    if made.verdicts is None:
        return []
    counted = made.verdicts.votes
    chosen = getattr(made.verdicts, kind)
    strength = counted[chosen].max(axis=1)
    order = np.argsort(-strength if kind == "weird" else strength, kind="stable")
    return [int(chosen[i]) for i in order[:SHOWN_DIGITS]]


def gallery_images(made: ZooView) -> list[int]:
    """The test-image index of every image a gallery can show (every weird and every confusing
    one, shown or not): what ``scripts/zoo_digits.py`` stores."""
    if made.verdicts is None:
        return []
    return sorted({int(made.images[i]) for i in np.concatenate([made.verdicts.weird, made.verdicts.confusing])})


def files(made: ZooView) -> dict[str, bytes]:
    """The digit pictures the page shows, by path in the site."""
    return {digit_path(made.investigation, image): data for image, data in made.pictures.items()}


# --- formatting ---------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _amount(value: float) -> str:
    """A count in full (``203,530``), a large one with a prefix (``2.46 G``), seconds to 3 digits."""
    if isinstance(value, int) and value < 10_000_000:
        return f"{value:,}"
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6)):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g}"


def _ratio(value: float) -> str:
    return f"{value:,.0f}x" if value >= 100 else f"{value:.3g}x"


def _accuracy_matrix(networks: list[za.Network]) -> np.ndarray:
    epochs = min((len(n.accuracy) for n in networks), default=0)
    return np.array([n.accuracy[:epochs] for n in networks]).reshape(len(networks), epochs)


# --- the parts ----------------------------------------------------------------------------------


def part_runs(made: ZooView) -> dict:
    devices = sorted({labels.device(n.device) for n in made.networks + made.basics})
    train = sorted({n.train_images for n in made.networks + made.basics if n.train_images})
    epochs = sorted({len(n.accuracy) for n in made.networks + made.basics})
    computations = list(catalogue.ZOO_COMPUTATIONS)
    rows = [{"computation": c, "cells": [f"{made.cells.get((c, a), 0)} / {made.declared_cells.get((c, a), 0)}"
                                         for a in catalogue.ZOO_ACTIVATIONS]} for c in computations]
    ran = [made.cells.get(key, 0) for key in made.declared_cells]
    sentences = [f"{_n(len(made.networks))} of the {_n(made.declared_networks)} declared networks have a complete "
                 f"record, and {_n(len(made.basics))} of the {_n(made.declared_basics)} seeds of Basic."]
    if ran:
        sentences.append(f"Every cell of the grid holds between {min(ran)} and {max(ran)} trained networks.")
    if devices:
        sentences.append("They trained on " + "; ".join(devices) + ", "
                         + " or ".join(_n(t) for t in train) + " training images, "
                         + " or ".join(map(str, epochs)) + (" epoch" if epochs == [1] else " epochs") + " each.")
    networks, basics, images = made.left_out
    if networks or basics:
        sentences.append(f"Left out of this page's tables and charts: {_n(networks)} "
                         f"network{'s' if networks != 1 else ''} and {_n(basics)} Basic "
                         f"seed{'s' if basics != 1 else ''} trained on " + " or ".join(_n(t) for t in images)
                         + " training images, " + (f"where those above trained on {' or '.join(_n(t) for t in train)}."
                                                   if train else "not as the zoo declares."))
    return {"sentences": sentences, "activations": catalogue.ZOO_ACTIVATIONS, "rows": rows}


def part_classes(made: ZooView) -> dict:
    accuracy = _accuracy_matrix(made.networks)
    if not len(made.networks) or not accuracy.shape[1]:
        return {"sentences": [], "rows": [], "thresholds": []}
    counts = za.threshold_counts(accuracy)
    rows = [{"epoch": e + 1, "counts": [_n(int(c)) for c in counts[e]]} for e in range(len(counts))]
    last, first = counts[-1], counts[0]
    i95 = za.THRESHOLDS.index(0.95)
    later = f" and {_n(int(last[0]))} after epoch {len(counts)}" if len(counts) > 1 else ""
    sentences = [f"Of {_n(len(made.networks))} networks, {_n(int(first[0]))} reached 80% after the first epoch"
                 f"{later}; after the last, {_n(int(last[i95]))} reached 95%, {_n(int(last[-2]))} 99% and "
                 f"{_n(int(last[-1]))} 100%."]
    return {"sentences": sentences, "rows": rows, "thresholds": [f"≥ {100 * t:g}%" for t in za.THRESHOLDS]}


def part_strategy(made: ZooView) -> dict:
    networks = made.networks
    accuracy = _accuracy_matrix(networks)
    gold = za.gold_stars(accuracy) if len(networks) and accuracy.shape[1] else np.zeros(0, bool)
    data = {
        "names": [n.name for n in networks],
        "computation": [n.computation for n in networks],
        "activation": [n.activation for n in networks],
        "accuracy": [round(n.accuracy[-1], 4) for n in networks],
        "seconds": [round(n.seconds, 2) for n in networks],
        "weights": [n.weights for n in networks],
        "memory": [n.memory for n in networks],
        "flops": [float(f"{n.flops:.4g}") for n in networks],
        "gold": [int(i) for i in np.flatnonzero(gold)],
        "order": {"computation": list(catalogue.ZOO_COMPUTATIONS), "activation": list(catalogue.ZOO_ACTIVATIONS)},
        "metrics": [{"key": k, "title": t, "log": log} for k, t, log in METRICS],
    }
    sentences = []
    if len(networks):
        best_kind = max(catalogue.ZOO_COMPUTATIONS, key=lambda c: _median([n.accuracy[-1] for n in networks
                                                                           if n.computation == c]))
        sentences.append(f"{_n(int(gold.sum()))} networks earned a gold star (≥ {za.GOLD_EVERY_EPOCH:.0%} after "
                         f"every epoch, ≥ {za.GOLD_LAST:.0%} after the last). By median final accuracy the "
                         f"best computation kind is {best_kind}.")
    return {"sentences": sentences, "json": inline_json(data), "metrics": METRICS}


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else -1.0


def part_digits(made: ZooView) -> dict:
    if made.verdicts is None:
        return {"sentences": ["No per-image predictions recorded yet."], "galleries": [], "note": None}
    v, images = made.verdicts, len(made.labels)
    scale = ORIGINAL["images"] / images
    more_or_fewer = "more" if len(v.easy) * scale > ORIGINAL["easy"] else "fewer"
    sentences = [
        f"Of {_n(images)} images, {_n(len(v.easy))} are easy (all {_n(made.voters)} networks answer them "
        f"right), {_n(len(v.weird))} weird (more than {za.WEIRD_SHARE:.0%} give one and the same wrong "
        f"answer) and {_n(len(v.confusing))} confusing (no answer has a majority).",
        f"The original counted {_n(ORIGINAL['easy'])} easy, {ORIGINAL['weird']} weird and {ORIGINAL['confusing']} "
        f"confusing images of {_n(ORIGINAL['images'])} with {_n(ORIGINAL['networks'])} networks; here, "
        f"scaled to {_n(ORIGINAL['images'])} images, {more_or_fewer} are easy."
        # easy means every voter is right: fewer voters make that bar lower, so more images pass it
        + ((f" An easy image is one that all the networks answer right, and {_n(made.voters)} networks "
            f"rather than {_n(ORIGINAL['networks'])} give an image fewer chances to be missed, which by "
            f"itself would make more images easy"
            + (": the two counts are not directly comparable." if more_or_fewer == "more"
               else "; even so, fewer are easy here."))
           if made.voters < ORIGINAL["networks"] else ""),
    ]
    galleries = []
    for kind, title in (("weird", "Weird digits: the networks agree on a wrong answer"),
                        ("confusing", "Confusing digits: no answer has a majority")):
        shown = _shown(made, kind)
        cards = []
        for position in shown:
            image = int(made.images[position])
            counted = v.votes[position]
            top = np.argsort(-counted, kind="stable")[:3]
            cards.append({"src": digit_path(made.investigation, image) if image in made.pictures else None,
                          "image": image, "label": int(made.labels[position]),
                          "votes": [(int(c), _pct(counted[c] / made.voters, 0)) for c in top if counted[c]]})
        total = len(getattr(v, kind))
        galleries.append({"kind": kind, "title": title, "cards": cards,
                          "caption": f"{_n(total)} images" + (f", the first {len(shown)} shown" if total > len(shown) else "")})
    return {"sentences": sentences, "galleries": galleries, "note": made.picture_note}


def _best(made: ZooView) -> tuple[int, list[za.Network]] | None:
    everyone = made.networks + made.basics[:1]
    if not everyone:
        return None
    return max(range(len(everyone)), key=lambda i: (everyone[i].accuracy[-1], -i)), everyone


def part_best(made: ZooView) -> dict:
    found = _best(made)
    if found is None:
        return {"sentences": [], "classes": [], "costs": []}
    i, everyone = found
    best = everyone[i]
    word = "above" if best.test_accuracy > ORIGINAL["best"] else "below" if best.test_accuracy < ORIGINAL["best"] else "level with"
    sentences = [f"The best network by validation accuracy is {best.name}: {_pct(best.accuracy[-1], 2)} on validation "
                 f"and {_pct(best.test_accuracy, 2)} on the held-out test images, {word} the original's best "
                 f"({_pct(ORIGINAL['best'])})."]
    classes = []
    with_test = [n for n in everyone if n.test is not None]
    if best.test is not None and made.test_labels is not None and len(made.test_labels) == len(best.test):
        table = za.class_accuracy(np.stack([n.test for n in with_test]), made.test_labels)
        ranks = za.percentiles(table, with_test.index(best))
        classes = [{"digit": c, "accuracy": _pct(table[with_test.index(best), c]), "percentile": f"{ranks[c]:.0f}"}
                   for c in range(za.CLASSES)]
    costs = []
    if made.basics:
        basic = made.basics[0]
        for label, ours, theirs in (("weights", best.weights, basic.weights), ("memory", best.memory, basic.memory),
                                    ("training time (s)", best.seconds, basic.seconds),
                                    ("training FLOPs", best.flops, basic.flops)):
            if ours is not None and theirs:
                costs.append({"what": label, "best": _amount(ours), "basic": _amount(theirs),
                              "ratio": _ratio(ours / theirs)})
    return {"sentences": sentences, "classes": classes, "costs": costs}


def part_ensembles(made: ZooView) -> dict:
    labels = made.test_labels
    basics = [n.test for n in made.basics if n.test is not None]
    pool = [n.test for n in made.networks if n.test is not None]
    found = _best(made)
    if labels is None or not basics or found is None or found[1][found[0]].test is None:
        return {"sentences": ["No per-image predictions recorded yet."], "json": None}
    best = found[1][found[0]]
    target = za.accuracy_of(best.test, labels)
    basic_curve = za.first_k_curve(np.stack(basics), labels)
    zoo_curve = za.random_k_curve(np.stack(pool), labels) if pool else {}
    data = {"basic": basic_curve, "zoo": zoo_curve, "best": target, "best_name": best.name}
    sentences = []
    for what, curve in (("Basic networks", basic_curve),
                        (f"random zoo networks (the mean of {za.ENSEMBLE_DRAWS} draws for each k)", zoo_curve)):
        if not curve:
            continue
        k = za.smallest_k_reaching(curve, target)
        top = max(curve, key=lambda key: (curve[key], -key))
        sentences.append(f"A majority vote of {what} " + (
            f"matches the best single network ({_pct(target, 2)}) from k = {k}." if k is not None else
            f"never matches the best single network ({_pct(target, 2)}) up to k = {max(curve)}; "
            f"its best is {_pct(curve[top], 2)} at k = {top}."))
    return {"sentences": sentences,
            "json": inline_json({key: ({str(k): round(v, 5) for k, v in value.items()} if isinstance(value, dict)
                                       else value) for key, value in data.items()})}


def part_late(made: ZooView) -> dict:
    accuracy = _accuracy_matrix(made.networks)
    if accuracy.shape[1] < 3:
        return {"sentences": ["Late learners need runs of three epochs or more."], "rows": []}
    late = np.flatnonzero(za.late_learners(accuracy))
    rows = [{"name": made.networks[i].name, "accuracy": [_pct(a) for a in accuracy[i]]} for i in late]
    sentences = [f"{_n(len(late))} networks were below {za.LATE_BAD:.0%} after each of the first two epochs and "
                 f"reached {za.LATE_GOOD:.0%} after epoch {accuracy.shape[1]}."]
    return {"sentences": sentences, "rows": rows, "epochs": list(range(1, accuracy.shape[1] + 1))}


PART_VIEWS = {"runs": part_runs, "classes": part_classes, "strategy": part_strategy, "digits": part_digits,
              "best": part_best, "ensembles": part_ensembles, "late": part_late}


def render(env, part: str, made: ZooView) -> str:
    """One part's HTML (``templates/zoo.html``)."""
    return env.get_template("zoo.html").render(part=part, view=PART_VIEWS[part](made))


def check_part(part: str | None) -> str | None:
    """None if ``part`` names a part, else what was expected (for the placeholder's error)."""
    return None if part in PARTS else "a part of the zoo's analysis: " + ", ".join(PARTS)
