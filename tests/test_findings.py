"""The findings grammar (battleground/site/findings.py): values computed from runs, claims checked
against them, expressions outside the grammar refused with the page and the place named, the
answer element's rules, the count of hand-typed prose numbers, and --strict failing when a new run
overturns a finding of a sample page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from battleground.core import records
from battleground.core.spec import variant
from battleground.site import builder, findings, prose_numbers
from battleground.site.context import InvestigationData, Run, SiteError
from tests.golden import sample
from tests.site_fixtures import make_record

INV = "activation-functions"
SPEC = sample.investigations()[INV]
RELU, TANH, NONE = (variant("SimpleNet2", depth=0, activation=a) for a in ("ReLU", "tanh", "none"))
LENET = variant("LeNet5", activation="ReLU")


def run(v, seed: int, final: float, epochs: int = 30, collapsed: bool = False) -> Run:
    """A run of ``v`` whose last validation accuracy is ``final`` (its test accuracy 1 point lower)."""
    record = make_record(INV, v, seed, epochs=epochs, collapsed=collapsed)
    record["epochs"]["val_accuracy"][-1] = final
    record["test_accuracy"] = final - 0.01
    return Run(Path(f"{v.name}.{seed}.json"), record, v)


@pytest.fixture
def inv() -> InvestigationData:
    runs = [run(RELU, 1729, 0.97), run(RELU, 271828, 0.96), run(RELU, 314159, 0.98),
            run(TANH, 1729, 0.90), run(TANH, 271828, 0.91), run(TANH, 314159, 0.92),
            run(NONE, 1729, 0.965, epochs=12),
            run(LENET, 1729, 0.1135, collapsed=True)]
    return InvestigationData(SPEC, runs, list(SPEC.variants))


def value(inv, text: str) -> str:
    return findings.Evaluator(inv).value(text).text


def holds(inv, text: str) -> bool:
    return findings.Evaluator(inv).claim(text).holds


def test_values_are_means_over_the_groups_runs_shown_as_sentences_show_them(inv):
    assert value(inv, "final_val of SimpleNet2 activation=ReLU") == "97.0%"  # (97 + 96 + 98) / 3
    assert value(inv, "test of SimpleNet2[activation=ReLU,depth=0] to 2 decimals") == "96.00%"
    assert value(inv, "max final_val of SimpleNet2 activation=ReLU|tanh") == "98.0%"
    assert value(inv, "min final_val of SimpleNet2 activation=ReLU|tanh seed=1729") == "90.0%"
    assert value(inv, "diff final_val of SimpleNet2 activation=tanh vs SimpleNet2 activation=ReLU") == "−6.0 points"
    assert value(inv, "count runs of SimpleNet2") == "7"
    assert value(inv, "count variants of SimpleNet2") == "8"  # declared, with runs or not
    assert value(inv, "count collapsed of LeNet5") == "1"
    assert value(inv, "epochs of SimpleNet2") == "12–30"
    assert value(inv, "epochs of SimpleNet2 activation=ReLU") == "30"
    assert value(inv, "values activation of SimpleNet2 activation=ReLU|tanh|none") == "none, ReLU and tanh"
    assert value(inv, "best activation by final_val of SimpleNet2") == "ReLU"
    assert value(inv, "worst activation by final_val of SimpleNet2") == "tanh"
    assert value(inv, "ranking activation by final_val of SimpleNet2") == "ReLU 97.0%, none 96.5%, tanh 91.0%"
    assert value(inv, "rule collapse_share") == "99%"


def test_a_value_at_an_epoch_leaves_out_runs_that_stopped_before_it(inv):
    at_20 = [r.record["epochs"]["val_accuracy"][19] for r in inv.runs if r.variant == RELU]
    assert value(inv, "final_val at epoch 20 of SimpleNet2 activation=ReLU|none to 4 decimals") == \
        f"{sum(at_20) / 3 * 100:.4f}%"  # none trained 12 epochs: not counted


def test_claims_of_order_verdict_bound_and_state_hold_or_not_as_the_numbers_say(inv):
    assert holds(inv, "SimpleNet2 activation=ReLU beats SimpleNet2 activation=tanh on final_val, detectably")
    assert holds(inv, "SimpleNet2 activation=tanh trails SimpleNet2 activation=ReLU on test")
    assert not holds(inv, "SimpleNet2 activation=tanh beats SimpleNet2 activation=ReLU on final_val")
    # one seed of none: an order, but no test, so never "detectably"
    assert holds(inv, "SimpleNet2 activation=ReLU beats SimpleNet2 activation=none on final_val")
    assert not holds(inv, "SimpleNet2 activation=ReLU beats SimpleNet2 activation=none on final_val, detectably")
    assert not holds(inv, "SimpleNet2 activation=ReLU ties SimpleNet2 activation=tanh on final_val")
    assert holds(inv, "SimpleNet2 activation=ReLU within 0.5 points of SimpleNet2 activation=none on final_val")
    assert not holds(inv, "SimpleNet2 activation=ReLU within 0.4 of SimpleNet2 activation=none on final_val")
    assert holds(inv, "all of LeNet5 collapsed")
    assert holds(inv, "no of SimpleNet2 collapsed or diverged")
    assert not holds(inv, "some of SimpleNet2 activation=ReLU collapsed")
    assert holds(inv, "best activation by final_val of SimpleNet2 is ReLU")
    assert not holds(inv, "best activation by final_val of SimpleNet2 is tanh")
    assert holds(inv, "max final_val of SimpleNet2 activation=tanh below 92.5")
    assert not holds(inv, "min final_val of SimpleNet2 activation=tanh above 90")
    # a claim about runs that do not exist yet is not supported
    assert not holds(inv, "all of SimpleNet2 activation=sigmoid collapsed")


def test_a_failed_claim_says_the_numbers_it_was_judged_by(inv):
    verdict = findings.Evaluator(inv).claim("SimpleNet2 activation=tanh beats SimpleNet2 activation=ReLU on test")
    assert "90.00% (3 runs)" in verdict.numbers and "96.00% (3 runs)" in verdict.numbers
    # by hand: both sides' seeds have sd 1 point, se = sqrt(1/3 + 1/3) = 0.816, t = 6 / 0.816 = 7.35 on
    # 4 degrees of freedom: two-sided p = 0.0018
    assert "Welch p = 0.0018" in verdict.numbers


@pytest.mark.parametrize("text, expected", [
    ("final_val of Foo", "a model family"),
    ("final of SimpleNet2", "a summary of the runs"),
    ("final_val of SimpleNet2 depth=7", "matches none"),
    ("final_val of SimpleNet2 width=7", "a parameter of the investigation's variants"),
    ("final_val of SimpleNet2 depth>=many", "a number after depth>="),
    ("final_val of SimpleNet2 images=many", r"images=<n>\[\|<n>\] or images>=<n> .*found 'images=many'"),
    ("final_val of SimpleNet2 epochs>=2.5", "a whole number; found 'epochs>=2.5'"),
    ("final_val of SimpleNet2 epochs=10|", "a whole number; found 'epochs=10|'"),
    ("__import__('os').system('true')", "other characters"),
    ("final_val of SimpleNet2 to 9 decimals", "from 0 to 6"),
    ("final_val of SimpleNet2 , detectably", "the end of the expression"),
    ("test at epoch 3 of SimpleNet2", "after a final summary"),
    ("count exploded of SimpleNet2", "a state"),
    ("", "more"),
])
def test_expressions_outside_the_grammar_are_refused_saying_what_was_expected(inv, text, expected):
    with pytest.raises(findings.ExpressionError, match=expected):
        findings.Evaluator(inv).value(text)


# --- pages --------------------------------------------------------------------------------------

ANSWER = """answer:
  - id: relu-above-tanh
    say: "ReLU ends above tanh, at {{ = final_val of SimpleNet2 activation=ReLU }} against
      {{ = final_val of SimpleNet2 activation=tanh }}."
    check: SimpleNet2 activation=ReLU beats SimpleNet2 activation=tanh on final_val, detectably
  - id: sigmoid-trails
    say: "Sigmoid trails: its best run ends at {{ = max final_val of SimpleNet2 activation=sigmoid }}."
    check: max final_val of SimpleNet2 activation=sigmoid below 95
  - id: tanh-runs
    say: "Tanh trained {{ = epochs of SimpleNet2 activation=tanh }} epochs in
      {{ = count runs of SimpleNet2 activation=tanh }} runs."
