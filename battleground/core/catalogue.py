"""The catalogue: every name a declaration may use, in one torch-free table.

Data sets, problems, model families and their parameters, activations, optimizers, learning-rate
schedules and weight initialisations. The trainer builds what is named here (``battleground.train``
maps each name to its torch object, and a test checks the two agree); declarations are checked
against it where they are written (``battleground.core.spec.variant``, ``TrainConfig``), so a typo
fails in ``battleground list``, naming the valid choices, not hours into a sweep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from battleground.core.values import is_finite_number, is_whole


class CatalogueError(ValueError):
    """A declaration that names something the catalogue does not hold, or a value of the wrong kind."""


@dataclass(frozen=True)
class DataSet:
    name: str
    hub_repo: str  # the Hugging Face hub's copy, the default source
    classes: int
    image_shape: tuple[int, int, int]  # channels, height, width of one image
    title: str = ""  # as the site names it

    def __post_init__(self):
        object.__setattr__(self, "title", self.title or self.name)


DATASETS = {
    "mnist": DataSet("mnist", "ylecun/mnist", 10, (1, 28, 28), "MNIST"),
    "fashion-mnist": DataSet("fashion-mnist", "zalando-datasets/fashion_mnist", 10, (1, 28, 28), "Fashion-MNIST"),
}


SUMMARIES = ("final", "best", "test")  # how a run can be summarised by one value of a metric


@dataclass(frozen=True)
class Metric:
    """What a problem measures each epoch on the validation images (the record's epoch column
    ``val_<name>``), declared once: records are checked against it and every page reads its
    label, unit and direction from it (:mod:`battleground.core.outcomes`)."""

    name: str  # the epoch column is val_<name>; a test value, where kept, is the field test_<name>
    label: str  # as a page names it: "accuracy"
    short: str  # as a narrow column header names it: "acc."
    unit: str  # "fraction" (shown as a percentage) or a unit's symbol; "" for a pure number
    low: float  # the smallest value it can take
    high: float | None  # the largest, or None for no bound
    higher_is_better: bool
    summaries: tuple[str, ...] = SUMMARIES  # which of SUMMARIES a run is summarised by
    # whether guessing scores one over the number of classes: "still at chance" is then a state
    chance_is_one_in_classes: bool = False

    @property
    def column(self) -> str:
        return f"val_{self.name}"

    def holds(self, value) -> bool:
        """Whether ``value`` (a number) is in the metric's range."""
        return self.low <= value and (self.high is None or value <= self.high)

    @property
    def expected(self) -> str:
        """The range as a message says it."""
        if self.high is None:
            return f"a number >= {self.low:g}"
        kind = "a fraction" if self.unit == "fraction" else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"


ACCURACY = Metric("accuracy", "accuracy", "acc.", "fraction", 0.0, 1.0, higher_is_better=True,
                  chance_is_one_in_classes=True)
# Every problem's training and validation loss (the epoch columns train_loss and val_loss).
LOSS = Metric("loss", "loss", "loss", "", 0.0, None, higher_is_better=False, summaries=("final",))


# What a problem predicts for each image -> how a record keeps the final model's predictions
# (``battleground.core.records.encode_predictions``): a class in one byte, a value in a float32.
PREDICTIONS = {"class": "uint8", "value": "float32"}


@dataclass(frozen=True)
class Problem:
    name: str
    what: str
    pairs: bool  # whether an input is two images (N, 2, H, W) rather than one (N, 1, H, W)
    # what it measures each epoch; the first is its headline (what "final", "best" and "test"
    # mean without a metric's name, what charts plot and tables sort by)
    metrics: tuple[Metric, ...] = (ACCURACY,)
    predicts: str = "class"  # a key of PREDICTIONS: a class (the record's ``classes``) or a value
    # The model families it trains besides those whose ``Family.problems`` name it: a problem
    # declared outside the package names the families it fits here.
    families: tuple[str, ...] = ()
    # Where the torch side finds the problem's training code, for a problem declared outside the
    # package: called only when training, it returns a subclass of
    # ``battleground.train.problems.Problem`` (so the declaration, which the site reads, needs no torch).
    trainer: Callable[[], type] | None = None

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def headline(self) -> Metric:
        return self.metrics[0]

    @property
    def classifies(self) -> bool:
        return self.predicts == "class"


