"""A mergeable, subtractable latency histogram with a documented error bound.

Values are non-negative integer milliseconds. Values below 256 ms have a bin
each (exact). Above that, bins are log-linear like HdrHistogram's: a value with
``b`` significant bits falls in a bin of width ``2**(b - 8)`` whose lower bound
is at least ``128 * width``. A quantile is reported as the middle of its bin,
clamped to the exact minimum and maximum, so

    |estimate − true nearest-rank quantile| ≤ true / 256   (≤ 0.39 %)

and it is exact when the true value is below 256 ms, is the minimum or maximum,
or all values in its bin are equal to the min/max. Counts are integers, so two
histograms add and subtract exactly: window totals are kept incrementally.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping, Sequence
from itertools import accumulate
from typing import Final

__all__ = [
    "EXACT_BELOW",
    "RELATIVE_ERROR",
    "BlockIndex",
    "add_bins",
    "bin_bounds",
    "bin_of",
    "quantile",
    "quantiles",
]

_SIG_BITS: Final = 8
#: Values below this are counted exactly.
EXACT_BELOW: Final = 1 << _SIG_BITS
#: Worst-case relative error of a reported quantile above :data:`EXACT_BELOW`.
RELATIVE_ERROR: Final = 1 / (1 << _SIG_BITS)


def bin_of(value: int) -> int:
    """The bin of a non-negative integer; bins grow with the value."""
    if value < EXACT_BELOW:
        return value
    shift = value.bit_length() - _SIG_BITS
    return (shift << _SIG_BITS) + (value >> shift)


def bin_bounds(index: int) -> tuple[int, int]:
    """``(lowest, highest)`` integer value of a bin, both inclusive."""
    if index < EXACT_BELOW:
        return index, index
    shift, mantissa = index >> _SIG_BITS, index & (EXACT_BELOW - 1)
    low = mantissa << shift
    return low, low + (1 << shift) - 1


def quantiles(
    bins: Mapping[int, int],
    count: int,
    fractions: Sequence[tuple[int, int]],
    *,
    low: int,
    high: int,
    keys: Sequence[int] | None = None,
) -> tuple[int | None, ...]:
    """Nearest-rank quantiles ``num/den`` of the values counted in ``bins``.

    The rank is ``ceil(count * num / den)`` (at least 1), in exact integer
    arithmetic. ``low`` / ``high`` are the exact minimum and maximum, used to
    clamp the bin's midpoint. ``None`` each when there are no values. One sort
    (skipped when the caller keeps ``keys``, the sorted bins) and one cumulative
    pass serve all the fractions.
    """
    if count <= 0:
        return tuple(None for _ in fractions)
    if keys is None:
        keys = sorted(bins)
    cumulative = list(accumulate(map(bins.__getitem__, keys)))
    out: list[int | None] = []
    for num, den in fractions:
        rank = max(1, -(-count * num // den))
        if rank >= count:
            out.append(high)
            continue
        at = min(bisect_left(cumulative, rank), len(keys) - 1)
        a, b = bin_bounds(keys[at])
        out.append(min(max((a + b) // 2, low), high))
    return tuple(out)


def quantile(
    bins: Mapping[int, int], count: int, num: int, den: int, *, low: int, high: int
) -> int | None:
    """One nearest-rank quantile; see :func:`quantiles`."""
    return quantiles(bins, count, [(num, den)], low=low, high=high)[0]


def add_bins(
    into: dict[int, int], other: Mapping[int, int], sign: int = 1, keys: list[int] | None = None
) -> None:
    """``into += sign * other``, dropping bins that reach zero.

    ``keys``, if given, is the sorted list of ``into``'s bins, kept in step.
    """
    for index, n in other.items():
        before = into.get(index, 0)
        total = before + sign * n
        if total:
            into[index] = total
            if keys is not None and not before:
                insort(keys, index)
        else:
            del into[index]
            if keys is not None:
                del keys[bisect_left(keys, index)]


#: Bins per block of :class:`BlockIndex` (as a shift of the bin index).
_BLOCK_SHIFT: Final = 5


class BlockIndex:
    """Counts per block of 32 consecutive bins, kept in step with a histogram, so
    a quantile walks the blocks and then the bins of one block instead of every
    bin: :meth:`quantiles` answers exactly as :func:`quantiles` does."""

    __slots__ = ("blocks", "order")

    def __init__(self) -> None:
        self.blocks: dict[int, int] = {}
        self.order: list[int] = []  # the blocks' keys, sorted

    def add(self, bins: Mapping[int, int], sign: int = 1) -> None:
        """Count ``sign * bins`` (the same change as the histogram's)."""
        blocks = self.blocks
        for index, n in bins.items():
            block = index >> _BLOCK_SHIFT
            before = blocks.get(block, 0)
            total = before + sign * n
            if total:
                blocks[block] = total
                if not before:
                    insort(self.order, block)
            else:
                del blocks[block]
                del self.order[bisect_left(self.order, block)]

    def quantiles(
        self,
        bins: Mapping[int, int],
        keys: Sequence[int],
        count: int,
        fractions: Sequence[tuple[int, int]],
        *,
        low: int,
        high: int,
    ) -> tuple[int | None, ...]:
        """:func:`quantiles` of ``bins`` (sorted ``keys``), which this index counts."""
        if count <= 0:
            return tuple(None for _ in fractions)
        order = self.order
        cumulative = list(accumulate(map(self.blocks.__getitem__, order)))
        out: list[int | None] = []
        for num, den in fractions:
            rank = max(1, -(-count * num // den))
            if rank >= count:
                out.append(high)
                continue
            at = min(bisect_left(cumulative, rank), len(order) - 1)
            run = cumulative[at - 1] if at else 0
            block = order[at]
            first = bisect_left(keys, block << _BLOCK_SHIFT)
            last = bisect_left(keys, (block + 1) << _BLOCK_SHIFT, first)
            found = keys[last - 1]
            for key in keys[first:last]:
                run += bins[key]
                if run >= rank:
                    found = key
                    break
            a, b = bin_bounds(found)
            out.append(min(max((a + b) // 2, low), high))
        return tuple(out)
