"""The HTML view: text kept exactly, every entity marked, everything escaped, nothing external."""

from __future__ import annotations

import os
import re
import stat
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from medner_cli.cli import cli
from medner_cli.doc import Doc
from medner_cli.html import (FIXED_COLOURS, OPEN_LIMIT, label_colours, render_document,
                             render_index, render_page)

DATA = Path(__file__).parent / "data"
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><svg onload=alert(1)>"]


class Page(HTMLParser):
    """The page as the tests see it: each document's text and each marked element's span."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[list[str]] = []
        self.marks: list[list[dict]] = []  # per document: mark elements in document order
        self.cues: list[list[dict]] = []
        self.stack: list[tuple[str, dict | None]] = []  # open elements inside a .text block
        self.pos = 0
        self.feed(source)
        self.close()
        assert not self.stack, "unclosed element in a document's text"

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if self.stack:
            rec = None
            if tag in ("mark", "u"):
                rec = {"attrs": a, "start": self.pos, "parts": []}
                (self.marks if tag == "mark" else self.cues)[-1].append(rec)
            self.stack.append((tag, rec))
        elif tag == "div" and "text" in a.get("class", "").split():
            self.texts.append([])
            self.marks.append([])
            self.cues.append([])
            self.pos = 0
            self.stack.append((tag, None))

    def handle_endtag(self, tag):
        if self.stack:
            open_tag, rec = self.stack.pop()
            assert open_tag == tag, f"</{tag}> closes <{open_tag}>: marks are not nested"
            if rec is not None:
                rec["end"] = self.pos
                rec["text"] = "".join(rec.pop("parts"))

    def handle_data(self, data):
        if self.stack:
            self.texts[-1].append(data)
            self.pos += len(data)
            for _, rec in self.stack:
                if rec is not None:
                    rec["parts"].append(data)

    def text(self, n: int) -> str:
        return "".join(self.texts[n])


def check_doc(page: Page, n: int, doc: Doc) -> None:
    """The text is the document's text; each entity is one mark or contiguous segments."""
    assert page.text(n) == doc.text
    by_entity: dict[int, list[dict]] = {}
    for rec in page.marks[n]:
        by_entity.setdefault(int(rec["attrs"]["data-entity"]), []).append(rec)
    assert sorted(by_entity) == list(range(len(doc.entities)))
    for i, ent in enumerate(doc.entities):
        segs = by_entity[i]
        assert "".join(s["text"] for s in segs) == ent.text == doc.text[ent.start:ent.end]
        assert segs[0]["start"] == ent.start and segs[-1]["end"] == ent.end
        assert all(a["end"] == b["start"] for a, b in zip(segs, segs[1:]))
        assert all(s["attrs"]["data-label"] == ent.label for s in segs)
        assert ["tabindex" in s["attrs"] for s in segs] == [True] + [False] * (len(segs) - 1)
        ends = ["end" in s["attrs"]["class"].split() for s in segs]
        assert ends == [False] * (len(segs) - 1) + [True]


def make_doc(doc_id: str, text: str, spans, **kw) -> Doc:
    doc = Doc(doc_id, text)
    for start, end, label in spans:
        doc.entities.append(doc.span(start, end, label, **kw))
    return doc


def span_of(text: str, needle: str, label: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle), label


def test_text_kept_exactly_crlf_non_ascii():
    text = "Café: warfarin 2 mg\r\nand sepsis.\r\n\r\n  indented\ttab\rlone CR 😀 emoji → ünïcode\n"
    doc = make_doc("crlf", text, [span_of(text, "warfarin", "Chemical"),
                                  span_of(text, "2 mg\r\nand", "Dosage"),
                                  span_of(text, "😀", "Emoji"), span_of(text, "ünïcode", "X")])
    page_html = render_page([doc])
    page = Page(page_html)
    check_doc(page, 0, doc)
    assert "white-space:pre-wrap" in page_html
    assert "\r\n" in page_html and "😀" in page_html  # raw, not reflowed, not entity-encoded