"""
PAGE = """---
title: Activation functions
summary: A test page.
order: 1
investigation: activation-functions
{answer}tables:
  - id: results
---

{first}

Prose with batch size {{{{ config.batch_size }}}} and {{{{ = count runs of SimpleNet2 }}}} runs.

{{{{ table: results }}}}
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    (tmp_path / "src").mkdir()
    home = "---\ntitle: Home\nsummary: Home.\norder: 0\n---\n\n{{ investigations }}\n"
    (tmp_path / "src" / "index.md").write_text(home, encoding="utf-8")
    shutil.copytree(sample.RUNS, tmp_path / "runs")
    (tmp_path / "runs" / INV / "markup-variant.seed1729.json").unlink()  # its name is the markup tests' business
    write_page(tmp_path)
    return tmp_path


def write_page(tree: Path, answer: str = ANSWER, first: str = "{{ answer }}") -> None:
    (tree / "src" / "activation-functions.md").write_text(PAGE.format(answer=answer, first=first), encoding="utf-8")


def build(tree: Path, strict: bool = True):
    return builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS,
                         investigations=sample.investigations(), strict=strict)


def test_the_answer_opens_the_page_with_numbers_that_name_their_runs(tree):
    build(tree)
    html = (tree / "site" / "activation-functions.html").read_text(encoding="utf-8")
    assert html.index('id="answer"') < html.index("Prose with batch size")
    assert 'data-runs="final_val of SimpleNet2 activation=ReLU"' in html
    # one variant: the link goes to its rows of the results table, which carry that id
    assert 'href="#results-simplenet2-activation-relu-depth-0"' in html
    assert '<tbody id="results-simplenet2-activation-relu-depth-0"' in html
    assert "SimpleNet2[activation=ReLU,depth=0]: seeds 1729, 271828, 314159; 25 epochs" in html
    # under the findings, the scale they rest on, from the same records
    assert '<p class="scale">The records behind these findings: ' in html and " epochs" in html.split('class="scale"')[1][:200]


