"""Vectorised counting of codes per group of rows (sessions, phases) in one pass.

Invariant: ``group_of_row`` is non-decreasing (rows of a group are contiguous), so group ``g``'s
distinct codes and their counts are ``codes[offsets[g]:offsets[g + 1]]`` / ``counts[...]``, codes in
ascending order. Missing codes (-1) are counted like any other; callers drop them when they mean "none".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class GroupCounts:
    offsets: np.ndarray
    codes: np.ndarray
    counts: np.ndarray

    def of(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.offsets[group]), int(self.offsets[group + 1])
        return self.codes[start:end], self.counts[start:end]

    def lists(self) -> GroupLists:
        """The same table as plain Python lists (for many per-group reads in Python code)."""
        return GroupLists(self.offsets.tolist(), self.codes.tolist(), self.counts.tolist())

    def distinct_known_all(self) -> np.ndarray:
        """Number of distinct non-missing codes of every group (groups are never empty)."""
        if not len(self.codes):
            return np.zeros(len(self.offsets) - 1, dtype=np.int64)
        return np.add.reduceat((self.codes >= 0).astype(np.int64), self.offsets[:-1])


@dataclass(frozen=True, slots=True)
class GroupLists:
    """:class:`GroupCounts` as lists: group ``g``'s codes are ``codes[offsets[g]:offsets[g + 1]]``."""

    offsets: list[int]
    codes: list[int]
    counts: list[int]


def count_codes_by_group(group_of_row: np.ndarray, codes: np.ndarray, group_count: int) -> GroupCounts:
    if not len(codes):
        return GroupCounts(np.zeros(group_count + 1, dtype=np.int64), codes[:0], codes[:0])
    order = np.lexsort((codes, group_of_row))
    sorted_groups = group_of_row[order]
    sorted_codes = codes[order]
    new_pair = np.ones(len(codes), dtype=bool)
    new_pair[1:] = (sorted_groups[1:] != sorted_groups[:-1]) | (sorted_codes[1:] != sorted_codes[:-1])
    pair_starts = np.flatnonzero(new_pair)
    pair_counts = np.diff(np.append(pair_starts, len(codes)))
    pair_groups = sorted_groups[pair_starts]
    offsets = np.searchsorted(pair_groups, np.arange(group_count + 1), side="left")
    return GroupCounts(offsets=offsets, codes=sorted_codes[pair_starts], counts=pair_counts)
