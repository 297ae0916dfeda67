"""The page elements: one module per block placeholder kind, listed in :mod:`.registry`.

:mod:`.base` defines what an element declares (:class:`.base.Element`); the placeholder parser
(:mod:`battleground.site.placeholders`), the page reader (:mod:`battleground.site.frontmatter`),
the renderer (:mod:`battleground.site.pages`) and the builder only ever ask the registry.
"""
