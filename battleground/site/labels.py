"""Labels in words: how a variant, a device and a quantity read on a page.

A variant's name (``MLP[activation=ReLU-ReLU-sigmoid,widths=100-100-50]``) is for files and
commands. A reader gets words, the same in legends, hovers and tables, because they all ask here:
``ReLU ×2, then sigmoid · 100-100-50``, ``Adam · lr 0.001``, ``StepLR every 30 epochs``.

A variant is read as *aspects*: each model parameter (the family's defaults filled in), and each
training setting it sets, where settings that only mean something together are one aspect (an
optimizer and its momentum, a schedule and its step). A setting a variant leaves unset is not
written (no ``momentum=None``); beside a variant that does set it, it reads as the training
default (``constant lr`` beside ``StepLR every 30 epochs``).
"""

from __future__ import annotations

import re
from typing import Sequence

from battleground.core import catalogue
from battleground.core.config import DEFAULTS, SETTINGS, TrainConfig
from battleground.core.spec import Variant

SEP = " · "  # between a label's aspects
# Training settings read together, as one aspect named by the first.
GROUPS = {
    "optimizer": ("optimizer", "momentum", "weight_decay"),
    "schedule": ("schedule", "step_size", "gamma"),
    "init": ("init", "zero_bias"),
}
GROUPED = {setting: aspect for aspect, settings in GROUPS.items() for setting in settings}
# Training aspects in the order a recipe is told: the data, then how it is optimised.
TRAINING_ORDER = ("problem", "dataset", "optimizer", "lr", "schedule", "init")
INIT_WORDS = {"default": "default init", "kaiming": "He init", "xavier": "Xavier init"}
# provenance.cpu_name writes a CPU as "<model name> (<n> threads)"
_CPU = re.compile(r"^(?P<name>.*\S)\s*\((?P<threads>\d+) threads?\)$")


def number(value) -> str:
    """``1000`` -> ``1,000``; ``0.001`` -> ``0.001``; ``1e-05`` stays as Python writes it."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def runs_of(values: Sequence) -> list[tuple[object, int]]:
    """Consecutive equal values with their counts: ``(a, a, b)`` -> ``[(a, 2), (b, 1)]``."""
    out: list[tuple[object, int]] = []
    for value in values:
        if out and out[-1][0] == value:
            out[-1] = (value, out[-1][1] + 1)
        else:
            out.append((value, 1))
    return out


def activation(value) -> str:
    """``ReLU``; ``no activation``; one per layer: ``ReLU ×9, then sigmoid``."""
    names = value if isinstance(value, tuple) else (value,)
    parts = [("no activation" if name == "none" else str(name)) + (f" ×{n}" if n > 1 else "")
             for name, n in runs_of(names)]
    return ", then ".join(parts)


def layers(value) -> str:
    """Layer sizes: ``10 × 100`` where every layer is as wide, else ``950-50``; one layer ``1 × 1,000``."""
    sizes = value if isinstance(value, tuple) else (value,)
    if len(set(sizes)) == 1:
        return f"{len(sizes)} × {number(sizes[0])}"
    return "-".join(number(size) for size in sizes)


def group_words(aspect: str, settings: dict) -> str:
    """One grouped training aspect in words, from its settings (those unset are the defaults)."""
    if aspect == "optimizer":
        words = str(settings["optimizer"])
        if settings.get("momentum"):
            words += f", momentum {number(settings['momentum'])}"
        if settings.get("weight_decay") is not None:
            words += f", weight decay {number(settings['weight_decay'])}"
        return words
    if aspect == "schedule":
        schedule = settings["schedule"]
        if schedule == "none":
            return "constant lr"
        if schedule == "StepLR":
            gamma = "" if settings.get("gamma") is None else f", ×{number(settings['gamma'])}"
            return f"StepLR every {number(settings.get('step_size'))} epochs{gamma}"
        return f"{schedule} schedule"
    words = INIT_WORDS.get(settings["init"], f"{settings['init']} init")  # init
    return words + (", zero biases" if settings.get("zero_bias") else "")


def words(key: str, value) -> str:
    """One parameter (model or training) in words, its name said wherever the value alone could be
    anything (a number, a flag)."""
    if key == "activation":
        return activation(value)
    if key == "widths":
        return layers(value)
    if key == "channels":
        return f"channels {layers(value)}" if isinstance(value, tuple) else f"{number(value)} channels"
    if key == "dataset":
        found = catalogue.DATASETS.get(value)
        return found.title if found else str(value)
    if isinstance(value, bool):
        return key.replace("_", " ") if value else "no " + key.replace("_", " ")
    if key == "blocks":
        return f"{number(value)} blocks"
    if key == "convs":
        return f"{number(value)} convolutions"
    if key == "branch":
        return f"{value} branch"
    if key == "aux_weight":
        return f"aux. loss ×{number(value)}" if value else "no aux. loss"
    if key == "dropout":
        return f"dropout {number(value)}" if value else "no dropout"
    if key == "problem":
        return str(value).replace("-", " ")
    return f"{key.replace('_', ' ')} {number(value)}"


def aspects(variant: Variant, also: Sequence[str] = (), config: TrainConfig = DEFAULTS) -> dict[str, str]:
    """The variant's aspects in words, by aspect: every model parameter (defaults filled in) and
    every training setting it sets, plus the aspects named in ``also`` read from ``config`` where
    the variant leaves them unset. Model parameters first, the activation leading, then the
    family's order."""
    family = catalogue.FAMILIES.get(variant.family)
    try:
        model = catalogue.check_params(variant.family, variant.model_kwargs) if family else variant.model_kwargs
    except catalogue.CatalogueError:  # a record's variant the catalogue no longer takes: as declared
        model = variant.model_kwargs
    order = [p.name for p in family.params] if family else sorted(model)
    order.sort(key=lambda key: key != "activation")  # what a network computes first, then its shape
    out = {key: words(key, model[key]) for key in order if key in model}
    training = variant.training
    wanted = [GROUPED.get(key, key) for key in training] + [a for a in also if a in SETTINGS or a in GROUPS]
    ranked = sorted(dict.fromkeys(wanted), key=lambda a: TRAINING_ORDER.index(a) if a in TRAINING_ORDER else len(TRAINING_ORDER))
    for aspect in ranked:
        if aspect in out:
            continue
        if aspect in GROUPS:
            settings = {key: training.get(key, getattr(config, key)) for key in GROUPS[aspect]}
            out[aspect] = group_words(aspect, settings)
        else:
            out[aspect] = words(aspect, training.get(aspect, getattr(config, aspect)))
    return out


