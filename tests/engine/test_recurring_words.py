"""An artist's recurring words (:mod:`engine.sessions.recurring_words`): which words they are, that they
are per user, and that a new subject in a shared template reads as the new subject it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.records import GenerationRecord
from engine.session_analysis import analyze_records
from engine.sessions.recurring_words import RecurringWordSettings, recurring_words_of
from tests.engine.session_records import memberships, paced

TEMPLATE = (
    "studio product photo of {}, seamless white background, softbox lighting, 85mm, commercial photography"
)
PRODUCTS = [
    "a linen throw pillow in terracotta",
    "a glass jar of wildflower honey",
    "a brushed steel water bottle",
    "a pair of noise cancelling headphones",
    "an amber serum bottle with a pipette",
    "a cast iron skillet",
    "tortoiseshell sunglasses",
    "a wooden toy train",
    "a soy candle in a concrete jar",
    "a mechanical keyboard",
    "a ceramic coffee dripper",
    "a smartwatch with an olive strap",
]


def _client_days(days: int, user: str = "ada") -> Iterator[GenerationRecord]:
    """Each day at 9:00 two client jobs in one template, 12 renders a minute apart, the second job 30
    minutes after the first."""
    for day in range(days):
        for job in range(2):
            product = PRODUCTS[(2 * day + job) % len(PRODUCTS)]
            start = day * 24 * 60 + job * (12 + 30)
            yield from paced(f"{user}d{day}j{job}-", start, 12, 1.0, TEMPLATE.format(product), user=user)


def test_template_words_recur_and_a_products_words_do_not() -> None:
    learned = recurring_words_of(list(_client_days(6)))["ada"]
    scales = learned.scales
    assert learned.sittings == 6

    settings = RecurringWordSettings()
    for word in ("seamless", "softbox", "commercial"):
        assert scales[word] == pytest.approx(settings.floor)
    for word in ("honey", "skillet", "sunglasses", "pillow"):
        assert word not in scales


def test_too_few_sittings_learn_nothing_and_users_are_apart() -> None:
    records = list(_client_days(3)) + list(_client_days(6, user="bea"))

    learned = recurring_words_of(records)

    assert "ada" not in learned  # three sittings: a project's own words, not a template
    assert learned["bea"].scales["softbox"] == pytest.approx(RecurringWordSettings().floor)


def test_a_new_product_in_the_template_reads_as_a_new_subject() -> None:
    records = list(_client_days(6))

    with_words = analyze_records(records)
    without = analyze_records(records, recurring_words={"ada": {}})

    for day in range(6):  # the second job's first render: the boundary score rises by the context term
        job_change = f"adad{day}j1-000"
        assert with_words.boundary_margins[job_change] > without.boundary_margins[job_change] + 1.2
    assert all(margin < 0 for margin in without.boundary_margins.values() if margin != float("inf"))
    assert len(memberships(without)) == 6  # the shared template joined each day's two jobs
    assert len(memberships(with_words)) > 6
    assert memberships(with_words)[0] == [f"adad0j0-{i:03d}" for i in range(12)]