def test_escaping_in_text_labels_ids_and_attrs():
    text = "Note: " + " then ".join(XSS) + " & aspirin 81 mg."
    doc = Doc(XSS[0], text)
    doc.entities = [
        doc.span(*span_of(text, XSS[0], "Chemical")[:2], XSS[1]),
        doc.span(*span_of(text, XSS[1], "Disease")[:2], "Disease",
                 attrs={"drug": XSS[0], XSS[1]: XSS[2], "amount": [1, 2]}, ids=[XSS[2]],
                 name=XSS[0], source=XSS[1],
                 assertion={"negated": True, "cues": [{"start": 0, "end": 4, "text": XSS[0],
                                                       "category": XSS[1]}]}),
        doc.span(*span_of(text, "aspirin", "")[:2], XSS[2]),
    ]
    for source in (render_page([doc], title=XSS[0]), render_document(doc, title=XSS[1]),
                   render_index([(XSS[0] + ".html", XSS[1], Counter({XSS[2]: 1}))], XSS[0])):
        page = Page(source)
        assert [t for t, _ in page.tags if t in ("img", "svg")] == []
        assert len([t for t, _ in page.tags if t == "script"]) <= 1  # our own script only
        assert not [k for _, a in page.tags for k in a if k.startswith("on")]
        for bad in XSS:
            assert bad not in source
        assert "<script>alert" not in source
    page = Page(render_page([doc], title=XSS[0]))
    check_doc(page, 0, doc)
    tips = [m["attrs"]["data-tip"] for m in page.marks[0]]
    assert XSS[0] in tips[1] and XSS[2] in tips[1]  # the attribute value, unescaped, is intact
    assert {m["attrs"]["data-label"] for m in page.marks[0]} == {XSS[1], "Disease", XSS[2]}


def test_nested_and_identical_spans_are_nested_marks():
    text = "acute on chronic kidney disease stage 3a with aspirin"
    doc = make_doc("n", text, [span_of(text, "acute on chronic kidney disease", "Disease"),
                               span_of(text, "kidney disease", "Disease"),
                               span_of(text, "kidney", "Organ"),
                               span_of(text, "kidney", "Other"),
                               span_of(text, "aspirin", "Chemical")])
    page = Page(render_page([doc]))
    check_doc(page, 0, doc)
    assert len(page.marks[0]) == len(doc.entities)  # nesting needs no segments


def test_partial_overlaps_become_segments_of_one_entity():
    text = "metformin hydrochloride extended release 500 mg tablets"
    doc = make_doc("o", text, [(0, 23, "Chemical"), (10, 40, "Form"), (24, 47, "Dosage"),
                               (30, 55, "Dosage")])
    page = Page(render_page([doc]))
    check_doc(page, 0, doc)
    assert len(page.marks[0]) > len(doc.entities)
    assert {m["attrs"]["data-entity"] for m in page.marks[0] if "cont" in m["attrs"]["class"]}


TEXT_PIECES = st.sampled_from(["a", "b ", "\r\n", "\n", "é", "😀", "<", "&", "\t", "mg "])


@st.composite
def docs(draw):
    text = "".join(draw(st.lists(TEXT_PIECES, min_size=1, max_size=30)))
    doc = Doc("h", text)
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        assertion = None
        if draw(st.booleans()):
            cs = draw(st.integers(0, len(text) - 1))
            ce = draw(st.integers(cs + 1, len(text)))
            assertion = {"negated": draw(st.booleans()), "historical": draw(st.booleans()),
                         "cues": [{"start": cs, "end": ce, "text": text[cs:ce],
                                   "category": "negation"}]}
        doc.entities.append(doc.span(start, end, draw(st.sampled_from(["Chemical", "Z"])),
                                     assertion=assertion))
    return doc


@settings(max_examples=150, deadline=None)
@given(docs())
def test_any_spans_keep_text_and_entities(doc):
    page = Page(render_page([doc]))
    check_doc(page, 0, doc)
    for cue in page.cues[0]:
        assert cue["text"] and page.text(0)[cue["start"]:cue["end"]] == cue["text"]


def test_assertion_cues_badges_and_tooltip():
    text = "No evidence of pneumonia. Mother had breast cancer. Possible sepsis on aspirin."
    doc = Doc("a", text)
    neg, fam, unc, chem = (span_of(text, w, l) for w, l in [
        ("pneumonia", "Disease"), ("breast cancer", "Disease"), ("sepsis", "Disease"),
        ("aspirin", "Chemical")])
    cue = span_of(text, "No evidence of", "")
    doc.entities = [
        doc.span(*neg[:2], "Disease", assertion={"negated": True, "cues": [
            {"start": cue[0], "end": cue[1], "text": "No evidence of", "category": "negation"}]}),
        doc.span(*fam[:2], "Disease", assertion={"family": True, "historical": True, "cues": []}),
        doc.span(*unc[:2], "Disease", score=0.8766, assertion={"uncertain": True}),
        doc.span(*chem[:2], "Chemical", source="lexicon", ids=["MESH:D001241"], name="Aspirin",
                 attrs=None),
    ]
    page = Page(render_page([doc]))
    check_doc(page, 0, doc)
    marks = page.marks[0]
    classes = [m["attrs"]["class"].split() for m in marks]
    assert "neg" in classes[0] and "unc" in classes[2] and "neg" not in classes[1]
    assert marks[0]["attrs"]["data-badge"] == "neg"
    assert marks[1]["attrs"]["data-badge"] == "hist fam"
    assert [c["text"] for c in page.cues[0]] == ["No evidence of"]
    tips = [m["attrs"]["data-tip"] for m in marks]
    assert "assertion: negated" in tips[0] and "“No evidence of” (negation)" in tips[0]
    assert "score 0.877" in tips[2] and "assertion: uncertain" in tips[2]
    assert "ids: MESH:D001241 (Aspirin)" in tips[3] and "lexicon" in tips[3]


