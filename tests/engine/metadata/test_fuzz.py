"""Mutated real fixtures: nothing but ``UnreadableImage`` may escape, and no read may take > 1 s of CPU
(the reading thread's, fastest of three runs when over: ``tests.cpu_budget``).

The shared fixtures hold no AVIF: two are written here as AUTOMATIC1111 writes them (``tests.avif_files``,
one small and one with an infotext of many parameters) so the ISO-BMFF walk is mutated too.

The mutator is seeded (reproducible); a failure message names the seed, iteration and fixture so
the exact bytes can be rebuilt. The default run mutates 2,400 files; the ``slow`` variant 40,000.
A reader exception caught by the dispatcher's safety net (``reader bug in …``) counts as a failure.
"""

from __future__ import annotations

import random
import time
from functools import partial
from pathlib import Path

import pytest
from metadata_fixture_paths import IMAGES_DIR
from metadata_fuzz import marker_offsets, mutate

from engine.metadata import UnreadableImage, read_image_bytes
from tests.avif_files import A1111_INFOTEXT, a1111_avif
from tests.cpu_budget import fastest_cpu_seconds

MAX_READ_SECONDS = 1.0


def _fixtures() -> list[tuple[str, bytes, list[int]]]:
    if not IMAGES_DIR.is_dir():
        return []
    files = sorted(
        path for path in IMAGES_DIR.glob("*/*") if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")
    )
    loaded = []
    for path in files:
        data = path.read_bytes()
        loaded.append((str(path.relative_to(IMAGES_DIR)), data, marker_offsets(data)))
    for name, data in _avif_files():
        loaded.append((name, data, marker_offsets(data)))
    return loaded


def _avif_files() -> list[tuple[str, bytes]]:
    long_infotext = A1111_INFOTEXT + ", " + ", ".join(f"Extra {index}: {index}" for index in range(60))
    return [
        ("generated/00001-1234.avif", a1111_avif(width=64, height=48)),
        ("generated/00002-1234.avif", a1111_avif(long_infotext, width=96, height=64)),
    ]


def run_fuzz(seed: int, iterations: int) -> tuple[int, int, float]:
    """Returns ``(records, unreadable, slowest_seconds)``; raises AssertionError on a bad outcome."""
    fixtures = _fixtures()
    if not fixtures:
        pytest.skip(f"shared fixtures not found at {IMAGES_DIR}")
    rng = random.Random(seed)
    records = unreadable = 0
    slowest = 0.0
    for iteration in range(iterations):
        name, data, offsets = fixtures[rng.randrange(len(fixtures))]
        mutated = mutate(data, rng, offsets)
        where = f"seed={seed} iteration={iteration} fixture={name}"
        file_name = Path(name).name
        started = time.thread_time()
        try:
            result = read_image_bytes(mutated, file_name=file_name, mtime=None)
        except UnreadableImage:
            unreadable += 1
        except Exception as exc:  # the property under test: nothing else may escape
            raise AssertionError(f"{type(exc).__name__}: {exc} ({where})") from exc
        else:
            records += 1
            errors = result.record.extra.get("metadata_errors", [])
            assert not any("reader bug" in message for message in errors), f"{errors} ({where})"
        elapsed = fastest_cpu_seconds(
            partial(read_image_bytes, mutated, file_name=file_name, mtime=None),
            MAX_READ_SECONDS,
            time.thread_time() - started,
        )
        slowest = max(slowest, elapsed)
        assert elapsed < MAX_READ_SECONDS, f"read took {elapsed:.2f}s of CPU, fastest of 3 ({where})"
    return records, unreadable, slowest


def test_fuzz_mutated_fixtures() -> None:
    records, unreadable, _ = run_fuzz(seed=20260221, iterations=2400)
    assert records + unreadable == 2400
    assert records > 1000, "the mutator should mostly leave the container readable"


@pytest.mark.slow
def test_fuzz_mutated_fixtures_long() -> None:
    for seed in range(8):
        run_fuzz(seed=seed, iterations=5000)
