"""The offset invariant, for any Unicode text: ``text[start:end] == entity text``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from medner_cli.annotator import Annotator, Options
from tiny_model import CHEMICALS, DISEASE_B, DISEASE_I

WORDS = CHEMICALS + DISEASE_B + DISEASE_I + ["500 mg", "bid", "x 5 days", "\r\n", "\n", "  ", "µg"]


@pytest.fixture(scope="module")
def annotator(tiny_model):
    return Annotator.from_options(Options(model=tiny_model))


texts = st.lists(st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(WORDS)),
                 max_size=60).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts, min_size=1, max_size=4))
def test_entities_cut_exactly_from_the_text(annotator, batch):
    for text, found in zip(batch, annotator.entities(batch)):
        for e in found:
            assert text[e.start:e.end] == e.text and e.start < e.end
            assert e.text == e.text.strip() or e.source == "model"
        spans = sorted((e.start, e.end) for e in found)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "entities overlap"