def test_dose_attributes_in_tooltip():
    text = "aspirin 81 mg daily"
    doc = Doc("d", text)
    doc.entities = [doc.span(8, 19, "Dosage", source="rule",
                             attrs={"amount": 81.0, "unit": "mg", "frequency": "daily",
                                    "drug": "aspirin", "range": [1, 2]})]
    tip = Page(render_page([doc])).marks[0][0]["attrs"]["data-tip"]
    assert tip.splitlines() == ["Dosage · score 1.000 · rule",
                                "amount: 81, unit: mg, frequency: daily, drug: aspirin, range: 1–2"]


def test_colours_fixed_and_stable():
    assert label_colours("Chemical") == FIXED_COLOURS["Chemical"]
    assert label_colours("Gene") == label_colours("Gene") != label_colours("Species")
    text = "x y z"
    doc = make_doc("c", text, [(0, 1, "Chemical"), (2, 3, "Gene"), (4, 5, "Disease")])
    source = render_page([doc])
    for label in ("Chemical", "Gene", "Disease"):
        assert label_colours(label)[0] in source
    assert render_page([doc]) == source  # deterministic


def test_legend_and_counts():
    text = "aspirin and ibuprofen for gout"
    doc = make_doc("c", text, [span_of(text, "aspirin", "Chemical"),
                               span_of(text, "ibuprofen", "Chemical"),
                               span_of(text, "gout", "Disease")])
    source = render_page([doc, make_doc("empty", "nothing here", [])])
    assert ">Chemical 2</span>" in source and ">Disease 1</span>" in source
    assert '<div class="legend">' in source and "2 documents · 3 entities" in source


def test_no_external_resources():
    text = "Aspirin 81 mg for angina; see the chart."
    doc = make_doc("u", text, [span_of(text, "Aspirin", "Chemical"), (8, 13, "Dosage")])
    pages = [render_page([doc]), render_document(doc, index_href="index.html"),
             render_index([("u.html", "u", Counter({"Chemical": 1}))])]
    for source in pages:
        assert "http" not in source.lower().replace('<meta http-equiv="content-security', "")
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*//""", source)
        assert not re.search(r"@import|url\(|<link|<img|<iframe|<object", source)
        assert "Content-Security-Policy" in source and "default-src 'none'" in source
        for _, attrs in Page(source).tags:
            assert "src" not in attrs
            href = attrs.get("href")
            assert href is None or (":" not in href and not href.startswith("/"))


def test_large_page_is_collapsed_and_lean():
    text = "Aspirin 81 mg daily for angina.\n" * 5
    docs = [make_doc(f"n{i}", text, [(0, 7, "Chemical"), (8, 19, "Dosage"), (24, 30, "Disease")])
            for i in range(2000)]
    t0 = time.perf_counter()
    source = render_page(docs)
    assert time.perf_counter() - t0 < 10
    assert source.count("<details") == 2000 and " open>" not in source
    assert len(source) < 2000 * (len(text) + 1200)
    few = render_page(docs[:OPEN_LIMIT])
    assert few.count(" open>") == OPEN_LIMIT


def test_render_speed_on_sample_notes():
    """Rendering costs a few ms a note, against hundreds for annotation."""
    docs = []
    for line in (DATA / "sample_notes_dosage.jsonl").read_bytes().splitlines():
        rec = orjson.loads(line)
        doc = Doc(rec["id"], rec["text"])
        doc.entities = [doc.span(e["start"], e["end"], e["label"], source="gold",
                                 attrs={"amount": 1.0, "unit": "mg"}) for e in rec["entities"]]
        docs.append(doc)
    render_page(docs)
    t0 = time.perf_counter()
    for _ in range(3):
        render_page(docs)
    per_note = (time.perf_counter() - t0) / 3 / len(docs)
    print(f"render: {per_note * 1000:.2f} ms per sample note")
    assert per_note < 0.05