def test_a_new_run_that_overturns_a_finding_fails_strict_naming_the_sentence_and_the_numbers(tree):
    build(tree)
    record = make_record(INV, variant("SimpleNet2", depth=0, activation="sigmoid"), 314159, epochs=25)
    record["epochs"]["val_accuracy"][-1] = 0.99
    records.write_record(records.record_path(tree / "runs", INV, record["variant"], 314159), record)
    with pytest.raises(SiteError) as caught:
        build(tree)
    message = str(caught.value)
    assert "activation-functions.md" in message and "field 'answer[1].check[0]'" in message
    assert "Sigmoid trails: its best run ends at" in message  # the sentence
    assert "max final validation accuracy 99.00% over 3 runs" in message  # the numbers
    # an ordinary build publishes the page, and warns
    result = build(tree, strict=False)
    assert any("answer[1].check[0]" in w and "does not hold" in w for w in result.warnings)


def test_an_expression_outside_the_grammar_names_the_page_and_where_it_stands(tree):
    write_page(tree, answer=ANSWER.replace("max final_val", "maximum final_val"))
    with pytest.raises(SiteError, match=r"field 'answer\[1\]\.say'.*a summary of the runs"):
        build(tree, strict=False)


def test_the_answer_must_come_first_and_hold_three_to_six_findings(tree):
    write_page(tree, first="Some words first.\n\n{{ answer }}")
    with pytest.raises(SiteError, match="a page opens with its answer"):
        build(tree, strict=False)
    two = ANSWER[:ANSWER.index("  - id: tanh-runs")]
    write_page(tree, answer=two)
    with pytest.raises(SiteError, match="an answer of 3 to 6 findings"):
        build(tree, strict=False)


def test_strict_counts_hand_typed_prose_numbers_and_holds_a_page_with_an_answer_to_the_target(tree):
    result = build(tree)
    assert any("activation-functions.md: 7 of 7 prose numbers generated (100%)" in w for w in result.warnings)
    write_page(tree, first="{{ answer }}\n\nIt ran 3 times for 20 epochs, at 91.5%, on LeNet5.")
    with pytest.raises(SiteError, match=r"at least 90% of the prose numbers.*'3' in 'It ran 3 times"):
        build(tree)


def test_prose_numbers_leave_out_names_headings_tables_and_code(tree):
    write_page(tree, first="{{ answer }}\n\n## Part 2\n\nLeNet5 and SimpleNet2 at 1,000 epochs.\n\n"
                           "| a |\n| - |\n| 7 |\n\n`x = 5`\n\n- 12.5% in a list")
    build(tree, strict=False)
    from battleground.site import frontmatter
    from battleground.site.elements import registry
    from battleground.site.runs import load_investigation

    data = {INV: load_investigation(SPEC, tree / "runs", [])}
    page = frontmatter.read_page(tree / "src" / "activation-functions.md", data, registry.elements())
    found = prose_numbers.count(page)
    assert [n for n, _ in found.typed] == ["1,000", "12.5%"]
    assert found.generated == 7  # five in the answer, the config default and the count of runs


