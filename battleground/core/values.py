"""The value checks that the run records, the benchmark files and the training config share.

JSON and Python both count ``True`` as the number 1, so a check for a number must refuse
booleans explicitly; torch-free, like everything the site reads.
"""

from __future__ import annotations

import math
from typing import Any


def is_whole(value: Any) -> bool:
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """An ``int`` or ``float`` that is not a ``bool``; NaN and infinities count (a record's
    diverged loss is one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)


def lookup(data: Any, dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``...`` (Ellipsis) where a part is missing, since
    ``None`` is a value a field may hold."""
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return ...
        data = data[part]
    return data


# torch.manual_seed takes -2**63 .. 2**64 - 1 and wraps a negative seed to seed + 2**64, so -1
# and 18446744073709551615 would train the same run under two names: seeds are 0 .. 2**64 - 1.
SEED_MAX = 2**64 - 1
SEED_RANGE = f"a whole number from 0 to {SEED_MAX} (the seeds torch's generators take without wrapping)"


def is_seed(value: Any) -> bool:
    """A seed that torch's generators take as it is: a whole number in 0 .. :data:`SEED_MAX`."""
    return is_whole(value) and 0 <= value <= SEED_MAX


def printable(text: str) -> str:
    """``text`` with every character that is not printable (a control character, a line break,
    an escape, a bidirectional override) written as its escape, ``\\n``, ``\\x1b``, ``\\u202e``:
    what reaches a terminal or a shell comment can then neither move the cursor nor end a line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
