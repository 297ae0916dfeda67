"""Numbers and claims computed from the records: the small, closed language of a page's findings.

A page's prose never types a result. It writes an *expression* where a number belongs,
``{{ = final_val of SimpleNet2 depth=0 activation=PReLU }}``, and the build puts the number there,
marked with the runs it summarises. A sentence that asserts something (an order, a verdict, a
bound) carries a *claim*, ``{{ ! SimpleNet2 activation=PReLU beats SimpleNet2 activation=none on
test, detectably }}``, which shows nothing and is checked against the records at every build:
when new runs overturn it, ``build.py --strict`` fails naming the page, the sentence and the
numbers (an ordinary build warns). The page's answer (:mod:`.elements.answer`) is a list of such
sentences in its front matter, each with its claims.

The grammar is closed: words from a fixed list, groups of runs, numbers. Nothing is evaluated as
Python. Every summary value comes from :mod:`battleground.core.outcomes`; every test from
:mod:`battleground.site.significance`.

A *group* is the runs of the page's investigation whose variant matches every term:

- a model family (``SimpleNet2``), or a variant's full name (``SimpleNet2[activation=ReLU,depth=0]``);
- ``key=value`` (a model parameter or training setting, as the variant names it), ``key=a|b`` for
  either, ``key>=n``, ``key<=n``, ``key>n``, ``key<n`` for numbers; ``seed=n`` (or ``seed=a|b``)
  keeps those seeds' runs;
- ``images=n`` (or ``images=a|b``, ``images>=n``, ``images<=n``, ``images>n``, ``images<n``) keeps
  the runs that trained on that many training images, as their records state it (a record that
  states no number is matched by none); ``epochs=n`` and the rest the same keep the runs whose
  records hold that many epochs. A variant parameter of the same name (a sweep that sets
  ``epochs``) wins: the term then chooses variants as ``key=value`` does.

A *summary* is one of :func:`battleground.core.outcomes.summaries` (``final_val``, ``best_val``,
``test``, ``val_loss``, ``train_loss``…), ``train_seconds`` (a complete run's training seconds,
its epochs' summed, validation not counted) or ``left_chance`` (the first epoch after which a run
was no longer at chance, :func:`battleground.core.outcomes.epoch_left_chance`; a run that never
left has none); a final one may be read ``at epoch <n>`` (runs that stopped before it have no
value).

Values (``{{ = … }}``; a mean over the group's runs unless said otherwise):

- ``[mean|min|max] <summary> of <group> [to <n> decimals]``: a summary value;
- ``diff <summary> of <group> vs <group> [to <n> decimals]``: the first mean minus the second, in
  points for a percentage;
- ``count <state> of <group>``: how many runs are in a state (``collapsed``, ``diverged``,
  ``not-learning-yet``, ``complete``…, several joined by ``or``); ``count runs|seeds of <group>``
  (with records), ``count variants of <group>`` (declared);
- ``epochs of <group>``: how many epochs the runs trained (``1,000``; ``10–500`` where they differ);
- ``images of <group>``: how many training images the runs trained on (``10,000``; ``all`` where
  a run used the whole training set), so a page says the scale of its results;
- ``flops of <group>``: the mean training FLOPs of a run, by the profiler's count (``1.9 × 10¹³``);
- ``values <parameter> of <group>``: the parameter's values among the group (``0, 1, 2 and 5``);
- ``best|worst <parameter> by <summary> of <group>``: the parameter value of the best (worst)
  variant by its mean;
- ``ranking <parameter> by <summary> of <group> [to <n> decimals]``: every value, best first, with
  its mean;
- ``rule collapse_share|flat|window|chance_margin``: a number of the outcome rules themselves;
- ``setting <name> of <group>``: a training setting as the group's records state it (``lr``,
  ``batch_size``, ``optimizer``… of the record's ``config``), or how many images (pairs) they were
  validated and tested on (``val_images``, ``test_images``; trained on: ``images of``): ``8,000``,
  several values listed.

Claims (``{{ ! … }}`` in prose, ``check:`` in a finding):

- ``<group> beats|trails <group> on <summary>[, detectably]``: the first group's mean is better
  (worse) by the metric's direction; *detectably*: Welch's test over seeds at 5% agrees (one test per
  claim, so no adjustment for many);
- ``<group> ties <group> on <summary>``: Welch's test finds no difference at 5% (or every seed of
  both gave one value);
- ``<group> within <n> [points] of <group> on <summary>``: the means differ by at most n (points
  of a percentage);
- ``all|no|some of <group> <state>``: every (no, at least one) run is in the state;
- ``best|worst <parameter> by <summary> of <group> is <value>``;
- ``[mean|min|max] <summary> of <group> below|above <n>``: a bound (a percentage in points).

A claim about a group without runs does not hold: there is nothing to support it.
"""

