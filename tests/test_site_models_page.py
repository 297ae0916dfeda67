"""The Models page is made from the catalogue: every family, with its parameters and its source,
a family added to the catalogue included; and the About page credits mnist.org and links every
investigation, whose question's source it names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from battleground.core import catalogue
from battleground.site import content, pages
from battleground.site.context import SiteError
from experiments import discover

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "battleground" / "train" / "models.py"


def render(tmp_path: Path, slug: str) -> str:
    """``site_src/<slug>.md`` as the build renders it, beside a bare home page and no runs."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "index.md").write_text("---\ntitle: Home\nsummary: Home.\norder: 0\n---\n\nHome.\n", encoding="utf-8")
    shutil.copyfile(ROOT / "site_src" / f"{slug}.md", src / f"{slug}.md")
    (tmp_path / "runs").mkdir(exist_ok=True)
    context = content.read_context(src, tmp_path / "runs", {}, MODELS)
    return pages.render_page(pages.environment(), context.page(slug), context)


def sections(html: str) -> dict[str, str]:
    """Each family's section of the Models page, by family name."""
    return dict(re.findall(r'<section class="family" id="family-([\w]+)">(.*?)</section>', html, re.S))


def test_the_models_page_shows_every_catalogue_family_with_its_parameters_and_source(tmp_path):
    found = sections(render(tmp_path, "models"))
    assert list(found) == list(catalogue.FAMILIES)  # every one, in catalogue order, the zoo's included
    assert {"MLP", "ConvNet", "ResNet", "SiameseNet", "ZooResNet"} <= set(found)
    for name, family in catalogue.FAMILIES.items():
        section = found[name]
        assert f"<h3>{name}</h3>" in section
        for param in family.params:
            assert f"<code>{param.name}</code>" in section, f"{name}: parameter {param.name} missing"
        assert f"class {name}(" in section, f"{name}: its source is missing"
    # a zoo family's shared base class is shown once, and the others point to it
    assert sum("class ZooConv(nn.Module)" in s for s in found.values()) == 1
    assert 'href="#family-ZooConv1d"' in found["ZooConv2d"]
    assert "<td>required</td>" in found["SimpleNet2"] and "<code>100</code>" in found["SimpleNet2"]


def test_a_family_added_to_the_catalogue_appears_and_needs_a_class(tmp_path, monkeypatch):
    added = catalogue.Family("TinyNet", "a network a test declares", (catalogue.Param("width", "size", 7),))
    monkeypatch.setitem(catalogue.FAMILIES, "TinyNet", added)
    with pytest.raises(SiteError, match="TinyNet"):  # models.py has no such class
        render(tmp_path, "models")


def test_about_credits_mnist_org_and_links_every_investigation(tmp_path):
    html = render(tmp_path, "about")
    assert re.search(r'<a href="https://mnist\.org/?">[^<]*mnist\.org', html)
    for name in discover():
        assert f'href="{name}.html"' in html, f"About does not link the {name} investigation"
