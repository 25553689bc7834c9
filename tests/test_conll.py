"""CoNLL output: a CoNLL reader (seqeval, and medner's own) decodes exactly the entities."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from medner_cli.doc import Doc
from medner_cli.write import conll_document


def decoded(doc: Doc) -> list[tuple[str, str]]:
    """(label, text without white space) of each entity seqeval reads from the CoNLL output."""
    tokens, tags = [], []
    for line in conll_document(doc).decode().splitlines()[1:]:
        if line:
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
        else:  # a blank line ends a sentence: seqeval closes chunks there
            tokens.append("")
            tags.append("O")
    return [(kind, "".join(tokens[i:j + 1])) for kind, i, j in get_entities(tags)]


def expected(doc: Doc) -> list[tuple[str, str]]:
    return [(e.label, "".join(e.text.split())) for e in sorted(doc.entities, key=lambda e: e.start)]


def test_two_entities_inside_one_word_stay_two():
    doc = Doc("d", "Bort-dex was given for multiple myeloma.")
    doc.entities = [doc.span(0, 4, "Chemical"), doc.span(5, 8, "Chemical"),
                    doc.span(23, 39, "Disease")]
    assert decoded(doc) == [("Chemical", "Bort"), ("Chemical", "dex"), ("Disease", "multiplemyeloma")]


def test_an_entity_across_a_line_break_is_one_entity():
    doc = Doc("d", "History of renal\r\nfailure. Stable.")
    doc.entities = [doc.span(11, 25, "Disease")]
    assert decoded(doc) == [("Disease", "renalfailure")]


@st.composite
def documents(draw):
    text = draw(st.text(alphabet="ab1é-./( \n", min_size=1, max_size=60))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    doc = Doc("d", text)
    for start, end in zip(cuts[::2], cuts[1::2]):
        piece = text[start:end]
        if piece.strip() and piece == piece.strip():
            doc.entities.append(doc.span(start, end, draw(st.sampled_from(["Chemical", "Disease"]))))
    return doc


@settings(max_examples=300, deadline=None)
@given(documents())
def test_every_entity_comes_back_from_the_conll(doc):
    assert decoded(doc) == expected(doc)