def test_index_and_document_pages():
    counts = Counter({"Chemical": 2, "Disease": 1})
    source = render_index([("a b.html", "a b", counts), ("c.html", "c", Counter())], "run")
    assert 'href="a%20b.html"' in source and 'href="c.html"' in source
    assert ">2</td>" in source and ">3</td>" in source
    doc = make_doc("one", "aspirin", [(0, 7, "Chemical")])
    page = render_document(doc, index_href="index.html")
    assert 'href="index.html"' in page
    check_doc(Page(page), 0, doc)


# --- the view command ------------------------------------------------------------------------

def write_jsonl(path: Path, records, bad_line: str | None = None) -> Path:
    lines = [orjson.dumps(r).decode() for r in records]
    if bad_line is not None:
        lines.insert(1, bad_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


RECORDS = [
    {"id": "n1", "text": "Aspirin 81 mg daily.\r\nNo angina.", "entities": [
        {"start": 0, "end": 7, "label": "Chemical", "score": 0.99, "source": "model",
         "ids": ["MESH:D001241"], "name": "Aspirin"},
        {"start": 8, "end": 19, "label": "Dosage", "source": "rule",
         "attrs": {"amount": 81.0, "unit": "mg", "drug": "Aspirin"}},
        {"start": 25, "end": 31, "label": "Disease", "assertion": {
            "negated": True, "cues": [{"start": 22, "end": 24, "text": "No",
                                       "category": "negation"}]}}]},
    {"text": "<script>alert(1)</script> sepsis", "entities": [
        {"start": 26, "end": 32, "label": "Disease"}]},
    {"id": "n3/sub", "text": "plain text, no entities field"},
]


def invoke(args):
    return CliRunner().invoke(cli, ["view", *args], catch_exceptions=False)


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_view_file(tmp_path, umask022):
    src = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    out = tmp_path / "view.html"
    result = invoke([str(src), "-o", str(out), "--title", "My <run>"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    source = out.read_bytes().decode("utf-8")
    assert "<title>My &lt;run&gt;</title>" in source and "<script>alert" not in source
    page = Page(source)
    assert [page.text(i) for i in range(3)] == [r["text"] for r in RECORDS]
    first = page.marks[0]
    assert [m["attrs"]["data-label"] for m in first] == ["Chemical", "Dosage", "Disease"]
    assert "ids: MESH:D001241 (Aspirin)" in first[0]["attrs"]["data-tip"]
    assert "drug: Aspirin" in first[1]["attrs"]["data-tip"]
    assert "neg" in first[2]["attrs"]["class"].split() and page.cues[0][0]["text"] == "No"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_view_folder(tmp_path, umask022):
    src = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    out = tmp_path / "pages"
    result = invoke([str(src), "-o", str(out) + "/"])
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    # pages are named by document id as in every folder output ("n3/sub" -> n3/sub.html)
    assert names == ["2.html", "index.html", "n1.html", "n3/sub.html"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in out.rglob("*.html"))
    assert 'href="../index.html"' in out.joinpath("n3", "sub.html").read_text()
    index = out.joinpath("index.html").read_bytes().decode("utf-8")
    assert all(f'href="{n}"' in index for n in names if n != "index.html")
    page = Page(out.joinpath("n1.html").read_bytes().decode("utf-8"))
    assert page.text(0) == RECORDS[0]["text"] and len(page.marks[0]) == 3


def test_view_stdout_and_bad_line(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", RECORDS, bad_line='{"text": "broken"')
    result = CliRunner().invoke(cli, ["view", str(src)])
    assert result.exit_code == 1
    assert f"{src}:2: malformed JSON" in result.stderr
    page = Page(result.stdout)
    assert len(page.texts) == 3  # the other lines are still rendered


def test_view_bad_entities_reported_with_line(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [
        RECORDS[0], {"text": "short", "entities": [{"start": 0, "end": 99, "label": "X"}]},
        {"id": 5}])
    out = tmp_path / "v.html"
    result = invoke([str(src), "-o", str(out)])
    assert result.exit_code == 1 and out.exists()
    assert f"{src}:2: bad entities" in result.stderr
    assert f"{src}:3: text field" in result.stderr


def test_view_usage_errors(tmp_path):
    assert invoke([str(tmp_path / "missing.jsonl")]).exit_code == 2
    assert invoke([]).exit_code == 2