from __future__ import annotations

import math
import operator
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from markupsafe import escape

from battleground.core import catalogue, outcomes
from battleground.core.catalogue import format_value
from battleground.site import significance
from battleground.site.context import InvestigationData, Page, Run, Selection, SiteError
from battleground.site.placeholders import EXPRESSION  # {{ = value }} shows a number; {{ ! claim }} nothing

ANSWER = "answer"  # the front matter's list of findings, which the answer element places and defines


KEYWORDS = {"above", "below", "rule", "at", "epoch", "flops", "of", "vs", "on", "to", "decimals", "by", "is",
            "beats", "trails", "ties", "within", "points",
            "detectably", "or", "all", "no", "some", "mean", "min", "max", "diff", "count", "epochs", "values",
            "best", "worst", "ranking", "runs", "variants", "seeds", "images"}
STATES = {state.replace(" ", "-"): state for state in outcomes.STATES}  # not learning yet: not-learning-yet
# A run's training seconds (its epochs' summed; the digit-pairs distribution's train_seconds), read
# like a summary: mean, min and max, claims; lower is better.
TRAIN_SECONDS = outcomes.Summary("train_seconds", catalogue.Metric("seconds", "training time", "train time", "s",
                                                                   0.0, None, False, summaries=()),
                                 "total", "seconds", "training seconds", "train s")
# The first epoch a run was above chance (outcomes.epoch_left_chance), read like a summary too:
# mean, min and max over the runs that left it, claims; earlier is better.
LEFT_CHANCE = outcomes.Summary("left_chance", catalogue.Metric("epoch", "epoch it left chance", "left chance", "",
                                                               1.0, None, False, summaries=()),
                               "first", "epoch", "epoch it left chance", "left chance")
# Summaries that are no metric's, computed from the record by Measure.of.
DERIVED = {TRAIN_SECONDS.key: TRAIN_SECONDS, LEFT_CHANCE.key: LEFT_CHANCE}
DATA_SIZES = ("val_images", "test_images")  # the record's data, not its config (training images: images of)
# The definitions of battleground.core.outcomes a page explains, as its prose writes them:
# {{ = rule collapse_share }} -> 99%. Generated from the code, so a changed rule changes the page.
RULES = {
    "collapse_share": (f"{outcomes.COLLAPSE_SHARE:.0%}", "the share of one class that marks a collapse"),
    "flat": (f"{outcomes.FLAT:.2%}", "the fall of the training loss below which it has stopped falling"),
    "window": (f"{outcomes.WINDOW}", "the last epochs over which the fall is judged"),
    "chance_margin": (f"{outcomes.CHANCE_MARGIN * 100:g} points", "how far above one in the classes is still chance"),
}
_COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_TERM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(>=|<=|=|>|<)(.+)$")
_TOKEN = re.compile(r"\d+(?:-\d+)+|\d+(?:\.\d+)?|[A-Za-z_][\w.-]*(?:\[[^\]\s]*\])?(?:(?:>=|<=|=|>|<)[^\s,]+)?|,")


class ExpressionError(ValueError):
    """An expression outside the grammar, or naming what the page's investigation does not have."""


