"""The committed Iosevka subset (``static/fonts/``, cut by ``scripts/subset_fonts.py``) has every
character the published site sets that Iosevka itself has: a page whose prose, labels or scripts
gain a new character fails here, rather than showing it in a fallback font.

Characters Iosevka lacks altogether (the moon of the theme toggle, ☾) fall back to a system font
with or without the subset, so they are not asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fontTools.ttLib import TTFont  # the test extra's; the site side needs no font tooling

from battleground.site.assets import FONT_FACES, FONT_PACKAGE, font_file

ROOT = Path(__file__).resolve().parent.parent


def characters(site: Path) -> set[str]:
    """Every character of the site's pages and of its own scripts (not Plotly's bundle)."""
    texts = [p.read_text(encoding="utf-8") for p in site.glob("*.html")]
    texts += [p.read_text(encoding="utf-8") for p in (site / "static" / "js").glob("*.js")
              if p.name != "plotly.min.js"]
    return set("".join(texts))


@pytest.mark.parametrize("weight,style", FONT_FACES)
def test_the_font_subset_has_every_character_the_published_site_sets(published_site, weight, style):
    full = TTFont(ROOT / "node_modules" / FONT_PACKAGE / "files" / f"iosevka-latin-{weight}-{style}.woff2")
    subset = TTFont(ROOT / font_file(weight, style))
    full_cmap, subset_cmap = set(full.getBestCmap()), set(subset.getBestCmap())
    used = {ord(c) for c in characters(published_site)}
    assert ord("a") in used and ord("a") in subset_cmap  # the check reads real text and a real font
    missing = sorted(chr(c) for c in (used & full_cmap) - subset_cmap)
    assert not missing, (f"the site uses characters its Iosevka subset lacks: {''.join(missing)!r}; "
                         "add them to KEEP in scripts/subset_fonts.py and run it")
    # the site is served the subset, and the subset is a small fraction of the full font
    assert (published_site / font_file(weight, style)).read_bytes() == (ROOT / font_file(weight, style)).read_bytes()
    assert (ROOT / font_file(weight, style)).stat().st_size < 100 * 1024
