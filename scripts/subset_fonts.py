"""Cut the site's Iosevka down to the characters it sets: ``static/fonts/iosevka-subset-*.woff2``.

    python scripts/subset_fonts.py        # after `npm ci`; needs fontTools (the test extra)

The site is set in Iosevka, whose latin files (@fontsource/iosevka, pinned in package.json) hold
some 30,000 glyphs in about 1 MB per weight. The site uses about a hundred characters, so the
subset keeps whole Unicode blocks that technical prose draws on (below) and nothing else: some
50 KB per weight. It is made once and committed rather than at every build because fontTools
takes 15–20 s per weight, longer than the rest of the build, and because the site side then needs
no font tooling. ``tests/test_site_fonts.py`` fails when a page uses a character the font has
but the subset lacks; add its block (or the character) to KEEP and run this script again.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from battleground.site.assets import FONT_FACES, FONT_PACKAGE, font_file  # noqa: E402

KEEP = (  # Unicode blocks (first, last code point), and single characters, the subset keeps
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement: ±, ·, ×, µ, non-breaking space
    (0x0370, 0x03FF),  # Greek: σ, μ, Δ
    (0x2000, 0x206F),  # General Punctuation: dashes, ellipsis, thin spaces, ‰
    (0x2070, 0x209F),  # Superscripts and Subscripts: log₂
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators: − (Plotly's minus sign), ≥, ≈
    "★☀",  # the leaderboard's gold star, the theme toggle's sun
)


def code_points(font: TTFont) -> set[int]:
    """The code points of KEEP that ``font`` has a glyph for."""
    cmap = font.getBestCmap()
    wanted = set()
    for item in KEEP:
        wanted |= {ord(c) for c in item} if isinstance(item, str) else set(range(item[0], item[1] + 1))
    return wanted & set(cmap)


def main() -> None:
    for weight, style in FONT_FACES:
        source = ROOT / "node_modules" / FONT_PACKAGE / "files" / f"iosevka-latin-{weight}-{style}.woff2"
        target = ROOT / font_file(weight, style)
        font = TTFont(source, recalcTimestamp=False)  # the same bytes each time it is run
        options = subset.Options()
        options.flavor = "woff2"
        subsetter = subset.Subsetter(options)  # default layout features: kerning, ligatures, marks
        subsetter.populate(unicodes=code_points(font))
        subsetter.subset(font)
        font.save(target)
        print(f"{target.relative_to(ROOT)}: {len(font.getBestCmap())} characters, "
              f"{target.stat().st_size / 1024:.0f} KB (from {source.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
