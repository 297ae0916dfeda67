"""Static files: the site's own (``static/``) and the vendored ones, all self-hosted.

Vendored files come from the npm packages pinned in ``package.json`` (installed by ``npm ci``
into ``node_modules/``) and from the ``plotly`` Python package (``plotly.min.js``). Only the font
files the site uses are copied. No page requests anything from another host.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from battleground.site.context import SiteError

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"

# Iosevka, latin subset: (weight, style) pairs the stylesheet uses.
FONT_FACES = ((400, "normal"), (700, "normal"))  # italics are slanted by the browser: each file is ~1 MB
FONT_PACKAGE = "@fontsource/iosevka"

# node_modules file -> path in the site
NPM_FILES = {
    "normalize.css/normalize.css": "static/css/normalize.css",
    "normalize.css/LICENSE.md": "static/licenses/normalize.css.LICENSE.md",
    "simpledotcss/simple.css": "static/css/simple.css",
    "simpledotcss/LICENSE": "static/licenses/simpledotcss.LICENSE",
    f"{FONT_PACKAGE}/LICENSE": "static/licenses/iosevka.LICENSE",
    **{
        f"{FONT_PACKAGE}/files/iosevka-latin-{w}-{s}.woff2": f"static/fonts/iosevka-latin-{w}-{s}.woff2"
        for w, s in FONT_FACES
    },
}


def plotly_js() -> Path:
    """The plotly.js bundle shipped inside the ``plotly`` Python package."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise SiteError(path, "(file)", "plotly.min.js inside the installed plotly package (pip install plotly)")
    return path


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
            f"  src: url(../fonts/iosevka-latin-{weight}-{style}.woff2) format('woff2');\n"
            "}\n"
        )
    return "/* Iosevka (SIL OFL 1.1) from @fontsource/iosevka, latin subset */\n" + "".join(rules)


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
    files["static/js/plotly.min.js"] = plotly_js()
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        relative = path.relative_to(static).as_posix()
        files["favicon.svg" if relative == "favicon.svg" else f"static/{relative}"] = path
    return files
