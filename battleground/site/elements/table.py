"""``{{ table: <id> }}``: the results table of a ``tables`` entry (:mod:`battleground.site.tables`),
with its CSV download."""

from __future__ import annotations

from pathlib import Path

from battleground.site import frontmatter, tables
from battleground.site.context import Context, InvestigationData, Page, SiteError
from battleground.site.elements.base import NO_RESULTS, Element, Rendering, data_path
from battleground.site.tables import FIELDS, TableDef


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> TableDef:
    return TableDef(id=item["id"], title=item.get("title") or "",
                    selection=frontmatter.selection(item, inv, path, prefix),
                    seed=frontmatter.seed(item, inv, path, prefix, "all"))


def check_page(page: Page) -> None:
    for table_id in page.tables:
        if table_id in page.charts:
            raise SiteError(page.path, "tables", "table ids that no chart uses (each names a download file)", table_id)


def csv_name(page: Page, table_id: str) -> str:
    return data_path(page.investigation, f"{table_id}.csv")


def render(r: Rendering, table_id: str | None) -> str:
    view = tables.table_view(r.page.tables[table_id], r.investigation)
    return r.template("table.html").render(table=view, csv_href=csv_name(r.page, table_id), no_results=NO_RESULTS)


def files(page: Page, context: Context) -> dict[str, str]:
    return {csv_name(page, table.id): tables.table_csv(table, context.investigations[page.investigation])
            for table in page.tables.values()}


ELEMENT = Element(kind="table", render=render, front_matter="tables", fields=FIELDS, define=define,
                  check_page=check_page, needs=("tables",), files=files)
