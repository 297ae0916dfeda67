"""A page's outline: which headings head an empty section (``battleground/site/outline.py``)."""

from __future__ import annotations

from battleground.site.outline import empty_sections


def test_a_heading_followed_by_one_of_its_level_or_higher_or_by_the_end_is_empty():
    body = "## Results\n\n## Accuracy\n\nText.\n\n### Detail\n\n# Part\n\n## Last\n"
    assert empty_sections(body) == [(0, "Results"), (6, "Detail"), (10, "Last")]


def test_a_heading_with_text_a_placeholder_or_subsections_under_it_is_not():
    body = "## Question\n\nWhy?\n\n## Results\n\n{{ table: results }}\n\n## Parts\n\n### One\n\nText.\n"
    assert empty_sections(body) == []


def test_hashes_inside_a_fenced_code_block_are_content_not_headings():
    body = "## Shell\n\n```sh\n# a comment\n## another\n```\n\n## Next\n\n~~~\n```\n~~~\n"
    assert empty_sections(body) == []
    assert empty_sections("## Shell\n\n```\n# a comment\n```\n\n## Empty\n\n## Full\n\nText.\n") == [(6, "Empty")]


def test_a_closing_hash_sequence_and_a_bare_hash_line_are_headings():
    assert empty_sections("## Results ##\n\n## Next\n\nText.\n") == [(0, "Results")]
    assert empty_sections("#\n\n# Title\n\nText.\n") == [(0, "")]
    assert empty_sections("#hashtag, not a heading\n\n## Next\n\nText.\n") == []
