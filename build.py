"""Build the static site: ``python build.py [--out DIR] [--runs DIR] [--src DIR] [--strict] [--serve [--port N]]``.

Reads ``site_src/`` and ``runs/``, writes ``_site/``. Never imports torch.
"""

from battleground.site.builder import main

if __name__ == "__main__":
    raise SystemExit(main())