# --- groups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """The runs of a group, and the words that chose them."""

    text: str
    runs: tuple[Run, ...]
    variants: tuple[str, ...]  # the matching variants' names, runs or not, in declaration order

    def values(self, measure: "Measure") -> list[float]:
        return [v for v in (measure.of(r.record) for r in self.runs) if v is not None]

    def by_variant(self) -> dict[str, list[Run]]:
        out: dict[str, list[Run]] = {name: [] for name in self.variants}
        for run in self.runs:
            out.setdefault(run.variant.name, []).append(run)
        return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _term_matches(term: str, inv: InvestigationData) -> tuple[Callable, Callable]:
    """(does a variant match, does a run match) for one term of a group."""
    families = {v.family for v in inv.variants}
    names = {v.name for v in inv.variants}
    if term in families:
        return (lambda v: v.family == term), (lambda r: True)
    if term in names:
        return (lambda v: v.name == term), (lambda r: True)
    match = _TERM.match(term)
    if not match:
        raise ExpressionError(f"a model family ({', '.join(sorted(families))}), a variant's name or key=value; "
                              f"found {term!r}")
    key, op, written = match.groups()
    if key == "seed":
        if op != "=" or not all(s.isdigit() for s in written.split("|")):
            raise ExpressionError(f"seed=<seed>[|<seed>]; found {term!r}")
        seeds = {int(s) for s in written.split("|")}
        return (lambda v: True), (lambda r: r.record["seed"] in seeds)
    # A parameter the variants declare keeps its meaning (a sweep over epochs is chosen by its
    # variants, as their names write it); only otherwise is images|epochs the record's count.
    if key in _RUN_COUNTS and not any(key in v.kwargs for v in inv.variants):
        return (lambda v: True), _count_matches(key, op, written, term)
    if not any(key in v.kwargs for v in inv.variants):
        known = sorted({k for v in inv.variants for k in v.kwargs})
        raise ExpressionError(f"a parameter of the investigation's variants ({', '.join(known)}), or "
                              f"{', '.join(['seed', *_RUN_COUNTS])}; found {key!r}")
    if op == "=":  # a tuple as its variant name writes it too: widths=950-50, activation=ReLU-sigmoid
        written_values = written.split("|")
        choices = [Selection(where=((key, value),)) for value in written_values]
        return (lambda v: any(c.matches(v) for c in choices) or (
            key in v.kwargs and format_value(v.kwargs[key]) in written_values)), (lambda r: True)
    bound = _number(written)
    if bound is None:
        raise ExpressionError(f"a number after {key}{op}; found {written!r}")
    compare = _COMPARE[op]

    def numeric(v) -> bool:
        found = v.kwargs.get(key)
        number = _number(str(found)) if found is not None and not isinstance(found, bool) else None
        return number is not None and compare(number, bound)

    return numeric, (lambda r: True)


def _count_matches(key: str, op: str, written: str, term: str) -> Callable:
    """Whether a run's count (its training images or its epochs) matches ``images=a|b``,
    ``epochs>=n``…; a run whose record states no count matches no term."""
    numbers = written.split("|") if op == "=" else [written]
    if not all(n.isdigit() for n in numbers):
        raise ExpressionError(f"{key}=<n>[|<n>] or {key}>=<n> (<=, >, <), n a whole number; found {term!r}")
    count = _RUN_COUNTS[key]
    if op == "=":
        wanted = {int(n) for n in numbers}
        return lambda r: count(r.record) in wanted
    bound, compare = int(written), _COMPARE[op]
    return lambda r: (n := count(r.record)) is not None and compare(n, bound)


def group(terms: list[str], inv: InvestigationData) -> Group:
    """The runs of ``inv`` that every term matches; a group matching no declared variant is an error."""
    if not terms:
        raise ExpressionError("a group of runs (a family, a variant's name or key=value terms)")
    tests = [_term_matches(t, inv) for t in terms]
    variants = tuple(v.name for v in inv.variants if all(t[0](v) for t in tests))
    if not variants:
        raise ExpressionError(f"a group that matches at least one variant of '{inv.spec.name}'; "
                              f"{' '.join(terms)!r} matches none")
    chosen = set(variants)
    runs = tuple(r for r in inv.runs if r.variant.name in chosen and all(t[1](r) for t in tests))
    return Group(" ".join(terms), runs, variants)


# --- parsing ------------------------------------------------------------------------------------


class _Tokens:
    def __init__(self, text: str):
        self.text = text
        self.items = _TOKEN.findall(text)
        if "".join(self.items) != re.sub(r"\s+", "", text):
            raise ExpressionError(f"words, numbers, key=value terms and commas; {text!r} has other characters")
        self.at = 0

    def peek(self) -> str | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self, *expected: str) -> str:
        found = self.peek()
        if found is None or (expected and found not in expected):
            raise ExpressionError(f"{' or '.join(repr(e) for e in expected) or 'more'} after "
                                  f"{' '.join(self.items[:self.at]) or 'the start'!r}; found {found or 'the end'!r}")
        self.at += 1
        return found

    def accept(self, word: str) -> bool:
        if self.peek() == word:
            self.at += 1
            return True
        return False

    def terms(self) -> list[str]:
        """A group's terms: every token up to the next keyword."""
        out = []
        while self.peek() is not None and self.peek() not in KEYWORDS and self.peek() not in STATES \
                and self.peek() != ",":
            out.append(self.take())
        return out

    def end(self) -> None:
        if self.peek() is not None:
            raise ExpressionError(f"the end of the expression after {' '.join(self.items[:self.at])!r}; "
                                  f"found {' '.join(self.items[self.at:])!r}")