def test_an_answer_not_placed_is_a_warning_and_a_placeholder_without_findings_an_error(tree):
    write_page(tree, first="Prose first.")
    result = build(tree, strict=False)
    assert any("answer 'relu-above-tanh' is defined but no {{ answer }} places it" in w for w in result.warnings)
    write_page(tree, answer="")
    with pytest.raises(SiteError, match="an 'answer' list of findings in the front matter"):
        build(tree, strict=False)


def test_images_says_how_many_training_images_the_runs_trained_on(inv):
    assert value(inv, "images of SimpleNet2 activation=ReLU") == "all"  # the fixtures train on the whole set
    for r in inv.runs:
        if r.variant == TANH:
            r.record["config"]["train_size"] = 10_000
    assert value(inv, "images of SimpleNet2 activation=tanh") == "10,000"
    assert value(inv, "images of SimpleNet2 activation=ReLU|tanh") == "10,000 and all"
    inv.runs[0].record["data"] = {"train_images": 2_000}  # what the run recorded comes first
    assert value(inv, "images of SimpleNet2 activation=ReLU|tanh") == "2,000, 10,000 and all"


def chosen(inv, *terms: str) -> list[tuple[str, int]]:
    """The (activation, seed) of each run a group's terms choose."""
    return sorted((r.variant.kwargs["activation"], r.record["seed"]) for r in findings.group(list(terms), inv).runs)


def test_images_terms_choose_the_runs_by_the_training_images_their_records_state(inv):
    for r in inv.runs:
        if r.variant in (RELU, TANH):
            r.record["data"] = {"train_images": 10_000 if (r.variant, r.record["seed"]) != (RELU, 314159) else 60_000}
    # none and LeNet5 state no number (the fixtures'): no number term matches them
    assert chosen(inv, "SimpleNet2", "images=60000") == [("ReLU", 314159)]
    assert chosen(inv, "SimpleNet2", "activation=ReLU", "images=10000") == [("ReLU", 1729), ("ReLU", 271828)]
    assert len(chosen(inv, "SimpleNet2", "images=10000|60000")) == 6
    assert chosen(inv, "SimpleNet2", "images>10000") == [("ReLU", 314159)]
    assert chosen(inv, "SimpleNet2", "images<=10000") == chosen(inv, "SimpleNet2", "images<60000") == \
        [("ReLU", 1729), ("ReLU", 271828), ("tanh", 1729), ("tanh", 271828), ("tanh", 314159)]
    assert chosen(inv, "SimpleNet2", "images>=1") == chosen(inv, "SimpleNet2", "images=10000|60000")
    assert value(inv, "final_val of SimpleNet2 activation=ReLU images=10000") == "96.5%"  # (97 + 96) / 2
    assert value(inv, "count runs of SimpleNet2 images<10000") == "0"


def test_epochs_terms_choose_the_runs_by_the_epochs_their_records_hold(inv):
    assert chosen(inv, "SimpleNet2", "epochs=12") == [("none", 1729)]
    assert chosen(inv, "SimpleNet2", "epochs<30") == [("none", 1729)]
    assert len(chosen(inv, "SimpleNet2", "epochs>=30")) == 6 and ("none", 1729) not in chosen(inv, "epochs>=30")
    assert len(chosen(inv, "epochs=12|30")) == 8  # LeNet5's run too: the term chooses no family
    assert value(inv, "count runs of SimpleNet2 epochs>12") == "6"
    assert holds(inv, "SimpleNet2 activation=ReLU epochs>=20 beats SimpleNet2 epochs<20 on final_val")  # 97.0 vs 96.5
    assert not holds(inv, "SimpleNet2 epochs>=20 beats SimpleNet2 epochs<20 on final_val")  # 94.0 vs 96.5


def test_a_variant_parameter_named_epochs_wins_over_the_records_count():
    short, long = (variant("SimpleNet2", depth=0, activation="ReLU", epochs=e) for e in (10, 20))
    stopped = Run(Path("short.json"), make_record(INV, short, 1729, epochs=5), short)  # planned 10, holds 5
    finished = Run(Path("long.json"), make_record(INV, long, 1729, epochs=20), long)
    inv = InvestigationData(SPEC, [stopped, finished], [short, long])
    assert findings.group(["epochs=10"], inv).runs == (stopped,)  # the variant's 10, not the record's 5
    assert findings.group(["epochs>=15"], inv).runs == (finished,)
    with pytest.raises(findings.ExpressionError, match="matches none"):
        findings.group(["epochs=5"], inv)


