"""Small-cell suppression for tables whose rows and columns add up to published totals.

Primary: a count from 1 to THRESHOLD - 1 is not shown (a zero is: it tells about no one).
Complementary: a sum (a row or a column with its total) that would have exactly one hidden
cell lets anyone compute it back, so a second cell of that sum is hidden too, the smallest
shown one; this repeats until no sum has exactly one hidden cell. The cells of one table
depend on that table's counts alone, so every report that shows the table shows it the same.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

THRESHOLD = 10

Key = TypeVar("Key", bound=Hashable)


def suppress(
    counts: Mapping[Key, int], sums: Iterable[Sequence[Key]], threshold: int = THRESHOLD
) -> set[Key]:
    """The keys to hide. `sums`: groups of keys that add up, the total's key first."""
    hidden = {key for key, count in counts.items() if 0 < count < threshold}
    groups = [list(group) for group in sums]
    changed = True
    while changed:
        changed = False
        for group in groups:
            inside = [key for key in group if key in hidden]
            if len(inside) != 1:
                continue
            shown = [key for key in group if key not in hidden and counts.get(key, 0) > 0]
            if not shown:
                continue  # the only other cells are zeros: the hidden one is the total's value
            # smallest first; among equals, a part before the total (keeps totals visible)
            pick = min(shown, key=lambda k: (counts[k], k == group[0], str(k)))
            hidden.add(pick)
            changed = True
    return hidden


def disclosed(
    counts: Mapping[Key, int], hidden: set[Key], sums: Iterable[Sequence[Key]]
) -> set[Key]:
    """Hidden keys an attacker can compute back by solving sums with one unknown, repeatedly.

    Used by the tests as the attacker: with a correct suppression it returns nothing."""
    known = {key for key in counts if key not in hidden}
    groups = [list(group) for group in sums]
    found: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for group in groups:
            unknown = [key for key in group if key not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.add(unknown[0])
                changed = True
    return found & hidden