def _decimals(tokens: _Tokens) -> int | None:
    if not tokens.accept("to"):
        return None
    digits = tokens.take()
    if not digits.isdigit() or int(digits) > 6:
        raise ExpressionError(f"a number of decimals from 0 to 6 after 'to'; found {digits!r}")
    tokens.take("decimals")
    return int(digits)


def _states(tokens: _Tokens) -> tuple[str, ...]:
    found = []
    while True:
        word = tokens.take()
        if word not in STATES:
            raise ExpressionError(f"a state ({', '.join(STATES)}); found {word!r}")
        found.append(STATES[word])
        if not tokens.accept("or"):
            return tuple(found)


# --- what an expression comes to ----------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """A generated number (or word) and the runs it summarises."""

    text: str  # what the page shows
    query: str  # the expression, as written
    groups: tuple[Group, ...]
    what: str  # what was computed, for the reader: "mean final validation accuracy"


@dataclass(frozen=True)
class Verdict:
    """Whether a claim holds, and the numbers it was judged by."""

    holds: bool
    claim: str
    numbers: str


@dataclass(frozen=True)
class Measure:
    """A summary of one run (:class:`outcomes.Summary`), read after the last epoch or, with
    ``epoch``, after that epoch (a run that stopped before it has no value)."""

    summary: outcomes.Summary
    epoch: int | None = None

    def of(self, record: dict) -> float | None:
        if self.epoch is not None:
            if len(record["epochs"]["epoch"]) < self.epoch:
                return None
            record = {**record, "epochs": {k: v[: self.epoch] for k, v in record["epochs"].items()}}
        if self.summary is TRAIN_SECONDS:
            return _train_seconds(record)
        if self.summary is LEFT_CHANCE:
            return outcomes.epoch_left_chance(record)
        return outcomes.summary_value(record, self.summary)

    @property
    def label(self) -> str:
        if self.epoch is None:
            return self.summary.label
        return f"{self.summary.label.replace('final ', '')} at epoch {self.epoch:,}"

    @property
    def higher_is_better(self) -> bool:
        return self.summary.higher_is_better


