"""Normalisation of the pieces of a span into its attributes: amount, unit, frequency, route.

``span_attrs`` reads the first amount, frequency, route and course of a span's pieces;
"1-2 tabs p.o. q.4-6h. p.r.n." gives {"amount": [1.0, 2.0], "unit": "tablet", "frequency":
"q4-6h", "per_day": 6.0, "as_needed": True, "route": "PO"}. The spellings of units and
frequencies come from the tables in resources/ (vocabulary.py). The parsers are cached: the
same few strings recur in every note.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import regex

from medner_cli.rules.dosage.patterns import NUM_WORDS, NUMWORD, VF, VULGAR
from medner_cli.rules.dosage.vocabulary import (ABBREVIATIONS, DUR_UNITS, PER_NAMES, PHRASES,
                                                UNIT_NAMES)

if TYPE_CHECKING:
    from medner_cli.rules.dosage.chains import Piece

_PER_SPLIT = regex.compile(r"\s*/\s*|\s+per\s+", regex.IGNORECASE)
_SPACES = regex.compile(r"\s+")
_PAREN = regex.compile(r"\([^)]*\)")
_HALVES = regex.compile(
    rf"\b(?:({NUMWORD})\s+and\s+(?:a|one)[-\s]half|(?:a|one)[-\s]half|half(?:\s+an?)?)\b")
_RANGE_SPLIT = regex.compile(r"\s*(?:[-–—‑−]|\bto\b|\bor\b)\s*")
_PER_VOLUME = regex.compile(r"(\d+(?:\.\d+)?|\.\d+)ml")
_MIXED = regex.compile(r"(\d+)\s+(\d)/(\d)")
_SEPARATORS = regex.compile(r"[\s,]")  # thousands: "1,000", "20 000"
_WITH_VULGAR = regex.compile(rf"(\d*)\s*-?\s*({VF})")


@lru_cache(maxsize=4096)
def _squash(raw: str) -> str:
    return _SPACES.sub(" ", raw.lower().replace(".", " ")).strip()


@lru_cache(maxsize=4096)
def canonical_unit(raw: str) -> str:
    """Canonical unit: "Tablet(s)" -> "tablet", "mcg/kg/min" -> "mcg/kg/min", "cc/hr" -> "mL/h"."""
    base, *pers = _PER_SPLIT.split(raw.replace("(s)", "").replace("(es)", "").strip())
    base = _SPACES.sub(" ", base.lower())
    out = [UNIT_NAMES.get(base, "unit" if base.startswith("international") else base)]
    for per in pers:
        key = _SPACES.sub("", per.lower())
        volume = _PER_VOLUME.fullmatch(key)  # "mg/5 mL", "mg/0.1 mL"
        out.append("24h" if key.startswith("24") else f"{volume[1]} mL" if volume else
                   PER_NAMES.get(key, key))
    return "/".join(out)


def _value(part: str) -> float | list[float] | None:
    part = part.strip()
    if part in NUM_WORDS:
        return NUM_WORDS[part]
    if m := _WITH_VULGAR.fullmatch(part):
        return float(m[1] or 0) + VULGAR[m[2]]
    if m := _MIXED.fullmatch(part):
        return int(m[1]) + int(m[2]) / int(m[3])
    try:
        nums = [float(_SEPARATORS.sub("", p)) for p in part.split("/")]
    except ValueError:
        return None
    if len(nums) == 1:
        return nums[0]
    if len(nums) == 2 and nums[1] in (2.0, 3.0, 4.0) and nums[0] < nums[1] and nums[0].is_integer():
        return nums[0] / nums[1]  # "1/2 tablet"
    return nums  # combination strength "10/325"


@lru_cache(maxsize=4096)
def parse_amount(raw: str) -> float | list[float] | None:
    """5 -> 5.0; "5-10" -> [5.0, 10.0]; "10/325" -> [10.0, 325.0]; "one (1)" -> 1.0."""
    s = _PAREN.sub("", raw).strip().lower()
    s = _HALVES.sub(lambda m: str(NUM_WORDS[m[1]] + 0.5) if m[1] else "0.5", s)
    values = [_value(p) for p in _RANGE_SPLIT.split(s)]
    if len(values) == 1:
        return values[0]
    if len(values) == 2 and all(isinstance(v, float) for v in values):
        return values
    return None


def _number(raw: str) -> float:
    raw = raw.strip().lower()
    if raw in ("a", "an"):
        return 1.0
    return NUM_WORDS[raw] if raw in NUM_WORDS else float(raw)


def course_of(m: regex.Match[str]) -> dict[str, Any]:
    """{"value": 5.0, "unit": "day"} of a course: "x 5 days", "for 1-2 weeks", "7-day course"."""
    groups = m.groupdict()
    if groups.get("du_u2"):
        n, unit = groups["amt"], groups["du_u2"]
    else:
        n, unit = groups["du_n"], groups["du_u"]
    value = 1.0 if n.lower() in ("a", "an") else parse_amount(n)
    return {"value": list(value) if isinstance(value, list) else value,
            "unit": DUR_UNITS[unit.lower()]}


_Q_FORM = regex.compile(
    r"(?:q|every) ?(\d+)(?: ?(?:-|–|to|or) ?(\d+))? ?"
    r"(h|hr|hrs|hours?|min|mins|minutes?|d|days?|w|wks?|weeks?|mo|mos|months?)")
_TIMES_FORM = regex.compile(
    r"(once|twice|thrice|(\d+)(?: ?(?:-|–|or|to) ?(\d+))? ?(?:times?|x)|x ?(\d+)) ?"
    r"(?:(?:a|per|each|every) )?"
    r"/? ?(day|daily|d|night|nightly|week|weekly|wk|month|monthly)")
_MEAL = regex.compile(
    r"(?:\S+ \S+ )?(with|before|after|prior to) (?:each )?"
    r"(meals?|food|breakfast|lunch|dinner|supper)")
_NUM_WORD_RX = regex.compile(rf"\b{NUMWORD}\b")
# Repeats minutes apart ("q5min x3") are not a daily schedule: no per_day.
_Q_SYMBOL = {"h": ("h", 24.0), "m": ("min", None), "d": ("d", 1.0), "w": ("w", 1 / 7)}
_PER_DAY_NAMES = {1.0: "daily", 2.0: "BID", 3.0: "TID", 4.0: "QID"}


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@lru_cache(maxsize=4096)
def _frequency(raw: str) -> tuple[str, float | None] | None:
    """Canonical frequency and doses per day: "q.4-6h." -> ("q4-6h", 6.0), "twice a day" -> BID."""
    t = _squash(raw)
    if hit := ABBREVIATIONS.get(t.replace(" ", "")) or PHRASES.get(t):
        return hit
    if m := _MEAL.fullmatch(t):
        if m[2] in ("meal", "meals"):
            return {"with": ("with meals", 3.0), "after": ("PC", 3.0)}.get(m[1], ("AC", 3.0))
        return t, None if m[2] == "food" else 1.0
    t = _NUM_WORD_RX.sub(lambda m: _fmt(NUM_WORDS[m[0]]), t)
    if m := _Q_FORM.fullmatch(t):
        lo, hi = float(m[1]), m[2]
        symbol, base = ("mo", 1 / 30) if m[3].startswith("mo") else _Q_SYMBOL[m[3][0]]
        span = _fmt(lo) + (f"-{hi}" if hi else "")
        return f"q{span}{symbol}", (base / lo if base and lo else None)
    if m := _TIMES_FORM.fullmatch(t):
        n = {"once": 1.0, "twice": 2.0, "thrice": 3.0}.get(m[1]) or float(m[3] or m[2] or m[4])
        days = {"d": 1, "n": 1, "w": 7, "m": 30}[m[5][0]]
        if days == 1:
            return _PER_DAY_NAMES.get(n, f"{_fmt(n)}x/day"), n
        name = {7: "week", 30: "month"}[days]
        return ("weekly" if days == 7 else "monthly") if n == 1 else f"{_fmt(n)}x/{name}", n / days
    return None


_ROUTES = [(regex.compile(rx), name) for rx, name in (
    (r"^(?:po|per os|by mouth|orally|oral)$", "PO"), (r"^(?:sublingual|sl$)", "SL"),
    (r"^(?:intravenous|iv)", "IV"), (r"^(?:intramuscular|im$)", "IM"),
    (r"^(?:subcu|subq|sub-q|sq$|sc$)", "SC"), (r"^(?:per rectum|rectal|pr$)", "PR"),
    (r"^(?:vaginal|per vagina|pv$)", "PV"), (r"inhal|nebuli|neb$|mdi$", "inhaled"),
    (r"^topical", "topical"), (r"^transdermal", "transdermal"),
    (r"nostril|nare|nasal", "intranasal"),
    (r"eye|^ou$|^ophthalmic", "ophthalmic"), (r"ear|^otic", "otic"),
    (r"\bngt?\b|nasogastric", "NG"), (r"\bpeg\b", "PEG"), (r"\bog\b", "OG"),
    (r"\b(?:g|gt|gastrostomy)\b", "G-tube"), (r"\b(?:j|pej|jejunostomy)\b", "J-tube"),
    (r"tube", "enteral"),
)]


@lru_cache(maxsize=4096)
def _route(raw: str) -> str:
    t = _squash(raw)
    if all(len(w) == 1 for w in t.split()):  # "p. o." -> "po"
        t = t.replace(" ", "")
    for rx, name in _ROUTES:
        if rx.search(t):
            return name
    return regex.sub(r"ly$", "", t)  # intrathecal(ly), epidural(ly), buccal(ly), ...


def span_attrs(pieces: list[Piece], routes: list[Piece]) -> dict[str, Any]:
    """Attributes of the pieces of a span: the first amount, frequency, route and course."""
    out: dict[str, Any] = {}
    for p in pieces:
        kind, m = p.kind, p.m
        if kind == "pct" and m["pct"][0].isdigit() and "amount" not in out:  # "1:100,000"
            out["amount"] = [1.0, float(m["pct"].replace(",", ""))]
            out["unit"] = "ratio"
        elif kind in ("dose", "pct") and "amount" not in out:
            hi = m["amt_hi"] if kind == "dose" else None
            amount = parse_amount(f"{m['amt']}-{hi}" if hi else m["amt"])
            if amount is not None:
                out["amount"] = list(amount) if isinstance(amount, list) else amount  # cached
                out["unit"] = canonical_unit(m["d_unit"]) if kind == "dose" else "%"
        elif kind == "bare" and "amount" not in out:  # a strength without its unit: "Lipitor 40"
            amount = parse_amount(m["amt"])
            if amount is not None:
                out["amount"] = list(amount) if isinstance(amount, list) else amount
        elif kind in ("sfreq", "wfreq", "tfreq") and "frequency" not in out:
            if freq := _frequency(m[0]):
                out["frequency"] = freq[0]
                if freq[1] is not None:
                    out["per_day"] = freq[1]
        elif kind in ("sprn", "wprn"):
            out["as_needed"] = True
        elif kind == "dur" and "duration" not in out:
            out["duration"] = course_of(m)
        elif kind in ("xdur", "count") and "duration" not in out:
            out["duration"] = {"value": _number(m["xd_n"] if kind == "xdur" else m["c_n"]),
                               "unit": "dose"}
    if routes:
        out["route"] = _route(routes[0].m[0])
    return out
