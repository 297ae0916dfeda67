"""CSV text that a spreadsheet reads as data, never as formulas.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some
strip a leading tab or carriage return first), so a variant name from a record such as
``=HYPERLINK(...)`` would run when a reader opens a downloaded CSV. As OWASP's CSV-injection
guidance says, such a text cell is written with a single quote before it, which the spreadsheet
shows as text. Numbers are written as numbers, negative ones too: only text is changed.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")  # text that a spreadsheet reads as a number


def safe_cell(value: Any) -> Any:
    """``value``, with a ``'`` before a text that a spreadsheet would read as a formula; numbers
    (and text that is a plain number, such as ``-0.5``) as they are; None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header and rows as CSV text, every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