class Evaluator:
    """Evaluates the expressions of one page of ``inv``."""

    def __init__(self, inv: InvestigationData):
        self.inv = inv
        problem = outcomes.problem_of(inv.spec.config.problem)  # as declared: the same with runs or without
        self.summaries = {**outcomes.summaries(problem), **DERIVED}

    # -- pieces

    def summary_of(self, tokens: "_Tokens"):
        """``<summary> of <group>``, the phrase most values and claims start with."""
        summary = self.summary(tokens)
        tokens.take("of")
        return summary, self.group(tokens)

    def summary(self, tokens: _Tokens) -> Measure:
        """``<summary> [at epoch <n>]``; an epoch only for a summary read after an epoch (final_…)."""
        key = tokens.take()
        if key not in self.summaries:
            raise ExpressionError(f"a summary of the runs ({', '.join(self.summaries)}); found {key!r}")
        summary = self.summaries[key]
        if not tokens.accept("at"):
            return Measure(summary)
        tokens.take("epoch")
        epoch = tokens.take()
        if summary.how != "final" or not epoch.isdigit() or int(epoch) < 1:
            raise ExpressionError(f"'at epoch <n>' (n from 1) after a final summary; found {key} at epoch {epoch}")
        return Measure(summary, int(epoch))

    def group(self, tokens: _Tokens) -> Group:
        return group(tokens.terms(), self.inv)

    def parameter(self, tokens: _Tokens) -> str:
        name = tokens.take()
        if not any(name in v.kwargs for v in self.inv.variants):
            known = sorted({k for v in self.inv.variants for k in v.kwargs})
            raise ExpressionError(f"a parameter of the investigation's variants ({', '.join(known)}); found {name!r}")
        return name

    @staticmethod
    def show(value: float | None, measure: Measure, decimals: int | None, points: bool = False) -> str:
        """A summary value as a sentence shows it: a fraction as a percentage (``97.6%``, a
        difference ``4.6 points``), anything else with three significant digits."""
        if value is None:
            return "no value yet"
        if measure.summary.metric.unit == "fraction":
            text = f"{value * 100:,.{1 if decimals is None else decimals}f}"
            text = text.replace("-", "−")
            return f"{text} points" if points else f"{text}%"
        text = f"{value:.3g}" if decimals is None else f"{value:,.{decimals}f}"
        return text.replace("-", "−")

    def ranked(self, parameter: str, summary: Measure, found: Group) -> list[tuple[str, float]]:
        """(parameter value, mean) of each value among the group's runs, best first."""
        means: dict[str, list[float]] = {}
        for run in found.runs:
            value = summary.of(run.record)
            if value is not None and parameter in run.variant.kwargs:
                means.setdefault(format_value(run.variant.kwargs[parameter]), []).append(value)
        pairs = [(name, statistics.fmean(vs)) for name, vs in means.items()]
        return sorted(pairs, key=lambda p: -p[1] if summary.higher_is_better else p[1])

    # -- values

    def value(self, text: str) -> Evidence:
        tokens = _Tokens(text)
        word = tokens.peek()
        if word == "diff":
            tokens.take()
            summary = self.summary(tokens)
            tokens.take("of")
            first = self.group(tokens)
            tokens.take("vs")
            second = self.group(tokens)
            decimals = _decimals(tokens)
            tokens.end()
            a, b = first.values(summary), second.values(summary)
            diff = statistics.fmean(a) - statistics.fmean(b) if a and b else None
            return Evidence(self.show(diff, summary, decimals, points=True), text, (first, second),
                            f"difference of the mean {summary.label}s")
        if word == "count":
            tokens.take()
            if tokens.peek() in ("runs", "variants", "seeds"):
                what = tokens.take()
                tokens.take("of")
                found = self.group(tokens)
                tokens.end()
                n = {"runs": len(found.runs), "variants": len(found.variants),
                     "seeds": len({r.record["seed"] for r in found.runs})}[what]
                return Evidence(f"{n:,}", text, (found,), f"number of {what}" + ("" if what == "variants" else
                                                                                 " with records"))
            states = _states(tokens)
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            n = sum(1 for r in found.runs if outcomes.state(r.record) in states)
            return Evidence(f"{n:,}", text, (found,), f"runs {' or '.join(states)}")
        if word == "epochs":
            tokens.take()
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            epochs = sorted({len(r.record["epochs"]["epoch"]) for r in found.runs})
            shown = ("no runs yet" if not epochs else f"{epochs[0]:,}" if len(epochs) == 1
                     else f"{epochs[0]:,}–{epochs[-1]:,}")
            return Evidence(shown, text, (found,), "epochs trained")
        if word == "images":
            tokens.take()
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            sizes = {_train_images(r.record) for r in found.runs}
            shown = ("no runs yet" if not sizes else _listed(
                [f"{n:,}" for n in sorted(n for n in sizes if n is not None)] + (["all"] if None in sizes else [])))
            return Evidence(shown, text, (found,), "training images per run")
        if word == "setting":
            tokens.take()
            name = tokens.take()
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            return Evidence(_setting(name, found), text, (found,), f"training setting {name} of the records")
        if word == "rule":
            tokens.take()
            name = tokens.take()
            if name not in RULES:
                raise ExpressionError(f"a rule of the outcomes ({', '.join(RULES)}); found {name!r}")
            tokens.end()
            return Evidence(RULES[name][0], text, (), RULES[name][1])
        if word == "flops":
            tokens.take()
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            totals = [_training_flops(r.record) for r in found.runs]
            totals = [t for t in totals if t is not None]
            shown = "no runs yet" if not totals else _power_of_ten(statistics.fmean(totals))
            return Evidence(shown, text, (found,), "mean training FLOPs per run (profiler's count)")
        if word == "values":
            tokens.take()
            parameter = self.parameter(tokens)
            tokens.take("of")
            found = self.group(tokens)
            tokens.end()
            values = list(dict.fromkeys(format_value(v.kwargs[parameter]) for v in self.inv.variants
                                        if v.name in found.variants and parameter in v.kwargs))
            return Evidence(_listed(values), text, (found,), f"values of {parameter}")
        if word in ("best", "worst", "ranking"):
            tokens.take()
            parameter = self.parameter(tokens)
            tokens.take("by")
            summary, found = self.summary_of(tokens)
            decimals = _decimals(tokens) if word == "ranking" else None
            tokens.end()
            ranked = self.ranked(parameter, summary, found)
            if not ranked:
                return Evidence("no runs yet", text, (found,), f"{parameter} by mean {summary.label}")
            if word == "ranking":
                shown = ", ".join(f"{name} {self.show(mean, summary, decimals)}" for name, mean in ranked)
                return Evidence(shown, text, (found,), f"{parameter} by mean {summary.label}, best first")
            name = ranked[0 if word == "best" else -1][0]
            return Evidence(name, text, (found,), f"the {word} {parameter} by mean {summary.label}")
        how = tokens.take() if word in ("mean", "min", "max") else "mean"
        summary, found = self.summary_of(tokens)
        decimals = _decimals(tokens)
        tokens.end()
        values = found.values(summary)
        number = {"mean": statistics.fmean, "min": min, "max": max}[how](values) if values else None
        return Evidence(self.show(number, summary, decimals), text, (found,), f"{how} {summary.label}")

    # -- claims

    def claim(self, text: str) -> Verdict:
        tokens = _Tokens(text)
        word = tokens.peek()
        if word in ("all", "no", "some"):
            tokens.take()
            tokens.take("of")
            found = self.group(tokens)
            states = _states(tokens)
            tokens.end()
            runs = [outcomes.state(r.record) for r in found.runs]
            n = sum(1 for s in runs if s in states)
            holds = bool(runs) and {"all": n == len(runs), "no": n == 0, "some": n > 0}[word]
            return Verdict(holds, text, f"{n} of {len(runs)} runs {' or '.join(states)}")
        if word in ("mean", "min", "max") or word in self.summaries:
            how = tokens.take() if word in ("mean", "min", "max") else "mean"
            summary, found = self.summary_of(tokens)
            side = tokens.take("below", "above")
            bound = _number(tokens.take())
            if bound is None:
                raise ExpressionError(f"a number after '{side}'; found {tokens.items[tokens.at - 1]!r}")
            tokens.end()
            values = found.values(summary)
            if not values:
                return Verdict(False, text, "no run with a value")
            number = {"mean": statistics.fmean, "min": min, "max": max}[how](values)
            scaled = number * (100 if summary.summary.metric.unit == "fraction" else 1)
            holds = scaled < bound if side == "below" else scaled > bound
            return Verdict(holds, text,
                           f"{how} {summary.label} {self.show(number, summary, 2)} over {len(values)} runs")
        if word in ("best", "worst"):
            tokens.take()
            parameter = self.parameter(tokens)
            tokens.take("by")
            summary, found = self.summary_of(tokens)
            tokens.take("is")
            expected = tokens.take()
            tokens.end()
            ranked = self.ranked(parameter, summary, found)
            actual = ranked[0 if word == "best" else -1][0] if ranked else None
            shown = ", ".join(f"{n} {self.show(m, summary, 2)}" for n, m in ranked) or "no runs"
            return Verdict(actual == expected, text, f"{word} is {actual}: {shown}")
        first = self.group(tokens)
        relation = tokens.take("beats", "trails", "ties", "within")
        bound = None
        if relation == "within":
            bound = _number(tokens.take())
            if bound is None or bound < 0:
                raise ExpressionError(f"a number after 'within'; found {tokens.items[tokens.at - 1]!r}")
            tokens.accept("points")
            tokens.take("of")
        second = self.group(tokens)
        tokens.take("on")
        summary = self.summary(tokens)
        detectably = False
        if relation in ("beats", "trails") and tokens.accept(","):
            tokens.take("detectably")
            detectably = True
        tokens.end()
        a, b = first.values(summary), second.values(summary)
        if not a or not b:
            return Verdict(False, text, f"{len(a)} and {len(b)} runs with a {summary.label}: nothing to compare")
        mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
        numbers = (f"{first.text} {self.show(mean_a, summary, 2)} ({len(a)} runs) vs "
                   f"{second.text} {self.show(mean_b, summary, 2)} ({len(b)} runs)")
        if relation == "within":
            scale = 100 if summary.summary.metric.unit == "fraction" else 1
            gap = abs(mean_a - mean_b) * scale
            return Verdict(gap <= bound + 1e-9, text, f"{numbers}: {gap:.3g} apart")
        test = significance.welch(b, a)  # mean(a) - mean(b)
        reading = (f"p = {test.p:.2g}" if test.p is not None else test.why or "no test")
        numbers = f"{numbers}, Welch {reading}"
        if relation == "ties":
            return Verdict(test.identical or (test.p is not None and test.p >= significance.ALPHA), text, numbers)
        better = (mean_a > mean_b) == summary.higher_is_better and mean_a != mean_b
        wanted = better if relation == "beats" else (mean_a != mean_b and not better)
        if detectably:
            wanted = wanted and test.p is not None and not math.isnan(test.p) and test.p < significance.ALPHA
        return Verdict(wanted, text, numbers)


