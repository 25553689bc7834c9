"""A self-contained HTML view of annotated documents (``medner view``, ``--format html``).

The page needs nothing from outside: CSS is inline, the one small script (expand / collapse all)
is inline and allowed by hash in a Content-Security-Policy that forbids every other script,
style source, image, font, frame and connection, so even a failure of escaping could not load or
run anything. Every piece of text - document text, ids, labels, attribute values - is escaped.

Each document's text appears exactly as it is, in a ``white-space: pre-wrap`` block: the text
nodes of the block, joined, are ``doc.text`` (the browser's parser turns CRLF into one line
break). Each entity is a ``<mark class="ent">`` carrying ``data-entity`` (its index in the
document's entity list), ``data-label`` and ``data-tip`` (score, source, dose attributes, ids,
canonical name, assertion and cues: shown on hover or keyboard focus). Nested entities are nested
marks. An entity that partially overlaps another cannot be one element, so it is split into
segments: consecutive marks with the same ``data-entity``, the first one focusable, the last one
carrying the label badge. Assertion cues are ``<u>`` elements, segmented the same way.
Labels, badges and tooltips are CSS generated content, so they are not part of the text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import zlib
from bisect import bisect_left, bisect_right
from collections import Counter
from typing import Any, Iterable

import orjson

from medner_cli.doc import Doc, Entity

# Fixed colours (background, badge) for the labels medner produces.
FIXED_COLOURS = {
    "Chemical": ("#a8d8ff", "#1f5f99"),
    "Disease": ("#ffb8b8", "#a12a2a"),
    "Dosage": ("#bfe8b0", "#2f6f22"),
}
FLAGS = ("negated", "uncertain", "hypothetical", "historical", "family")
_BADGES = {"negated": "neg", "uncertain": "unc", "hypothetical": "hyp", "historical": "hist",
           "family": "fam"}
# Pages with more documents than this start with every document collapsed.
OPEN_LIMIT = 50
_COLLAPSED = " \u00b7 collapsed: click a document to open it"

_SCRIPT = ('document.addEventListener("click",function(e){var b=e.target.closest("[data-act]");'
           'if(!b)return;var o=b.getAttribute("data-act")=="open";'
           'document.querySelectorAll("details.doc").forEach(function(d){d.open=o})});')
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + _SCRIPT_HASH
        + "'; img-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; "
          "object-src 'none'; base-uri 'none'; form-action 'none'")

_CSS = """\
:root{color-scheme:light}
body{margin:0 auto;max-width:72rem;padding:1rem 1.5rem 4rem;font:15px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fafafa}
h1{font-size:1.35rem;margin:.2rem 0}
.meta{color:#555;margin:.2rem 0 .6rem}
.legend{display:flex;flex-wrap:wrap;gap:.35rem .9rem;align-items:center;margin:.4rem 0;
font-size:13px}
.legend .key{display:inline-flex;gap:.3rem;align-items:center}
.cnt{color:#666}
.sw{display:inline-block;width:.95em;height:.95em;border-radius:3px;background:var(--bg);
border:1px solid var(--fg)}
.tools button{font:inherit;font-size:12px;margin-right:.4rem;padding:.15rem .6rem;cursor:pointer}
details.doc{background:#fff;border:1px solid #ddd;border-radius:6px;margin:.7rem 0;
content-visibility:auto;contain-intrinsic-size:auto 12rem}
details.doc>summary{cursor:pointer;padding:.45rem .8rem;font-size:13px;color:#333;
border-bottom:1px solid #eee}
summary .id{font-weight:600;margin-right:.7rem;overflow-wrap:anywhere}
.n{display:inline-block;margin-right:.35rem;padding:0 .4rem;border-radius:8px;background:var(--bg);
font-size:12px}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font:13.5px/1.75 ui-monospace,SFMono-Regular,
Menlo,Consolas,"DejaVu Sans Mono",monospace;padding:.7rem .9rem;tab-size:4}
mark.ent{position:relative;background:var(--bg);color:inherit;border-radius:2px;padding:1px 0}
mark.ent mark.ent{box-shadow:0 0 0 1px var(--fg) inset}
mark.ent:focus{outline:2px solid var(--fg);outline-offset:1px}
mark.end::after{content:attr(data-label);display:inline-block;margin-left:2px;padding:0 3px;
border-radius:3px;background:var(--fg);color:#fff;font:600 9.5px/1.4 system-ui,sans-serif;
vertical-align:2px;text-decoration:none}
mark.end[data-badge]::after{content:attr(data-label) " \\00b7  " attr(data-badge)}
mark.neg{text-decoration:line-through 2px #222}
mark.unc{border-bottom:2px dashed #333}
mark.ent::before{position:absolute;left:0;top:calc(100% + 3px);z-index:20;width:max-content;
max-width:34rem;white-space:pre-wrap;background:#222;color:#fff;padding:5px 8px;border-radius:4px;
font:12px/1.45 system-ui,sans-serif;pointer-events:none;box-shadow:0 2px 8px rgba(0,0,0,.3)}
mark.ent:focus::before{content:attr(data-tip)}
mark.ent:hover:not(:has(mark.ent:hover))::before{content:attr(data-tip)}
.text u{text-decoration:underline 2px #c2185b;text-underline-offset:3px}
.key .neg{text-decoration:line-through 2px #222}
.key .unc{border-bottom:2px dashed #333}
.key u{text-decoration:underline 2px #c2185b;text-underline-offset:3px}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.c{text-align:right}
"""


def _esc(value: str) -> str:
    """Text or attribute value, escaped (quotes too); newlines in attributes kept as ``&#10;``."""
    return html.escape(value, quote=True).replace("\n", "&#10;").replace("\r", "&#13;")


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def label_colours(label: str) -> tuple[str, str]:
    """(background, badge) colours: fixed for medner's labels, else from a hash of the name."""
    if label in FIXED_COLOURS:
        return FIXED_COLOURS[label]
    hue = zlib.crc32(label.encode("utf-8", "replace")) % 360
    return f"hsl({hue} 80% 84%)", f"hsl({hue} 55% 32%)"


def _valid(start: Any, end: Any, size: int) -> bool:
    return (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool)
            and 0 <= start < end <= size)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value):
        return "\u2013".join(_value(v) for v in value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def entity_tip(ent: Entity) -> str:
    """The plain-text details shown on hover or focus."""
    try:
        score = f"{float(ent.score):.3f}"
    except (TypeError, ValueError):
        score = str(ent.score)
    lines = [f"{ent.label} \u00b7 score {score} \u00b7 {ent.source}"]
    if ent.attrs:
        if isinstance(ent.attrs, dict):
            lines.append(", ".join(f"{k}: {_value(v)}" for k, v in ent.attrs.items()))
        else:
            lines.append(_value(ent.attrs))
    if ent.ids:
        ids = ", ".join(map(str, ent.ids)) if isinstance(ent.ids, list) else str(ent.ids)
        lines.append(f"ids: {ids}" + (f" ({ent.name})" if ent.name else ""))
    elif ent.name:
        lines.append(f"name: {ent.name}")
    assertion = ent.assertion if isinstance(ent.assertion, dict) else None
    if assertion is not None:
        flags = [f for f in FLAGS if assertion.get(f)]
        lines.append("assertion: " + (", ".join(flags) if flags else "affirmed"))
        for cue in assertion.get("cues") or ():
            if isinstance(cue, dict):
                what = f" ({cue['category']})" if cue.get("category") else ""
                lines.append(f"cue: \u201c{cue.get('text', '')}\u201d{what}")
    return "\n".join(lines)


def entity_counts(doc: Doc) -> Counter:
    return Counter(e.label for e in doc.entities)


class _Labels:
    """Label -> CSS class (``l0``, ``l1`` ...) for one page; CSS selectors never hold a label."""

    def __init__(self) -> None:
        self.classes: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        cls = self.classes.get(label)
        if cls is None:
            cls = self.classes[label] = f"l{len(self.classes)}"
        return cls

    def css(self) -> str:
        rules = []
        for label, cls in self.classes.items():
            bg, fg = label_colours(label)
            rules.append(f".{cls}{{--bg:{bg};--fg:{fg}}}")
        return "\n".join(rules)


def _order(labels: Iterable[str]) -> list[str]:
    fixed = [l for l in FIXED_COLOURS if l in labels]
    return fixed + sorted(l for l in labels if l not in FIXED_COLOURS)


def _counts_html(counts: Counter, cls: _Labels) -> str:
    return "".join(f'<span class="n {cls(l)}">{_text(l)} {counts[l]}</span>'
                   for l in _order(counts))


def render_text(doc: Doc, cls: _Labels) -> str:
    """The document's text with entity marks and cue underlines, properly nested.

    Spans are opened at their start, longest first; when a span ends while spans opened inside
    it are still open (a partial overlap), those are closed and reopened right after it as
    continuation segments of the same entity.
    """
    text = doc.text
    size = len(text)
    # spans: (start, end, kind, key); kind 0 = entity (key: its index), 1 = cue (key: position)
    spans: list[tuple[int, int, int, int]] = []
    cues: set[tuple[int, int]] = set()
    cue_kind: dict[tuple[int, int], str] = {}
    for i, ent in enumerate(doc.entities):
        if not _valid(ent.start, ent.end, size):
            continue
        spans.append((ent.start, ent.end, 0, i))
        assertion = ent.assertion
        if isinstance(assertion, dict):
            for cue in assertion.get("cues") or ():
                if isinstance(cue, dict) and _valid(cue.get("start"), cue.get("end"), size):
                    key = (cue["start"], cue["end"])
                    if key not in cues:
                        cues.add(key)
                        cue_kind[key] = str(cue.get("category") or "cue")
    if cues:
        # a cue is cut at entity boundaries so that its pieces nest inside entities: an
        # underline may be split, an entity never is because of a cue
        cuts = sorted({p for s in spans for p in s[:2]})
        for start, end in sorted(cues):
            points = [start, *cuts[bisect_right(cuts, start):bisect_left(cuts, end)], end]
            for a, b in zip(points, points[1:]):
                cue_kind[(a, b)] = cue_kind[(start, end)]
                spans.append((a, b, 1, len(spans)))
    if not spans:
        return _text(text)
    spans.sort(key=lambda s: (s[0], -s[1], s[2], s[3]))
    tags: dict[int, tuple[str, str]] = {}  # span number -> (classes, attributes)

    def parts(n: int) -> tuple[str, str]:
        start, end, kind, key = spans[n]
        if kind == 1:
            return "", f' data-cue="{_esc(cue_kind[(start, end)])}"'
        ent = doc.entities[key]
        classes = ["ent", cls(ent.label)]
        assertion = ent.assertion if isinstance(ent.assertion, dict) else {}
        if assertion.get("negated"):
            classes.append("neg")
        if assertion.get("uncertain") or assertion.get("hypothetical"):
            classes.append("unc")
        badges = [_BADGES[f] for f in FLAGS if assertion.get(f)]
        attrs = (f' data-entity="{key}" data-label="{_esc(ent.label)}"'
                 + (f' data-badge="{" ".join(badges)}"' if badges else "")
                 + f' data-tip="{_esc(entity_tip(ent))}"')
        return " ".join(classes), attrs

    def make_tag(n: int, first: bool, last: bool) -> str:
        if n not in tags:
            tags[n] = parts(n)
        classes, attrs = tags[n]
        if spans[n][2] == 1:
            return f"<u{attrs}>"
        if not first:
            classes += " cont"
        if last:
            classes += " end"
        return f'<mark class="{classes}"{attrs}' + (' tabindex="0">' if first else ">")

    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for n, (start, end, _, _) in enumerate(spans):
        starts.setdefault(start, []).append(n)
        ends.setdefault(end, []).append(n)
    bounds = sorted(set(starts) | set(ends) | {0, size})
    out: list[str] = []
    stack: list[int] = []  # open span numbers, outermost first
    slot: dict[int, tuple[int, bool]] = {}  # open span -> (index in out of its open tag, first?)

    def open_span(n: int, first: bool) -> None:
        slot[n] = (len(out), first)
        out.append("")

    def close_span(n: int, last: bool) -> None:
        at, first = slot.pop(n)
        out[at] = make_tag(n, first, last)
        out.append("</u>" if spans[n][2] == 1 else "</mark>")

    for b, pos in enumerate(bounds):
        ending = ends.get(pos)
        if ending:
            lowest = min(stack.index(n) for n in ending)
            popped = stack[lowest:]
            del stack[lowest:]
            for n in reversed(popped):
                close_span(n, spans[n][1] == pos)
            for n in popped:
                if spans[n][1] != pos:
                    stack.append(n)
                    open_span(n, False)
        for n in starts.get(pos, ()):
            stack.append(n)
            open_span(n, True)
        if b + 1 < len(bounds):
            out.append(_text(text[pos:bounds[b + 1]]))
    return "".join(out)


def _doc_section(doc: Doc, number: int, cls: _Labels, open_: bool) -> str:
    counts = entity_counts(doc)
    return (f'<details class="doc" id="doc-{number}"{" open" if open_ else ""}>'
            f'<summary><span class="id">{_text(str(doc.id))}</span>'
            f'{_counts_html(counts, cls)}</summary>'
            f'<div class="text">{render_text(doc, cls)}</div></details>\n')


def _legend(totals: Counter, cls: _Labels, labels: Iterable[str]) -> str:
    keys = [f'<span class="key"><span class="sw {cls(l)}"></span>{_text(l)}'
            f' <span class="cnt">{totals[l]}</span></span>' for l in _order(labels)]
    keys += ['<span class="key"><span class="neg">struck</span> negated</span>',
             '<span class="key"><span class="unc">dashed</span> uncertain / hypothetical</span>',
             '<span class="key"><u>underlined</u> assertion cue</span>',
             '<span class="key">badges: hist = historical, fam = family</span>']
    return '<div class="legend">' + "".join(keys) + "</div>"


def _page(title: str, body: str, cls: _Labels, script: bool) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
            '<meta name="referrer" content="no-referrer">\n'
            f"<title>{_text(title)}</title>\n<style>\n{_CSS}{cls.css()}\n</style></head>\n"
            f"<body>\n{body}" + (f"<script>{_SCRIPT}</script>\n" if script else "")
            + "</body></html>\n")


def render_page(docs: Iterable[Doc], title: str = "medner") -> str:
    """One self-contained page with every document (collapsible), a legend and counts."""
    docs = list(docs)
    cls = _Labels()
    totals: Counter = Counter()
    for doc in docs:
        totals.update(entity_counts(doc))
    for label in _order(totals):  # classes in legend order
        cls(label)
    open_ = len(docs) <= OPEN_LIMIT
    sections = [_doc_section(doc, n, cls, open_) for n, doc in enumerate(docs, 1)]
    noun = "document" if len(docs) == 1 else "documents"
    head = (f"<header><h1>{_text(title)}</h1>"
            f'<p class="meta">{len(docs)} {noun} \u00b7 {sum(totals.values())} entities'
            f"{'' if open_ else _COLLAPSED}</p>"
            f"{_legend(totals, cls, totals)}"
            '<div class="tools"><button type="button" data-act="open">Expand all</button>'
            '<button type="button" data-act="close">Collapse all</button></div></header>\n')
    return _page(title, head + "<main>\n" + "".join(sections) + "</main>\n", cls, True)


def render_document(doc: Doc, title: str | None = None, index_href: str | None = None) -> str:
    """A page for one document; ``index_href`` (relative) adds a link back to the index."""
    cls = _Labels()
    counts = entity_counts(doc)
    for label in _order(counts):
        cls(label)
    title = title if title is not None else str(doc.id)
    back = (f'<p class="meta"><a href="{_esc(index_href)}">\u2190 index</a></p>'
            if index_href else "")
    head = (f"<header>{back}<h1>{_text(title)}</h1>"
            f'<p class="meta">{sum(counts.values())} entities</p>'
            f"{_legend(counts, cls, counts)}</header>\n")
    body = head + "<main>\n" + _doc_section(doc, 1, cls, True) + "</main>\n"
    return _page(title, body, cls, False)


def render_index(pages: list[tuple[str, str, Counter]], title: str = "medner") -> str:
    """A table of per-document pages: (file name relative to the index, document id, counts)."""
    cls = _Labels()
    totals: Counter = Counter()
    for _, _, counts in pages:
        totals.update(counts)
    labels = _order(totals)
    for label in labels:
        cls(label)
    head = "".join(f'<th><span class="sw {cls(l)}"></span> {_text(l)}</th>' for l in labels)
    rows = []
    for name, doc_id, counts in pages:
        cells = "".join(f'<td class="c">{counts.get(l, 0)}</td>' for l in labels)
        rows.append(f'<tr><td><a href="{_esc(_href(name))}">{_text(str(doc_id))}</a></td>'
                    f'{cells}<td class="c">{sum(counts.values())}</td></tr>')
    total_cells = "".join(f'<td class="c">{totals[l]}</td>' for l in labels)
    noun = "document" if len(pages) == 1 else "documents"
    body = (f"<header><h1>{_text(title)}</h1><p class=\"meta\">{len(pages)} {noun} \u00b7 "
            f"{sum(totals.values())} entities</p></header>\n<main><table><thead><tr>"
            f"<th>Document</th>{head}<th>All</th></tr></thead><tbody>\n" + "\n".join(rows)
            + f"\n</tbody><tfoot><tr><th>Total</th>{total_cells}"
              f'<td class="c">{sum(totals.values())}</td></tr></tfoot></table></main>\n')
    return _page(title, body, cls, False)


def _href(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="/-._~")