def test_a_tuple_parameter_is_matched_as_the_variants_name_writes_it():
    wide, split = (variant("MLP", widths=w, activation=a) for w, a in (((1000,), "ReLU"), ((950, 50), ("ReLU", "sigmoid"))))
    spec = sample.investigations()[INV]
    inv = InvestigationData(spec, [], [wide, split])
    assert findings.group(["widths=950-50"], inv).variants == (split.name,)
    assert findings.group(["activation=ReLU-sigmoid|ReLU"], inv).variants == (wide.name, split.name)
    assert findings.group(["widths=1000"], inv).variants == (wide.name,)
    # and named as a claim's value: best|worst <parameter> ... is 950-50
    split_run = Run(Path("split.json"), make_record(INV, split, 1729), split)
    wide_run = Run(Path("wide.json"), make_record(INV, wide, 1729), wide)
    split_run.record["epochs"]["val_accuracy"][-1], wide_run.record["epochs"]["val_accuracy"][-1] = 0.9, 0.8
    with_runs = InvestigationData(spec, [split_run, wide_run], [wide, split])
    assert findings.Evaluator(with_runs).claim("best widths by final_val of MLP is 950-50").holds
    assert not findings.Evaluator(with_runs).claim("best widths by final_val of MLP is 1000").holds


def test_setting_and_train_seconds_read_what_the_records_say(inv):
    for r in inv.runs:
        r.record["config"]["lr"] = 0.01 if r.variant == RELU else 0.1
        r.record["data"] = {"train_images": 1_000, "val_images": 8_000, "test_images": 2_000}
        r.record["epochs"]["seconds"] = [0.5 if r.variant == RELU else 1.0] * len(r.record["epochs"]["epoch"])
    assert value(inv, "setting lr of SimpleNet2 activation=ReLU") == "0.01"
    assert value(inv, "setting lr of SimpleNet2 activation=ReLU|tanh") == "0.01 and 0.1"
    assert value(inv, "setting val_images of SimpleNet2") == "8,000"
    assert value(inv, "train_seconds of SimpleNet2 activation=ReLU") == "15"  # 30 epochs of 0.5 s, summed
    assert value(inv, "max train_seconds of SimpleNet2 activation=tanh to 1 decimals") == "30.0"
    assert holds(inv, "SimpleNet2 activation=ReLU beats SimpleNet2 activation=tanh on train_seconds")  # fewer is better
    with pytest.raises(findings.ExpressionError, match="a training setting of the records"):
        value(inv, "setting colour of SimpleNet2")


def test_left_chance_is_the_first_epoch_above_chance_and_a_run_still_at_chance_has_none(inv):
    for r, first in zip(inv.runs, (1, 20, None, 3, 5, 7)):  # the ReLU and tanh seeds leave chance here
        column = r.record["epochs"]["val_accuracy"]
        r.record["epochs"]["val_accuracy"] = [0.1135 if first is None or epoch < first else 0.9
                                              for epoch in range(1, len(column) + 1)]
    assert value(inv, "min left_chance of SimpleNet2 activation=ReLU") == "1"
    assert value(inv, "max left_chance of SimpleNet2 activation=ReLU") == "20"  # the third never left
    assert value(inv, "left_chance of SimpleNet2 activation=ReLU to 1 decimals") == "10.5"  # the two that left
    assert value(inv, "left_chance of SimpleNet2 activation=tanh") == "5"
    assert value(inv, "left_chance of LeNet5") == "no value yet"  # collapsed: never left chance
    assert holds(inv, "SimpleNet2 activation=tanh beats SimpleNet2 activation=ReLU on left_chance")  # earlier
    assert not holds(inv, "SimpleNet2 activation=ReLU beats SimpleNet2 activation=tanh on left_chance")
    assert holds(inv, "max left_chance of SimpleNet2 activation=tanh below 8")
    assert not holds(inv, "max left_chance of SimpleNet2 activation=tanh below 7")


def test_an_investigation_reads_the_summaries_of_its_declared_problem_with_runs_or_without():
    spec = builder.discover_investigations()["digit-pairs"]  # its problem has a digit accuracy
    empty = InvestigationData(spec, [], list(spec.variants))
    assert value(empty, "final_val_digit_accuracy of SiameseNet") == "no value yet"
    assert value(empty, "setting lr of SiameseNet") == "no runs yet"


def test_a_note_writes_three_or_more_consecutive_seeds_as_a_range():
    assert findings._seed_list([1, 2, 3, 4, 5, 7, 9, 10]) == "1–5, 7, 9, 10"
    assert findings._seed_list([1729, 271828, 314159]) == "1729, 271828, 314159"
    assert findings._seed_list([]) == ""