def _train_images(record: dict) -> int | None:
    """How many training images a run trained on (the data it recorded, else its train_size);
    None for the whole training set."""
    return (record.get("data") or {}).get("train_images") or record["config"].get("train_size")


def _epochs(record: dict) -> int:
    """How many epochs a run's record holds (a stopped run's fewer than planned)."""
    return len(record["epochs"]["epoch"])


# The run-level counts a group's terms choose by (images=10000, epochs>=20): what the record
# states, since the variant's name does not carry them.
_RUN_COUNTS: dict[str, Callable[[dict], int | None]] = {"images": _train_images, "epochs": _epochs}


def _train_seconds(record: dict) -> float | None:
    """A complete run's training seconds, its epochs' summed (validation not counted)."""
    seconds = record["epochs"].get("seconds") or []
    return sum(seconds) if record.get("status") == "complete" and seconds else None


def _setting(name: str, found: Group) -> str:
    """A training setting (or data size) as the group's records state it, every value listed."""
    if not found.runs:
        return "no runs yet"
    source = "data" if name in DATA_SIZES else "config"
    known = set(DATA_SIZES) | set(found.runs[0].record["config"])
    if name not in known:
        raise ExpressionError(f"a training setting of the records ({', '.join(sorted(known))}); found {name!r}")
    values = sorted({found_value for r in found.runs
                     if (found_value := r.record.get(source, {}).get(name)) is not None},
                    key=lambda v: (isinstance(v, str), v))
    if not values:
        return "none"
    shown = [f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else format(v, "g")
             if isinstance(v, float) else str(v) for v in values]
    return _listed(shown)


