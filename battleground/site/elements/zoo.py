"""``{{ zoo: <part> }}``: one part of the network zoo's analysis (the class over its four
attempts, strategies, easy/weird/confusing digits with their pictures, the best network,
ensembles, late learners), computed when the context is built and rendered by
:mod:`battleground.site.zoo_page`; the digit pictures are data files cut from the IDX test images
at build time (``build.py --data-dir``)."""

from __future__ import annotations

from battleground.site import zoo_page
from battleground.site.context import Context, Page, SiteError
from battleground.site.elements.base import Element, Rendering


def check_use(part: str | None, page: Page, context: Context, where: str) -> None:
    expected = zoo_page.check_part(part)
    if expected is None and not page.investigation:
        expected = "an investigation page (front matter 'investigation: network-zoo')"
    if expected is not None:
        raise SiteError(page.path, where, expected, f"{zoo_page.KIND}: {part}")


def render(r: Rendering, part: str | None) -> str:
    return zoo_page.render(r.env, part, r.context.zoo[r.page.investigation])


def files(page: Page, context: Context) -> dict[str, bytes]:
    if not page.investigation or zoo_page.KIND not in page.kinds:
        return {}
    return zoo_page.files(context.zoo[page.investigation])


ELEMENT = Element(kind=zoo_page.KIND, render=render, takes_argument=True, check_use=check_use,
                  needs=("charts", "zoo.js"), files=files)