PROBLEMS = {
    "classify": Problem("classify", "the class of one image", pairs=False),
    "digit-pairs": Problem("digit-pairs", "whether the first of two images has the greater class "
                           "(1 if greater, 0 if not, ties included)", pairs=True, metrics=(
                               ACCURACY,
                               # of both images' digits, from the model's digit logits; null without them
                               Metric("digit_accuracy", "digit accuracy", "digit acc.", "fraction", 0.0, 1.0,
                                      higher_is_better=True, summaries=("final", "best")))),
}

BUILT_IN_PROBLEMS = tuple(PROBLEMS)
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")  # the epoch column val_<name> is a record's column name


def register_problem(problem: Problem) -> Problem:
    """Add ``problem``, declared outside the package (an experiment module), to :data:`PROBLEMS`,
    so that configs may name it, records of it validate and pages show its metrics. Declaring it
    again (each discovery imports the module anew) replaces it; a built-in problem's name, a
    metric named twice or a declaration that cannot be trained is a :class:`CatalogueError`."""
    where = f"problem {problem.name!r}"
    if problem.name in BUILT_IN_PROBLEMS:
        raise CatalogueError(f"{where} is built in; name yours otherwise")
    if not re.fullmatch(r"[a-z][a-z0-9-]*", problem.name):
        raise CatalogueError(f"{where}: expected a name of lower-case letters, digits and '-'")
    if problem.predicts not in PREDICTIONS:
        raise CatalogueError(f"{where}: predicts must be one of {', '.join(PREDICTIONS)}, found {problem.predicts!r}")
    names = [m.name for m in problem.metrics]
    if not names or len(set(names)) != len(names) or "loss" in names:
        raise CatalogueError(f"{where}: expected one or more metrics, each named once (loss is every problem's)")
    for metric in problem.metrics:
        if not isinstance(metric, Metric) or not _METRIC_NAME.match(metric.name):
            raise CatalogueError(f"{where}: metric {getattr(metric, 'name', metric)!r}: expected a Metric named in "
                                 "lower-case letters, digits and '_'")
        if not set(metric.summaries) <= set(SUMMARIES):
            raise CatalogueError(f"{where}: metric {metric.name!r}: summaries must be among {', '.join(SUMMARIES)}")
    if "test" not in problem.headline.summaries:
        raise CatalogueError(f"{where}: its first metric, the headline, needs the 'test' summary "
                             "(a complete run is tested on it)")
    unknown = [f for f in problem.families if f not in FAMILIES]
    if unknown:
        raise CatalogueError(f"{where}: unknown model families {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    if not callable(problem.trainer):
        raise CatalogueError(f"{where}: expected trainer, a function returning its torch-side Problem class")
    PROBLEMS[problem.name] = problem
    return problem


def trains(family: str, problem: str) -> bool:
    """Whether model family ``family`` can be trained on ``problem`` (both in the catalogue)."""
    return problem in FAMILIES[family].problems or family in PROBLEMS[problem].families


ACTIVATIONS = ("none", "ReLU", "ELU", "LeakyReLU", "PReLU", "SiLU", "sigmoid", "tanh", "SELU", "GELU")

OPTIMIZERS = {  # name -> what it is; each takes config.lr, and config.weight_decay where set
    "SGD": "torch.optim.SGD; config.momentum > 0 gives SGD with momentum",
    "Adam": "torch.optim.Adam, PyTorch's betas and eps",
    "AdamW": "torch.optim.AdamW (decoupled weight decay, PyTorch's default 0.01)",
}

SCHEDULES = {  # name -> what it is; stepped once per epoch, after the epoch
    "none": "a constant learning rate",
    "StepLR": "torch.optim.lr_scheduler.StepLR: lr x gamma every step_size epochs",
    "cosine": "torch.optim.lr_scheduler.CosineAnnealingLR over the run's planned epochs",
}

INITS = {  # name -> what it is; applied to linear and convolution weights after building the model
    "default": "PyTorch's default initialisation of each layer",
    "kaiming": "He (Kaiming) normal, fan-in, gain for ReLU",
    "xavier": "Xavier (Glorot) uniform",
}


# --- model families and their parameters --------------------------------------------------------


def _activation(value) -> bool:
    return isinstance(value, str) and value in ACTIVATIONS


def _activations(value) -> bool:
    return _activation(value) or (isinstance(value, tuple) and len(value) > 0 and all(map(_activation, value)))


SIAMESE_BRANCHES = ("ConvNet", "ResNet")  # the families a SiameseNet may apply to each image

KINDS = {  # a parameter's kind -> (what it must be, the check)
    "count": ("a whole number >= 0", lambda v: is_whole(v) and v >= 0),
    "size": ("a positive whole number", lambda v: is_whole(v) and v > 0),
    "widths": ("a tuple of positive whole numbers, e.g. (256, 128)",
               lambda v: isinstance(v, tuple) and len(v) > 0 and all(is_whole(w) and w > 0 for w in v)),
    "activation": ("one of " + ", ".join(ACTIVATIONS), _activation),
    "activations": ("one of " + ", ".join(ACTIVATIONS) + ", or a tuple of them, one per hidden layer",
                    _activations),
    "flag": ("True or False", lambda v: isinstance(v, bool)),
    "number": ("a number", is_finite_number),
    "fraction": ("a number from 0 up to (not including) 1", lambda v: is_finite_number(v) and 0 <= v < 1),
    "convs": ("3 or 4 (the fourth convolution maps to the classes)", lambda v: is_whole(v) and v in (3, 4)),
    "odd": ("an odd whole number >= 1", lambda v: is_whole(v) and v > 0 and v % 2 == 1),
    "branch": ("one of " + ", ".join(SIAMESE_BRANCHES), lambda v: isinstance(v, str) and v in SIAMESE_BRANCHES),
}
REQUIRED = object()  # the default of a parameter a variant must set


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # a key of KINDS
    default: Any = REQUIRED

    @property
    def expected(self) -> str:
        return KINDS[self.kind][0]


@dataclass(frozen=True)
class Family:
    name: str
    what: str
    params: tuple[Param, ...]
    problems: tuple[str, ...] = ("classify", "digit-pairs")  # the problems it can be trained on

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


FAMILIES = {f.name: f for f in (
    Family("SimpleNet2", "an MLP of equal-width layers", (
        Param("depth", "count"), Param("width", "size", 100), Param("activation", "activation", "ReLU"))),
    Family("LeNet5", "LeNet-5 with average pooling", (Param("activation", "activation", "tanh"),)),
    Family("MLP", "an MLP with a width per hidden layer and one activation or one per layer, "
           "optionally batch normalisation and dropout after each", (
        Param("widths", "widths"), Param("activation", "activations", "ReLU"),
        Param("batch_norm", "flag", False), Param("dropout", "fraction", 0.0))),
    Family("ResidualMLP", "an MLP of residual blocks h + act(W h)", (
        Param("width", "size", 100), Param("blocks", "count", 2), Param("activation", "activation", "ReLU"))),
    Family("ConvNet", "three convolutions (kernels 3, 5, 5; 8, 16, 16 channels) then a linear layer, or a "
           "fourth convolution to the classes", (
        Param("convs", "convs", 3), Param("batch_norm", "flag", False), Param("activation", "activation", "ReLU"))),
    Family("ResNet", "a 1 x 1 convolution, residual blocks of two batch-normalised convolutions with a skip, "
           "the mean of each channel, a linear layer", (
        Param("channels", "size", 12), Param("blocks", "count", 6), Param("kernel", "odd", 5),
        Param("batch_norm", "flag", True))),
    Family("SiameseNet", "one branch (a ConvNet or a ResNet), weights shared, gives each of two images ten "
           "digit logits; a linear layer reads both", (
        Param("branch", "branch", "ConvNet"),), problems=("digit-pairs",)),
    Family("Conv1dNet", "1-D convolutions along the image's rows, each row's pixels as channels", (
        Param("channels", "size", 32), Param("activation", "activation", "ReLU"))),
    Family("Conv3dNet", "3-D convolutions over the image cut into 4 bands of 7 rows, stacked as depth", (
        Param("channels", "size", 8), Param("activation", "activation", "ReLU"))),
)}


# --- the network zoo's families (experiments/network_zoo.py, battleground/core/zoo.py) ----------
# Sequential networks of one computation kind each, as a generator draws them. Kept in a block of
# their own: every family of the zoo, and only those, is listed in ZOO_FAMILIES.

ZOO_BASELINE = "Basic"
ZOO_COMPUTATIONS = {  # computation kind -> its family
    "Linear": "ZooLinear",
    "Conv1d": "ZooConv1d",
    "Conv2d": "ZooConv2d",
    "Conv3d": "ZooConv3d",
    "Conv1dThenLinear": "ZooConv1dThenLinear",
    "Conv2dThenLinear": "ZooConv2dThenLinear",
    "Conv3dThenLinear": "ZooConv3dThenLinear",
    "ResNet": "ZooResNet",
}
ZOO_ACTIVATIONS = ("none", "ReLU", "SELU", "sigmoid", "tanh")
_CONV = (Param("channels", "widths"), Param("kernel", "size", 3), Param("activation", "activation", "ReLU"))
_THEN_LINEAR = (Param("widths", "widths"),)
_SHAPES = {1: "an image as a sequence of 28 rows, a row's 28 pixels its channels",
           2: "an image as one 28 x 28 plane", 3: "an image as a volume of 4 bands of 7 rows"}
ZOO_FAMILIES = {f.name: f for f in (
    Family(ZOO_BASELINE, "one linear layer 784 -> 10 with bias (7,850 weights): the zoo's baseline", (),
           problems=("classify",)),
    Family("ZooLinear", "linear layers of the given widths, each followed by the activation, then -> classes", (
        Param("widths", "widths"), Param("activation", "activation", "ReLU")), problems=("classify",)),
    *(Family(f"ZooConv{d}d", f"{d}-D convolutions of stride 2 over {_SHAPES[d]}, one per channel count, "
             "each followed by the activation, then one linear layer -> classes", _CONV, problems=("classify",))
      for d in (1, 2, 3)),
    *(Family(f"ZooConv{d}dThenLinear", f"as ZooConv{d}d, then hidden linear layers of the given widths "
             "before the output layer", _CONV + _THEN_LINEAR, problems=("classify",)) for d in (1, 2, 3)),
    Family("ZooResNet", "a 3 x 3 stem of stride 2, then ResNet BasicBlocks (conv-BN-act-conv-BN, plus the "
           "input, then act) of the given channels, global average pooling, one linear layer", (
               Param("channels", "widths"), Param("activation", "activation", "ReLU")), problems=("classify",)),
)}
FAMILIES.update(ZOO_FAMILIES)


def check_params(family: str, params: dict) -> dict:
    """``params`` of ``family`` with its defaults filled in, sorted; an unknown family, an unknown
    or missing parameter or a value of the wrong kind is a :class:`CatalogueError` naming the
    valid choices."""
    if family not in FAMILIES:
        raise CatalogueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    spec = FAMILIES[family]
    names = ", ".join(p.name for p in spec.params)
    unknown = sorted(set(params) - {p.name for p in spec.params})
    if unknown:
        raise CatalogueError(f"{family} has no parameter {', '.join(map(repr, unknown))}; {family} takes {names}")
    full = {}
    for p in spec.params:
        value = params.get(p.name, p.default)
        if value is REQUIRED:
            raise CatalogueError(f"{family} needs parameter {p.name!r} ({p.expected})")
        if not KINDS[p.kind][1](value):
            raise CatalogueError(f"{family} parameter {p.name!r}: expected {p.expected}, found {value!r}")
        full[p.name] = value
    return dict(sorted(full.items()))


def format_value(value) -> str:
    """A parameter's value as a variant name shows it: a tuple as ``256-128-64``."""
    if isinstance(value, tuple):
        return "-".join(map(str, value))
    return str(value)


__all__ = ["ACCURACY", "BUILT_IN_PROBLEMS", "LOSS", "Metric", "PREDICTIONS", "Problem", "SUMMARIES", "register_problem", "trains", "ZOO_BASELINE", "ZOO_COMPUTATIONS", "ZOO_ACTIVATIONS", "ZOO_FAMILIES", "DATASETS", "PROBLEMS", "ACTIVATIONS", "OPTIMIZERS", "SCHEDULES", "INITS", "FAMILIES",
           "CatalogueError", "check_params", "format_value"]