def _training_flops(record: dict) -> float | None:
    """The training FLOPs a run spent, by the profiler's count (the charts' x axis)."""
    spent = [f for f in record["epochs"].get("cumulative_flops") or [] if f is not None]
    return spent[-1] if spent else None


SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _power_of_ten(value: float) -> str:
    """``1.9 × 10¹³``: a large count with two significant digits."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent < 4:
        return f"{value:,.0f}"
    return f"{value / 10 ** exponent:.2g} × 10" + str(exponent).translate(SUPERSCRIPTS)


def _listed(values: list[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


# --- the page's expressions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """An expression of a page, where it stands, and the sentence around it."""

    sign: str  # "=" a value, "!" a claim
    text: str
    where: str  # "body line 12", "answer[0].say", "answer[0].check"
    sentence: str


def expressions(page: Page) -> list[Placed]:
    """Every expression of the page's prose and answer, in order."""
    found = []
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        for match in EXPRESSION.finditer(line):
            found.append(Placed(match.group(1), match.group(2), f"body line {number}", line.strip()))
    for i, finding in enumerate(page.defined(ANSWER).values()):
        for match in EXPRESSION.finditer(finding.say):
            found.append(Placed(match.group(1), match.group(2), f"{ANSWER}[{i}].say", finding.say))
        for j, claim in enumerate(finding.checks):
            found.append(Placed("!", claim, f"{ANSWER}[{i}].check[{j}]", finding.say))
    return found


def overturned(page: Page, inv: InvestigationData) -> list[tuple[Placed, Verdict]]:
    """The claims of ``page`` the records do not support; an expression outside the grammar is a
    :class:`SiteError` naming the page, where it stands and what was expected."""
    evaluator = Evaluator(inv)
    failed = []
    for placed in expressions(page):
        try:
            if placed.sign == "=":
                evaluator.value(placed.text)
            else:
                verdict = evaluator.claim(placed.text)
                if not verdict.holds:
                    failed.append((placed, verdict))
        except ExpressionError as error:
            raise SiteError(page.path, placed.where, f"an expression of the findings grammar "
                            f"(README, 'Adding an investigation'): {error}", placed.text) from None
    return failed


def check(page: Page, inv: InvestigationData | None, strict: bool, warnings: list[str]) -> None:
    """Check every claim of ``page``: with ``strict`` the first the records overturn is a
    :class:`SiteError` naming the sentence and the numbers; otherwise each is a warning."""
    placed = expressions(page)
    if not placed:
        return
    if inv is None:
        raise SiteError(page.path, placed[0].where, "no {{ = … }} or {{ ! … }} expression on a page without "
                        "'investigation' (they summarise its runs)", placed[0].text)
    for where, verdict in overturned(page, inv):
        message = (f"the claim {verdict.claim!r} in the sentence {where.sentence!r} does not hold "
                   f"({verdict.numbers})")
        if strict:
            raise SiteError(page.path, where.where, "claims the runs support (--strict); rewrite the sentence "
                            f"for the runs: {message}")
        warnings.append(f"{page.path}: {where.where}: {message}")