def full(variant: Variant, config: TrainConfig = DEFAULTS) -> str:
    """Everything about the variant in words: ``MLP · ReLU · 1 × 1,000 · Adam · lr 0.001``. A model
    parameter left at its family's default is not said (no ``no batch norm · no dropout``), except
    the activation, which says what the network computes."""
    family = catalogue.FAMILIES.get(variant.family)
    defaults = {p.name: p.default for p in family.params} if family else {}
    said = {key: text for key, text in aspects(variant, config=config).items()
            if key == "activation" or key in variant.kwargs or key not in defaults}
    return SEP.join([variant.family, *said.values()])


def _differing(variants: Sequence[Variant], config: TrainConfig) -> dict[str, list[str]]:
    """Each variant's words for the aspects that differ among ``variants`` (of one family)."""
    keys = list(dict.fromkeys(k for v in variants for k in aspects(v, config=config)))
    read = {v.name: aspects(v, keys, config) for v in variants}
    varying = [k for k in keys if len({read[v.name].get(k) for v in variants}) > 1]
    return {v.name: [read[v.name][k] for k in varying if k in read[v.name]] for v in variants}


def labels(variants: Sequence[Variant], config: TrainConfig = DEFAULTS) -> dict[str, str]:
    """Short labels, by variant name: what sets each variant apart from the others, in words
    (``ReLU · depth 3`` beside ``tanh · depth 3``). Variants of several families start with their
    family. One variant alone reads in full (:func:`full`). Should two labels still read alike,
    every variant reads in full."""
    if len(variants) <= 1:
        return {v.name: full(v, config) for v in variants}
    families = list(dict.fromkeys(v.family for v in variants))
    out = {}
    for family in families:
        group = [v for v in variants if v.family == family]
        apart = _differing(group, config) if len(group) > 1 else {group[0].name: []}
        for name, parts in apart.items():
            out[name] = SEP.join(([family] if len(families) > 1 else []) + parts) or family
    if len(set(out.values())) == len(out):
        return out
    full_words = {v.name: full(v, config) for v in variants}
    return full_words if len(set(full_words.values())) == len(full_words) else {v.name: v.name for v in variants}


def against(variant: Variant, baseline: Variant, config: TrainConfig = DEFAULTS) -> str:
    """What ``variant`` changes from ``baseline``, in words, as the variant has it: ``ReLU · lr
    0.01``; ``same settings`` where nothing differs (one function under two names)."""
    if variant.family != baseline.family:
        return full(variant, config)
    return SEP.join(_differing([baseline, variant], config)[variant.name]) or "same settings"


def unbroken(label: str) -> str:
    """``label`` with the spaces inside each aspect made non-breaking where they hold a quantity
    together (``1 × 1,000``, ``every 20 epochs``), so a narrow column breaks a label between its
    aspects, never inside a quantity; cheaper than markup per aspect in a table of 72 variants.
    An aspect may still break after its commas (``ReLU ×9, then sigmoid``) and between two plain
    words (``StepLR every``): unbroken, the longest aspect sets the column's width."""
    return SEP.join(_SPACE.sub(_space, part) for part in label.split(SEP))


_SPACE = re.compile(r"(\S) (?=(\S))")


def _space(match: re.Match) -> str:
    """A space that may break (after a comma, between two words of letters) or one that holds a
    quantity together because a digit or a symbol stands next to it (``lr 0.01``, ``10 × 100``)."""
    before, after = match[1], match[2]
    breaks = before == "," or (before.isalpha() and after.isalpha())
    return before + (" " if breaks else "\u00a0")


def device(text: str) -> str:
    """A recorded device as a reader says it: ``AMD EPYC (1 threads)`` -> ``AMD EPYC, 1 thread``;
    a GPU's name as it is."""
    match = _CPU.match(text)
    if not match:
        return text
    threads = int(match["threads"])
    return f"{match['name']}, {threads} thread{'s' if threads != 1 else ''}"


def quantity(value: float | None, unit: str = "") -> str:
    """``19176000000, "FLOPs"`` -> ``19.18 GFLOPs``: three or four significant digits, an SI
    prefix, and a space between number and unit; ``–`` for no value."""
    if value is None:
        return "–"
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}{unit}".rstrip()
    return f"{value:.4g} {unit}".rstrip()


__all__ = ["GROUPS", "SEP", "activation", "against", "aspects", "device", "full", "labels", "layers", "number",
           "quantity", "unbroken", "words"]
