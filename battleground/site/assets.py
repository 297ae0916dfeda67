"""Static files: the site's own (``static/``) and the vendored ones, all self-hosted.

Vendored files come from the npm packages pinned in ``package.json`` (installed by ``npm ci``
into ``node_modules/``). Plotly is its cartesian partial bundle, which has the trace types the
site draws (scatter, box, heatmap) at a third of the full bundle's size. Iosevka is a subset of
the npm files, cut once by ``scripts/subset_fonts.py`` and committed under ``static/fonts/``.
No page requests anything from another host.
"""

from __future__ import annotations

from pathlib import Path

from battleground.site.context import SiteError

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"

# Iosevka: (weight, style) pairs the stylesheet uses; italics are slanted by the browser.
FONT_FACES = ((400, "normal"), (700, "normal"))
FONT_PACKAGE = "@fontsource/iosevka"
# The Plotly bundle: scatter, box and heatmap (and others) but no 3-D, map or WebGL traces.
PLOTLY_BUNDLE = "plotly.js-cartesian-dist-min/plotly-cartesian.min.js"

# node_modules file -> path in the site
NPM_FILES = {
    "normalize.css/normalize.css": "static/css/normalize.css",
    "normalize.css/LICENSE.md": "static/licenses/normalize.css.LICENSE.md",
    "simpledotcss/simple.css": "static/css/simple.css",
    "simpledotcss/LICENSE": "static/licenses/simpledotcss.LICENSE",
    f"{FONT_PACKAGE}/LICENSE": "static/licenses/iosevka.LICENSE",
    PLOTLY_BUNDLE: "static/js/plotly.min.js",
    "plotly.js-cartesian-dist-min/LICENSE": "static/licenses/plotly.js.LICENSE",
}


def font_file(weight: int, style: str) -> str:
    """Where a face of the Iosevka subset lies, in the repository and (under ``static/``) in the site."""
    return f"static/fonts/iosevka-subset-{weight}-{style}.woff2"


def fonts_css() -> str:
    """@font-face rules for exactly the copied font files."""
    rules = []
    for weight, style in FONT_FACES:
        rules.append(
            "@font-face {\n"
            "  font-family: 'Iosevka';\n"
            f"  font-style: {style};\n"
            f"  font-weight: {weight};\n"
            "  font-display: swap;\n"
            f"  src: url(../fonts/{Path(font_file(weight, style)).name}) format('woff2');\n"
            "}\n"
        )
    return ("/* Iosevka (SIL OFL 1.1) from @fontsource/iosevka, cut to the characters the site uses "
            "(scripts/subset_fonts.py) */\n" + "".join(rules))


def asset_files(node_modules: Path = ROOT / "node_modules", static: Path = STATIC) -> dict[str, Path | str]:
    """Every asset, by path in the site: a source file to copy or the text to write."""
    node_modules = Path(node_modules)
    if not node_modules.is_dir():
        raise SiteError(node_modules, "(folder)", "the npm packages of package.json; run `npm ci` "
                        "(or `make site`) in the repository root first")
    files: dict[str, Path | str] = {}
    for source, target in NPM_FILES.items():
        path = node_modules / source
        if not path.is_file():
            raise SiteError(path, "(file)", "a file of the pinned npm packages; run `npm ci` (or `make site`)")
        files[target] = path
    files["static/css/fonts.css"] = fonts_css()
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        relative = path.relative_to(static).as_posix()
        files["favicon.svg" if relative == "favicon.svg" else f"static/{relative}"] = path
    return files