# --- rendering ----------------------------------------------------------------------------------


class PageEvidence:
    """Renders one page's values as marked numbers: each links to its results-table row (or the
    table) and shows, on hover or focus, the runs it summarises (variant, seeds, epochs, state)."""

    LISTED = 3  # variants of one kind named in a number's note; more are counted (a page has a size budget)

    def __init__(self, page: Page, inv: InvestigationData, row_link: Callable[[str | None], str | None]):
        self.page, self.evaluator, self.row_link = page, Evaluator(inv), row_link
        self.count = 0

    def html(self, sign: str, text: str) -> str:
        if sign == "!":
            return ""  # checked by check(); a claim shows nothing
        evidence = self.evaluator.value(text)
        self.count += 1
        note_id = f"evidence-{self.count}"
        variants = [name for g in evidence.groups for name, runs in g.by_variant().items() if runs]
        href = self.row_link(variants[0] if len(set(variants)) == 1 else None) if evidence.groups else None
        if evidence.groups:
            lines = [f"{evidence.what}, from:"] + [line for g in evidence.groups for line in self.runs_lines(g)]
        else:
            lines = [f"{evidence.what} (a rule of battleground/core/outcomes.py)"]
        note = "<br>".join(str(escape(line)) for line in lines)
        tag, link = ("a", f' href="{escape(href)}"') if href else ("span", "")
        return (f'<span class="evidence"><{tag} class="evidence-value"{link} tabindex="0" '
                f'data-runs="{escape(text)}" aria-describedby="{note_id}">{escape(evidence.text)}</{tag}>'
                f'<span class="evidence-runs" role="tooltip" id="{note_id}">{note}</span></span>')

    def runs_lines(self, found: Group) -> list[str]:
        """The group's runs as a note lists them: variants with the same seeds and epochs on one
        line, named where they are few, counted (after the group's terms) where they are many,
        with how many runs ended in each state a page marks."""
        alike: dict[str, list[tuple[str, list[Run]]]] = {}
        for name, runs in found.by_variant().items():
            alike.setdefault(_runs_line(runs), []).append((name, runs))
        lines = []
        for how, members in alike.items():
            states = Counter(outcomes.state(r.record) for _, runs in members for r in runs)
            marked = ", ".join(f"{n} {state}" for state, n in sorted(states.items()) if state != "complete")
            if len(members) <= self.LISTED:
                lines += [f"{name}: {how}" for name, _ in members]
                lines[-1] += f" ({marked})" if marked else ""
            else:
                lines.append(f"{len(members)} variants of {found.text}: {how}" + (f" ({marked})" if marked else ""))
        return lines


def _seed_list(seeds: list[int]) -> str:
    """``1–15``, ``1729, 271828, 314159``: three or more consecutive seeds as a range (a page
    carries a note per number, and its weight has a budget)."""
    parts, start = [], 0
    for i in range(1, len(seeds) + 1):
        if i == len(seeds) or seeds[i] != seeds[i - 1] + 1:
            run = seeds[start:i]
            parts += [f"{run[0]}–{run[-1]}"] if len(run) >= 3 else [str(s) for s in run]
            start = i
    return ", ".join(parts)


def _runs_line(runs: list[Run]) -> str:
    """``seeds 1729, 271828; 10 epochs``: how one variant's runs ran."""
    if not runs:
        return "no runs yet"
    seeds = _seed_list(sorted(r.record["seed"] for r in runs))
    epochs = sorted({len(r.record["epochs"]["epoch"]) for r in runs})
    shown = f"{epochs[0]:,}" if len(epochs) == 1 else f"{epochs[0]:,}–{epochs[-1]:,}"
    return f"seed{'s' if len(runs) > 1 else ''} {seeds}; {shown} epochs"


class Tokens:
    """Expressions set aside while Markdown converts their sentence, then rendered into the HTML:
    Markdown never sees a number's markup, so nothing in a query (``_``, ``[ ]``) is read as
    emphasis or a link."""

    def __init__(self):
        self.found: list[tuple[str, str]] = []

    def set_aside(self, text: str) -> str:
        def token(match: re.Match) -> str:
            self.found.append((match.group(1), match.group(2)))
            return f"BGEXPRESSION{len(self.found) - 1}X"

        return EXPRESSION.sub(token, text)

    def put_back(self, html: str, render: Callable[[str, str], str]) -> str:
        return re.sub(r"BGEXPRESSION(\d+)X", lambda m: render(*self.found[int(m.group(1))]), html)
