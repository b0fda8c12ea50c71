"""The collector pause: nested and overlapping pauses keep it off until the last one ends, and a
collector someone else switched off stays off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from engine.gc_pause import cyclic_gc_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_pauses_switch_the_collector_back_on_only_at_the_end() -> None:
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_from_two_threads() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with cyclic_gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with cyclic_gc_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first pause ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first pause ended": False}
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off_and_no_pause_is_a_no_op() -> None:
    gc.disable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with cyclic_gc_paused(pause=False):
        assert gc.isenabled()
    assert gc.isenabled()


def test_an_exception_still_ends_the_pause() -> None:
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        raise RuntimeError("bulk work failed")
    assert gc.isenabled()
