"""Find drug names from a lexicon in a text, and merge them with the model's entities.

The model learnt from PubMed abstracts and misses brand names that notes are full of ("Keflex",
"Norco", "Flomax"). ``DrugLexicon`` holds the name variants of ``drugs.tsv.gz`` (built by
``python -m medner_cli.lexicon.build``, see docs/lexicon.md) and finds them as whole words,
case-insensitively, longest match first; ``LexiconStep`` is the pipeline step that merges the
hits into the model's entities.

Matching. A word run is a maximal run of letters and digits; a variant matches where it starts
and ends on run boundaries. A variant is indexed by its first run of three characters or more
(else of two with a letter: "fu" of "5-fu"), with the characters before that run ("5-"). A
text is lower-cased (one character for one, so offsets hold) and its horizontal white space
made plain spaces (a name never runs across a line break); it is rendered one byte a character
(a letter or digit as itself, anything else a space), its runs that are index keys found with
one ``split`` and a set look-up, and around each the variants of that key are tried by length,
longest first, with a dict look-up. Of all candidate hits the longest wins, then the leftmost;
no two overlap.

A hit is then extended (docs/lexicon.md, "Salts and brand suffixes"):

- by a salt or ester word (or two: "disoproxil fumarate") after any drug ("lithium carbonate",
  "sertraline HCl", "naproxen sodium"), as BC5CDR and the notes guideline annotate the salt as
  part of the Chemical; a cation word ("sodium", "potassium", "calcium", "magnesium") only when
  no anion word follows it ("Lasix potassium chloride" is two drugs);
- by a trademark suffix after a brand or other synonym, in upper case as written ("Septra DS",
  "Toprol XL", "Darvocet-N"); not after a generic name ("metoprolol XL" is metoprolol).

Drug short forms (``short_forms.txt``: "ASA", "INH", "TMP-SMX") are found beside the lexicon,
case-sensitively, as whole words, where no lexicon name is; not where a scale reading or a
tube follows ("ASA class II", "ASA 3", "PCN tube"). Their hits carry no ids:
the linker resolves them (``medner_cli/link/short_forms.tsv``).
"""

from __future__ import annotations

import codecs
import gzip
import re
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

from medner_cli.doc import Doc, Entity
from medner_cli.forms import WholeForms, lower_same_length
from medner_cli.lexicon.clipped import ClippedNames
from medner_cli.rules.findings import AMOUNT_BEFORE, NUTRIENTS, note_layout, nutrient_result

LEXICON = "drugs.tsv.gz"  # the file in a model folder (a plain "drugs.tsv" is read too)
FILES = (LEXICON, "drugs.tsv")  # looked for in this order
HEADER = "variant\tname\tmesh\tdrugbank"

_RUN = re.compile(r"[^\W_]+")  # a word run: letters and digits (of any script)
_FIRST = re.compile(r"^([^\W_]*)", re.MULTILINE)
# horizontal white space of one character becomes a plain space (line breaks are kept, so a
# name never runs across lines)
_HSPACE = re.compile("[\t\x0b\x0c\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# bytes of a lower-cased UTF-8 text: every ASCII byte that is no letter or digit becomes a space
_BYTES = bytes(b if (b >= 0x80 or chr(b).isalnum()) else 0x20 for b in range(256))
_ANIONS = (
    "hydrochloride", "dihydrochloride", "hcl", "hydrobromide", "hbr", "sulfate", "sulphate",
    "bisulfate", "succinate", "tartrate", "bitartrate", "maleate", "mesylate", "citrate",
    "phosphate", "acetate", "besylate", "bromide", "chloride", "fumarate", "hyclate", "carbonate",
    "propionate", "dipropionate", "furoate", "valerate", "gluconate", "lactate", "monohydrate",
    "dihydrate", "trihydrate", "decanoate", "nitrate", "mononitrate", "dinitrate", "oxalate",
    "pamoate", "tosylate", "xinafoate", "benzoate", "lysine", "olamine", "tromethamine",
    "disodium", "dipotassium", "sesquihydrate", "hemihydrate", "stearate", "palmitate",
    "enanthate", "cypionate", "undecanoate", "sodium succinate", "sodium phosphate",
    "hippurate", "mandelate", "napsylate", "lactobionate", "estolate", "ethylsuccinate",
    "meglumine", "edisylate", "isethionate", "pivalate", "tebutate", "acetonide",
    # esters, which BC5CDR and the notes guideline take in with the name like a salt
    "medoxomil", "mofetil", "axetil", "proxetil", "pivoxil", "disoproxil", "alafenamide",
    "etexilate", "marboxil",
    # as notes clip them ("metoprolol succ", "metoprolol tart", "caffeine cit")
    "succ", "tart", "cit",
)
_CATIONS = ("sodium", "potassium", "calcium", "magnesium")
_ANION_RE = "|".join(sorted((re.escape(a).replace(r"\ ", " ") for a in _ANIONS),
                            key=len, reverse=True))
# one salt or ester word, or two ("disoproxil fumarate"); a cation word only when no anion word
# follows it ("Lasix potassium chloride" is two drugs)
_SALT = re.compile(rf" +(?:(?:{_ANION_RE})(?!\w)(?: +(?:{_ANION_RE})(?!\w))?"
                   rf"|(?:{'|'.join(_CATIONS)})(?! +(?:{_ANION_RE})(?!\w))(?!\w))")
# trademark suffixes of a brand (device words such as "HFA" or "SoloStar" are not part of it),
# and the over-the-counter lines that add a drug to it ("Tylenol PM": diphenhydramine, "Mucinex
# DM": dextromethorphan; "Prilosec OTC" is Prilosec)
# (a strength may follow one with a hyphen: "Augmentin ES-600")
_SUFFIX = re.compile(r"(?: (?:DS|SS|XL|XR|ER|ES|SR|CR|LA|CD|XT|EC|DR|ODT|HCT|Jr|PM|DM)"
                     r"|-(?:N|D|S|DS|XL|XR|ER|SR|CR))(?!\w|-[^\W\d_])")
# ... or, after a brand written in lower case, in either case ("bactrim ss", "septra DS")
_SUFFIX_ANY = re.compile(_SUFFIX.pattern + r"|(?: (?:ds|ss|xl|xr|er|es|sr|cr|odt|hct)"
                         r"|-(?:n|d|s|ds|xl|xr|er|sr|cr))(?!\w|-[^\W\d_])")


_MANY = 6  # variants under one key and prefix from which they are looked up by run ends
_PREV = re.compile(r"([^\W_]+)[^\w]*$")  # the last word run of a prefix


def _lower(text: str) -> str:
    """``text`` lower-cased with one character for each character, horizontal spaces plain."""
    low = lower_same_length(text)
    if "\t" in low or not low.isascii():
        low = _HSPACE.sub(" ", low)
    return low


def _render_error(exc: UnicodeError) -> tuple[str, int]:
    piece = exc.object[exc.start:exc.end]  # type: ignore[attr-defined]
    return "".join("x" if c.isalnum() else " " for c in piece), exc.end  # type: ignore


codecs.register_error("medner-lexicon", _render_error)


def _render(low: str) -> bytes:
    """One byte a character: a letter or digit as itself (a non-ASCII one as "x"), anything
    else a space; so the runs of the result are where the word runs of ``low`` are."""
    return low.encode("ascii", "medner-lexicon").translate(_BYTES)


def _selective(run: str) -> bool:
    return len(run) >= 3 or (len(run) == 2 and not run.isdigit())


def key_of(variant: str) -> tuple[str, str] | None:
    """(index key, the characters before it) of a lower-cased variant: its first word run of
    three characters or more ("lasix" of "lasix 40", "dopa" of "l-dopa"), else its first of
    two with a letter ("fu" of "5-fu"); None if it has neither (``"5-6"``, ``"b"``)."""
    two = None
    for m in _RUN.finditer(variant):
        run = m.group()
        if len(run) >= 3:
            return run, variant[:m.start()]
        if two is None and len(run) == 2 and not run.isdigit():
            two = m
    return None if two is None else (two.group(), variant[:two.start()])


class Hit(NamedTuple):
    """A drug name found in a text: ``text[start:end]``."""

    start: int
    end: int
    variant: str  # the lexicon's lower-cased variant that matched (before any extension)
    name: str  # canonical name
    ids: tuple[str, ...]  # ("MESH:D...", "DRUGBANK:DB..."), possibly empty


class DrugLexicon:
    """Drug name variants: ``variant -> (canonical name, MeSH id, DrugBank id)``, indexed for
    ``find``. ``rows`` are (variant, name, mesh, drugbank) with a lower-cased variant; a later
    row of the same variant wins."""

    def __init__(self, rows: Iterable[Sequence[str]]):
        self._index(["\t".join(r) for r in rows])

    def _index(self, lines: list[str]) -> None:
        # variant -> its row as one string, split on a hit (a string costs less memory than a
        # tuple of four, and the garbage collector need not walk it)
        self._rows: dict[str, str] = {line[:line.find("\t")]: line for line in lines}
        # a one-run variant ("lasix") is its own key; any other is found by its key (``key_of``):
        # key -> ((characters before the key, variant), ...), grouped on first use
        self._single = {v for v in self._rows if v.isalnum() and _selective(v)}
        multi: dict[str, list] = {}
        others = list(self._rows.keys() - self._single)
        # the first run of each variant, all in one regex call (one match a line)
        for v, first in zip(others, _FIRST.findall("\n".join(others))):
            if len(first) >= 3:
                multi.setdefault(first, []).append(("", v))
            else:
                k = key_of(v)
                if k is not None:
                    multi.setdefault(k[0], []).append((k[1], v))
        self._multi = {k: tuple(es) for k, es in multi.items()}
        self._grouped: dict[str, tuple] = {}
        self._combinations: list[str] | None = None  # the combination products' names
        self._second: dict[str, frozenset[bytes] | None] = {}
        keys = list(self._single.union(multi))
        self._keys = frozenset(keys)
        # the keys as ``_render`` writes them, all in one go; a non-ASCII key with the keys that
        # its rendering stands for ("x" is any non-ASCII letter)
        rendered = _render("\n".join(keys)).split(b" ") if keys else []
        self._bkeyset = frozenset(rendered)
        self._rendered: dict[bytes, tuple[str, ...]] = {}
        for k, r in zip(keys, rendered):
            if not k.isascii():
                self._rendered[r] = self._rendered.get(r, ()) + (k,)
        for r in self._rendered:
            if r.decode("ascii") in self._keys:
                self._rendered[r] += (r.decode("ascii"),)

    def generic_names(self) -> list[tuple[str, tuple[str, ...]]]:
        """(canonical name, ids) of each drug with a DrugBank id, with the ids of the row
        that spells the name itself where there is one."""
        out: dict[str, tuple[str, ...]] = {}
        for variant, line in self._rows.items():
            row = line.split("\t")
            if len(row) >= 4 and row[3] and (row[1] not in out or variant == row[1].lower()):
                out[row[1]] = _ids(row)
        return list(out.items())

    def combination(self, hits: Sequence[Hit]) -> bool:
        """Do the drugs of ``hits`` make up one of the lexicon's combination products (a
        canonical name with "/" or " and ": "Levodopa and Carbidopa", "Albuterol and
        Ipratropium"), each by its canonical name or by the name the text wrote?"""
        if self._combinations is None:
            self._combinations = sorted({n.lower() for n in (
                line.split("\t", 2)[1] for line in self._rows.values()
                if ("/" in line or " and " in line) and "\t" in line) if "/" in n or " and " in n})
        words = [re.compile(r"(?<!\w)(?:" + re.escape(h.name.lower()) + "|" +
                            re.escape(h.variant) + r")(?!\w)") for h in hits]
        return any(all(w.search(c) for w in words) for c in self._combinations)

    def _row(self, variant: str) -> list[str]:
        row = self._rows[variant].split("\t")
        return row + [""] * (4 - len(row))

    def _second_runs(self, key: str) -> frozenset[bytes] | None:
        """What the text's next rendered piece after ``key`` must be for a variant under it to
        match there (the second piece of each variant's rendering); None when some variant
        has characters before the key or ends in one that is no letter or digit ("scemblix®"
        ends a word whatever follows), so that the pieces after it say nothing. Most keys
        found in a note are common words ("day", "her", "blood") that open a drug name but
        rarely do here; this lets those occurrences be passed over."""
        got = self._second.get(key, False)
        if got is False:
            entries = self._multi.get(key, ())
            got = None if any(prefix or not v[-1].isalnum() for prefix, v in entries) else \
                frozenset(_render(v).split(b" ")[1] for _, v in entries)
            self._second[key] = got
        return got

    def _entries(self, key: str) -> tuple:
        """How to look for the variants of ``key`` around one of its occurrences, grouped on
        first use: (entries, {the word run before the key: entries}), each entry (characters
        before the key, the lengths of those variants longest first, whether to look them up by
        the ends of the runs after the key). A prefix with a run is found through that run."""
        got = self._grouped.get(key)
        if got is None:
            by: dict[str, list[str]] = {}
            for prefix, v in self._multi.get(key, ()):
                by.setdefault(prefix, []).append(v)
            plain: list = []
            after: dict[str, list] = {}
            for p, vs in by.items():
                # many variants ending in a letter or digit: looked up by the run ends ahead
                ends = [v for v in vs if v[-1].isalnum()] if len(vs) > _MANY else []
                rest = [v for v in vs if not v[-1].isalnum()] if ends else vs
                entries = [(p, tuple(sorted({len(v) for v in group}, reverse=True)), by_ends)
                           for group, by_ends in ((ends, True), (rest, False)) if group]
                last = _PREV.search(p)  # "long acting " -> "acting"
                if last is not None:
                    after.setdefault(last.group(1), []).extend(entries)
                else:
                    plain.extend(entries)
            got = self._grouped[key] = (tuple(plain),
                                        {r: tuple(es) for r, es in after.items()})
        return got

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, variant: str) -> bool:
        return variant.lower() in self._rows

    def get(self, variant: str) -> tuple[str, tuple[str, ...]] | None:
        """(canonical name, ids) of a variant (any case), or None."""
        v = variant.lower()
        if v not in self._rows:
            return None
        row = self._row(v)
        return row[1], _ids(row)

    @classmethod
    def read(cls, path: str | Path) -> DrugLexicon:
        """A lexicon from a ``drugs.tsv`` or ``drugs.tsv.gz`` file."""
        path = Path(path)
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        lines = raw.decode("utf-8").replace("\r\n", "\n").split("\n")
        if lines[0] != HEADER:
            raise ValueError(f"{path}: not a drug lexicon (header {lines[0][:60]!r})")
        lex = cls.__new__(cls)
        lex._index([line for line in lines[1:] if line])
        return lex

    @classmethod
    def load(cls, model_dir: str | Path) -> DrugLexicon:
        """The lexicon of a model folder, read once per process and per folder."""
        key = str(Path(model_dir).resolve())
        lex = _LOADED.get(key)
        if lex is None:
            path = find_file(model_dir)
            if path is None:
                raise FileNotFoundError(f"{model_dir}: no {' or '.join(FILES)}")
            lex = _LOADED[key] = cls.read(path)
        return lex

    def find(self, text: str) -> list[Hit]:
        """Non-overlapping drug names in ``text``, in order: whole words, any case, the longest
        first, each extended by a salt word or (a brand) a product suffix."""
        low = _lower(text)
        n = len(low)
        rows, single = self._rows, self._single
        # the word runs of the text rendered one byte a character: where the keys are is summed
        # up from the lengths of the pieces before them
        ascii_text = low.isascii()
        rendering = _render(low)
        parts = rendering.split(b" ")
        present = self._bkeyset.intersection(parts)  # the few keys in the text (a small set
        if not present:  # is faster to test each word against than all keys)
            return []
        found = [i for i, part in enumerate(parts) if part in present]
        offsets = list(accumulate(map(len, parts[:found[-1]])))
        rendered = self._rendered
        occurrences: list[tuple[int, str]] = []
        at: list[int] = []  # the index in ``parts`` of each occurrence's run
        for i in found:
            j = offsets[i - 1] + i if i else 0
            keys = rendered.get(parts[i]) or (parts[i].decode("ascii"),)
            for key in keys:  # "x" in the rendering may stand for a non-ASCII letter
                if ascii_text and len(keys) == 1 or low.startswith(key, j):
                    occurrences.append((j, key))
                    at.append(i)
        cands: list[tuple[int, int, int, str]] = []  # (-length, start, end, variant)
        for (j, key), i in zip(occurrences, at):
            e = j + len(key)
            if key in single:
                cands.append((-len(key), j, e, key))
            second = self._second_runs(key)
            if second is not None and (parts[i + 1] if i + 1 < len(parts) else None) not in second:
                continue  # no variant under the key goes on as the text does
            plain, after = self._entries(key)
            entries = plain
            if after and j:  # the run before the key, past up to 3 separators
                t = j - 1
                while t > j - 4 and t > 0 and not low[t].isalnum():
                    t -= 1
                if low[t].isalnum():
                    prev = low[rendering.rfind(b" ", 0, t) + 1:t + 1]
                    if prev in after:
                        entries = plain + after[prev]
            for prefix, lengths, by_ends in entries:
                s = j - len(prefix)
                if prefix and (s < 0 or not low.startswith(prefix, s)
                               or s and low[s - 1].isalnum() and low[s].isalnum()):
                    continue
                if by_ends:  # many variants: only the ends of the runs ahead can end one
                    ends = {m.end() - s for m in _RUN.finditer(low, e, s + lengths[0])}
                    ends.add(e - s)
                    for length in lengths:
                        if length in ends and (s + length == n or not low[s + length].isalnum()):
                            v = low[s:s + length]
                            if v in rows:
                                cands.append((-length, s, s + length, v))
                                break
                    continue
                for length in lengths:
                    end = s + length
                    if end <= n and (end == n or not (low[end].isalnum()
                                                      and low[end - 1].isalnum())):
                        v = low[s:end]
                        if v in rows:
                            cands.append((-length, s, end, v))
                            break
        if cands and "/" in low:  # a name's last letter that is a shorthand's first: "heme c/s"
            cands = [c for c in cands if not _cuts_shorthand(low, c[2])]
        if not cands:
            return []
        if len(cands) > 1:  # the longest first, then the leftmost; no overlaps
            cands.sort()
            used = bytearray(n)
            taken: list[tuple[int, int, str]] = []
            for _, s, e, v in cands:
                if used.find(1, s, e) < 0:
                    used[s:e] = b"\x01" * (e - s)
                    taken.append((s, e, v))
            taken.sort()
        else:
            taken = [(s, e, v) for _, s, e, v in cands]
        hits = []
        i = 0
        while i < len(taken):
            s, e, v = taken[i]
            row = self._row(v)
            i += 1
            # "metoprolol succinate" is generic, and so is a formula ("KCl ER" is KCl)
            brand = not v.startswith(row[1].lower()) and not _FORMULA.fullmatch(text, s, e)
            suffix = (_SUFFIX_ANY if text[s:e].islower() else _SUFFIX) if brand else None
            for ext, source in ((_SALT, low), (suffix, text)):
                # a salt after any drug; a suffix after a brand or synonym ("Septra DS")
                m = ext.match(source, e) if ext is not None else None
                if m is None:
                    continue
                # an extension may take in whole hits after it ("heparin sodium" when "sodium"
                # is a drug of its own), never part of one
                j = i
                while j < len(taken) and taken[j][1] <= m.end():
                    j += 1
                if j < len(taken) and taken[j][0] < m.end():
                    continue
                e, i = m.end(), j
            hits.append(Hit(s, e, v, row[1], _ids(row)))
        return hits


def _cuts_shorthand(low: str, end: int) -> bool:
    """Does a name of words ending at ``end`` end on the single letter before a shorthand's
    slash (the "c" of "heme c/s", a consult; "K/Mg" is two drugs)?"""
    return (end + 1 < len(low) and low[end] == "/" and low[end + 1].isalpha()
            and end > 2 and low[end - 2] in " \t-")


SHORT_FORMS = Path(__file__).with_name("short_forms.txt")
# after a short form, what says it is no drug: a scale's name ("ASA class II", "ASA physical
# status 3"), a tube or a catheter ("PCN tube"), a diet ("ADA diet"). A level is no such sign:
# a drug measured in a level is still a Chemical ("INH level").
_NOT_A_DRUG_AFTER = re.compile(
    r"[ \t]*(?::[ \t]*)?(?i:class|physical status|PS|score|grade|tubes?|catheter|diet)\b")
# ... and, after an ambiguous form, ventilator settings on its line ("on ACV 450/16, PEEP 5")
_VENT_SETTINGS_AFTER = re.compile(r"[^\n;.]{0,30}?\b(?i:peep|fio2)\b")
# ... nor, after the anaesthetists' ASA, a scale's reading: a Roman numeral or a number from 1
# to 6 with no unit or frequency after it ("ASA 3", "ASA: III", "ASA IV"). After any other short
# form a bare number is a dose or a rate ("levo 6 -> 14", "norepi 4"), and "IV" its route
# ("vanc IV", "mag IV")
_SCALE_AFTER = re.compile(
    r"[ \t]*(?::[ \t]*)?(?:(?:I{1,3}|IV|VI?)\b"
    r"|[1-6](?!\d|[.,/-]\d)(?![ \t]*(?i:mg|mcg|g|units?|u|mu|meq|mmol|ml|cc|l|amps?|tabs?|"
    r"tablets?|caps?|puffs?|drops?|q\d+h|qhs|prn|daily|bid|tid|qid)\b))")
_SCALED = frozenset(("ASA",))


AMBIGUOUS_SHORT_FORMS = Path(__file__).with_name("ambiguous_short_forms.txt")


def _forms(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def _read_forms(path: Path) -> WholeForms:
    forms = _forms(path)
    forms += [f[0].upper() + f[1:] for f in forms if f.islower()]  # "vanc", "Vanc"
    return WholeForms(forms, hyphen_joins=True)


# a short form's other case means something else: "inh" inhaled, "ROC" a curve, "mg" a unit,
# "CSA" central sleep apnoea; "bic", "ral", "sof" and "taf" are words or other short forms
_NO_CASE_VARIANT = frozenset(("inh", "ROC", "CSA", "csa", "mg", "MG", "mg sulfate", "mg oxide",
                              "mg citrate", "bic", "ral", "sof", "taf"))


def _read_case_variants(*paths: Path) -> WholeForms:
    """The forms of ``paths`` as notes typed in one case write them ("asa", "txa", "VANC",
    "MAG SULFATE"), where that spelling is no form of its own; single letters excepted."""
    forms = [f for path in paths for f in _forms(path)]
    have = set(forms)
    variants = {v for f in forms if len(f) > 1
                for v in (f.lower(), f.upper())} - have - _NO_CASE_VARIANT
    return WholeForms(sorted(variants), hyphen_joins=True)


@cache
def _short_forms() -> WholeForms:
    return _read_forms(SHORT_FORMS)


@cache
def _ambiguous_short_forms() -> WholeForms:
    return _read_forms(AMBIGUOUS_SHORT_FORMS)


@cache
def _case_variants(ambiguous: bool) -> WholeForms:
    return _read_case_variants(AMBIGUOUS_SHORT_FORMS if ambiguous else SHORT_FORMS)


# after an amount, a unit per volume makes it a result's concentration ("mg/dL", "mmol/L")
_NOT_PER_VOLUME = r"(?![ \t]*/[ \t]*(?i:[dmuµ]?l)\b)"
# what makes an ambiguous short form a drug given (ambiguous_short_forms.txt): a dose (a number
# and a unit that is no concentration: "K 40 mEq", "EMB 15 mg/kg", not "K 4.1 mmol/L" or "Mg
# 1.8 mg/dL"), a strength ("TAC 0.1%"), a number and a frequency ("oxy 5 q4h", "bicarb 650
# tid"), a route, form or frequency after it ("dex suppression test" gives the drug too), what
# was done with it ("pred weaned off"), an allergy to it ("PCN allergy"), or (a drug, not a
# body's own analyte) a level ...
_DRUG_SIGN_AFTER = re.compile(
    r"[ \t]*(?::[ \t]*)?(?:\d+(?:[.,]\d+)*[ \t]*(?:(?i:mg|mcg|µg|ug|g|gm|units?|u|mu|meq|mmol|ml"
    r"|tabs?|tablets?|caps?|puffs?|drops?)\b" + _NOT_PER_VOLUME + r"|%|/(?:m2|kg)\b"
    r"|[ \t]*(?i:q\d+h|qhs|prn|daily|bid|tid|qid|po|iv|im|sc|sq|sl)\b)"
    r"|(?i:po|iv|im|sc|sq|sl|ivp|gtt|drip|infusion|push|nebs?|patch(?:es)?|tapers?|bursts?"
    r"|daily|bid|tid|qid|qhs|qd|weekly|q\d+h|prn|ointment|cream|suppression|ppx|prophylaxis)\b)"
    r"|[ \t]+(?i:weaned|tapered|stopped|held|discontinued|restarted|repleted|supplements?"
    r"|supplementation|replacement|repletion)\b"
    r"|[ \t]+(?i:allerg(?:y|ies|ic)|intolerance|(?:not[ \t]+)?indicated)\b")
_LEVEL_AFTER = re.compile(r"[ \t]+(?:level|trough)s?\b", re.IGNORECASE)
_ENDOGENOUS = frozenset(("k", "mg", "mag", "b12", "b6", "epo", "bicarb"))


def _endogenous(form: str) -> bool:
    """Is ``form`` a body's own analyte, whose level is a lab result ("vit D level")?"""
    return form.lower() in _ENDOGENOUS or form[:4].lower() == "vit "
# ... a verb of giving, or an allergy key, before it ...
_GIVEN_VERB_BEFORE = re.compile(
    r"(?i:(?<![\w-])(?:start(?:ed|ing)?|restart(?:ed)?|resume[sd]?|continue[sd]?|cont|"
    r"increase[sd]?|decrease[sd]?|double[sd]?|taper(?:ed|ing)?|wean(?:ed|ing)?|hold|held|"
    r"stop(?:ped)?|"
    r"d/c(?:'?d)?|on|off|add(?:ed)?|give|given|gave|got|received|receiving|uses|using|took|takes|"
    r"(?:narrowed|switched|changed|broadened|escalated|de-escalated)[ \t]+to|"
    r"taking|rx|prescribed|trial[ \t]+of|allergic[ \t]+to|allerg(?:y|ies)[ \t]*(?:to|:)|"
    r"iv|sq|sc|subq|im)[ \t]+)$")  # a route before it: "SQ hep", "IV dex"
# ... or a drug beside it in a list ("INH, RIF, PZA and EMB", "vanc/pip-tazo")
_LIST_GAP = re.compile(r"[ \t]*(?:,|;|/|\+|&)[ \t]*(?:(?:and|or)[ \t]+)?|[ \t]+(?:and|or)[ \t]+")
# ... with the first one's dose between them ("apap 1 g + oxy", "ondansetron 16 iv, dex")
_DOSED_GAP = re.compile(r"(?:[ \t]+\d+(?:[.,/]\d+)*(?:[ \t]*(?i:mg|mcg|g|units?|u|meq|ml)\b)?"
                        r"(?:[ \t]+(?i:po|iv|im|sc|sq|sl|prn|daily|bid|tid|qid|qhs|weekly|q\d+h)"
                        r"\b)*)?"
                        r"(?:" + _LIST_GAP.pattern + ")")


# ... or a dose before it ("1 amp bicarb", "40 mEq K", "2 g mag"; ``AMOUNT_BEFORE``)
def _given_as_drug(text: str, start: int, end: int) -> bool:
    return bool(_DRUG_SIGN_AFTER.match(text, end)
                or _GIVEN_VERB_BEFORE.search(text, max(0, start - 24), start)
                or AMOUNT_BEFORE.search(text, max(0, start - 16), start)
                or (not _endogenous(text[start:end]) and _LEVEL_AFTER.match(text, end)))


# ... or given with a drug, as a local anaesthetic's additive ("Marcaine with epi"; not the
# body's own analytes: "Lasix with K 3.2")
_WITH_GAP = re.compile(r"[ \t]+(?:with|w/)[ \t]*")


def _beside(text: str, start: int, end: int, drugs: list[tuple[int, int]]) -> bool:
    """Is a span of ``drugs`` the item before or after [start, end) in a list, or the drug
    that [start, end) is given with?"""
    return any((e <= start and (_DOSED_GAP.fullmatch(text, e, start) or (
        _WITH_GAP.fullmatch(text, e, start) and not _endogenous(text[start:end])))) or
               (end <= s and _DOSED_GAP.fullmatch(text, end, s)) for s, e in drugs)


# fluids: "NS" and "LR" (and premixes, "D5-1/2NS") are normal saline and lactated Ringer's
# beside a volume ("2L NS", "500 cc of LR", "NS 1 L") or with a rate or a bolus after ("NS @
# 100", "LR bolus", "D5-1/2NS at 75"); elsewhere they mean other things ("NS" not significant, "LR"
# likelihood ratio), and BC5CDR does not annotate the saline of its abstracts' methods
_PREMIX_FORMS = ("D5-1/2NS", "D51/2NS", "D5NS", "D5LR", "1/2NS")
_FLUIDS = WholeForms([v for f in _PREMIX_FORMS + ("D5-1/2 NS", "D5 NS", "D5 LR", "1/2 NS", "NS",
                                                  "LR") for v in (f, f.lower())],
                     not_before="/")
# in notes, drugs that BC5CDR's abstracts leave unannotated ("folic acid-containing multivitamin
# supplementation"), and the substances of a social history ("alcohol 2-3 drinks/week", "denies
# cannabis"; the lexicon has them only as ethanol and marijuana)
_NOTE_FORMS = WholeForms((v for base in ("multivitamin", "multivitamins", "alcohol", "cannabis",
                                          "meth")
                          for v in (base, base.capitalize(), base.upper())), hyphen_joins=True)
# ... and in notes a premix anywhere: no other sense has a "D5-1/2NS" ("switch to d5-1/2ns")
_PREMIXES = WholeForms([v for f in _PREMIX_FORMS for v in (f, f.lower())], not_before="/")
_VOLUME_BEFORE = re.compile(
    r"\d[ \t]*(?:L|l|mL|ml|ML|cc|CC|liters?|litres?|LITERS?|mL/kg|ml/kg|ML/KG|cc/kg)[ \t]+"
    r"(?:(?:of|OF)[ \t]+)?$")
_RATE_AFTER = re.compile(r"[ \t]*(?:bolus(?:es)?\b|@|at[ \t]+\d|infusion\b|gtt\b|drip\b|"
                         r"wide open\b|\d+[ \t]*(?:mL|ml|ML|cc|CC)/[hH]"
                         r"|\d+(?:\.\d+)?[ \t]*(?:L|mL|ml|ML|cc|CC)\b"  # or a volume: "NS 1 L bolus"
                         r"|\d+[ \t]*/[ \t]*hr?\b"  # "lr 250/h"
                         # or a use of saline: "NS flush", "saline irrigations" (not a device,
                         # "saline lock")
                         r"|(?i:irrigations?|rinses?|flush(?:es)?|nasal[ \t]+spray)\b)")


# the fluids by their names, in notes only ("resuscitate with normal saline"): abstracts name
# their methods' saline, which BC5CDR leaves unannotated ("received 2 ml normal saline")
_FLUID_NAMES = WholeForms(v for base in ("normal saline", "lactated ringer's", "lactated ringers",
                                         "ringer's lactate")
                          for v in (base, base.capitalize(), base.title(), base.upper()))
# saline alone, in notes, where a volume or a rate says it is the fluid ("9 L of saline")
_SALINE = WholeForms(("saline", "Saline"))
# oxygen as notes give it: "2 L home O2", "O2 via NC", "air/O2"; never a reading ("O2 sat 91%")
_OXYGEN = WholeForms(("O2", "o2"))
_GIVEN_BEFORE = re.compile(
    r"(?:\d[ \t]*(?:L|l|LPM|lpm|liters?|litres?|L/min|l/min)[ \t]+(?:of[ \t]+)?|"
    r"(?:on|home|supplemental|air/|N2O/)[ \t]*)(?:(?:home|supplemental|(?i:nc|hfnc|nrb|fm))"
    r"[ \t]+)?$")  # "on 3L nc o2"
_GIVEN_AFTER = re.compile(
    r"[ \t]+(?:via|by|per|NC\b|nasal|mask|NRB|at[ \t]+\d|\d+(?:\.\d+)?[ \t]*L\b)"
    r"|/[ \t]*(?:air|N2O)\b")  # the carrier gas of an anaesthetic ("sevo in O2/air")
_READING_AFTER = re.compile(r"[ \t]*(?:sats?\b|saturation|%|-|:)", re.IGNORECASE)


def _oxygen_given(text: str, start: int, end: int) -> bool:
    return not _READING_AFTER.match(text, end) and bool(
        _GIVEN_BEFORE.search(text, max(0, start - 24), start) or _GIVEN_AFTER.match(text, end))


def _drug_here(text: str, start: int, end: int) -> bool:
    return not _NOT_A_DRUG_AFTER.match(text, end) and not (
        text[start:end].upper() in _SCALED and _SCALE_AFTER.match(text, end))


def _fluid_given(text: str, start: int, end: int) -> bool:
    return bool(_VOLUME_BEFORE.search(text, max(0, start - 16), start)
                or _RATE_AFTER.match(text, end))


# saline named as what is given or used beside a word of its use ("irrigated with saline",
# "agitated saline study", "7% saline nebs", "saline nasal drops"); never the device ("saline
# lock")
_SALINE_BEFORE = re.compile(
    r"(?i:with|agitated|sterile|warm|cold|hypertonic|\d(?:\.\d+)?[ \t]*%)[ \t]+\Z")
_SALINE_AFTER = re.compile(r"[ \t]+(?i:nasal|nebs?|nebuli[sz]ed|drops|spray|injection|study"
                           r"|lavage|solution)\b")
_SALINE_DEVICE = re.compile(r"[ \t]*(?i:lock(?:ed)?|well)\b")


def _saline_given(text: str, start: int, end: int) -> bool:
    return _fluid_given(text, start, end) or (not _SALINE_DEVICE.match(text, end) and bool(
        _SALINE_BEFORE.search(text, max(0, start - 12), start) or _SALINE_AFTER.match(text, end)))


def _anywhere(text: str, start: int, end: int) -> bool:
    return True


# after an amount an ambiguous form is its unit ("D50 1 amp"); a body's own analyte with a
# number after it is a result even beside a drug ("KCl 40 PO; Mg 2.1")
_AMOUNT_BEFORE = re.compile(r"\d[ \t]*\Z")  # (\Z: "$" also matches before a line break)
_NUMBER_AFTER = re.compile(r"[ \t]*:?[ \t]*\d")


def short_form_hits(doc: Doc, hits: list[Hit], chemicals: Sequence[tuple[int, int]] = (),
                    clipped: ClippedNames | None = None) -> list[Hit]:
    """``hits`` with the drug short forms of the document that none of them overlaps, in
    order: each list of forms with the context it needs. In notes the ambiguous short forms,
    and the names ``clipped`` finds, count where the note gives them as drugs, or lists them
    with a drug: one of the hits, of ``chemicals`` (the model's Chemical spans) or an
    ambiguous form already taken."""
    text = doc.text
    note = doc.derived("note_layout", note_layout)
    kinds = [(_short_forms(), _drug_here), (_FLUIDS, _fluid_given), (_OXYGEN, _oxygen_given)]
    if note:
        kinds += [(_case_variants(False), _drug_here), (_NOTE_FORMS, _drug_here),
                  (_PREMIXES, _anywhere),
                  (_FLUID_NAMES, _anywhere), (_SALINE, _saline_given)]
    extra: list[Hit] = []
    for forms, here in kinds:
        for s, e in forms.find(doc):
            over = [h for h in hits if h.start < e and s < h.end]
            if not here(text, s, e) or not all(  # only hits inside and shorter give way
                    s <= h.start and h.end <= e and h.end - h.start < e - s for h in over) or any(
                    h.start < e and s < h.end for h in extra):  # "saline" of "normal saline"
                continue
            if over:  # a form holding a lexicon hit is the longer name ("Ca citrate")
                hits = [h for h in hits if h not in over]
            extra.append(Hit(s, e, text[s:e], "", ()))
    if note:
        taken = [(h.start, h.end) for h in hits + extra]
        left = [(s, e) for forms in (_ambiguous_short_forms(), _case_variants(True))
                for s, e in forms.find(doc) if not any(a < e and s < b for a, b in taken)
                and not _AMOUNT_BEFORE.search(text, max(0, s - 8), s)]
        named: dict[tuple[int, int], Hit] = {}  # the clipped names, with their drugs
        if clipped is not None:
            for s, e, name, ids in clipped.find(doc, taken + left + list(chemicals)):
                named[(s, e)] = Hit(s, e, text[s:e].lower(), name.capitalize(), ids)
            left += named
        if len(left) > 1:  # of two lists, the longer form ("vit k 10 mg", not its "k")
            left = [x for x in left if not any(
                y != x and y[0] <= x[0] and x[1] <= y[1] for y in left)]
        drugs = taken + [c for c in chemicals if not any(a < c[1] and c[0] < b for a, b in left)]
        # two of them joined by a slash name each other ("s/p amp/gent"; not results, "K/Mg")
        paired = {x for a in left for b in left if a[1] + 1 == b[0] and text[a[1]] == "/"
                  and not _endogenous(text[a[0]:a[1]]) and not _endogenous(text[b[0]:b[1]])
                  for x in (a, b)}
        # a word after the form that makes it no drug ("ASA class", "ADA diet") bars it for good,
        # and so do ventilator settings ("on ACV 450/16, PEEP 5": the mode, not acyclovir)
        left = [x for x in left if not _NOT_A_DRUG_AFTER.match(text, x[1])
                and not _VENT_SETTINGS_AFTER.match(text, x[1])]
        while left:  # a form beside one taken may make its own neighbour a list item
            now = [(s, e) for s, e in left
                   if _given_as_drug(text, s, e) or ((
                       _NUMBER_AFTER.match(text, e) and _beside(text, s, e, drugs))
                       if (s, e) in named else (s, e) in paired or (
                       _beside(text, s, e, drugs) and not (
                           _endogenous(text[s:e]) and _NUMBER_AFTER.match(text, e))))]
            if not now:
                break
            # a clipped name needs its own dose as well as a drug beside it ("heparin 4000 u
            # IV, ticag 180"; not "heparin x24h, neuro checks")
            extra += [named.get(x) or Hit(x[0], x[1], text[x[0]:x[1]], "", ()) for x in now]
            drugs += now
            left = [x for x in left if x not in now]
    return sorted(hits + extra) if extra else hits


def _model_pieces(text: str, hit: Hit, ents: list[Entity], seps: str) -> bool:
    """Are ``ents`` model Chemicals that cover ``hit`` but for characters of ``seps`` (the
    pieces of a product the lexicon names whole, "sacubitril/valsartan")?"""
    if not all(e.source == "model" and e.label == "Chemical" and hit.start <= e.start and
               e.end <= hit.end for e in ents):
        return False
    covered = bytearray(hit.end - hit.start)
    for e in ents:
        covered[e.start - hit.start:e.end - hit.start] = b"\x01" * (e.end - e.start)
    return any(c in seps for c in text[hit.start:hit.end]) and all(
        c or text[hit.start + i] in seps for i, c in enumerate(covered))


def _hyphen_combinations(text: str, hits: list[Hit]) -> list[Hit]:
    """``hits`` with two names joined by a hyphen made one product, as the notes guideline
    writes a combination ("buprenorphine-naloxone", "senna-docusate"); a combination has no
    ids of its own, like the package's."""
    out = [hits[0]]
    for h in hits[1:]:
        p = out[-1]
        if p.end + 1 == h.start and text[p.end] == "-" and p.name and h.name:
            out[-1] = Hit(p.start, h.end, text[p.start:h.end].lower(),
                          f"{p.name}/{h.name.lower()}", ())
        else:
            out.append(h)
    return out


def _ids(row: Sequence[str]) -> tuple[str, ...]:
    mesh, drugbank = (row[2], row[3]) if len(row) >= 4 else ("", "")
    return ((f"MESH:{mesh}",) if mesh else ()) + ((f"DRUGBANK:{drugbank}",) if drugbank else ())


_LOADED: dict[str, DrugLexicon] = {}


def find_file(model_dir: str | Path) -> Path | None:
    """The lexicon file of a model folder, or None."""
    for name in FILES:
        path = Path(model_dir) / name
        if path.is_file():
            return path
    return None


# What may stand beside a drug name inside a model span and be cut off: strengths, units, forms,
# routes and frequencies, which the dosage rules read ("Keflex 500", "Lasix 40 mg PO"), and the
# release and device words the guideline leaves out after a generic name ("nifedipine XL",
# "lidocaine viscous", "albuterol HFA"; a brand's own suffix is part of its hit: "Toprol XL")
_DOSEISH = re.compile(
    r"(?:[\s\d.,/%()\-:;+#x×]|\b(?:mg|mcg|µg|ug|g|gm|kg|ml|l|units?|u|iu|meq|mmol|tabs?|tablets?|"
    r"caps?|capsules?|po|iv|im|sc|sq|subcut|sl|pr|prn|daily|bid|tid|qid|qd|qhs|hs|qam|qpm|"
    r"q\d+h|xl|xr|er|sr|cr|la|dr|ec|odt|viscous|hfa|gumm(?:y|ies)|sublingual|transdermal|"
    r"intravenous|subcutaneous|intramuscular|ophthalmic|nebulized)\b"
    r"|x\d+(?:d|wk|wks|mo|mos|m|y|yr)\b)*",
    re.IGNORECASE)  # ... and a course's length ("doxy x3mo")


# after a drug at the start of a model Disease, the disease it caused, as the notes gold splits
# it ("plaquenil retinopathy", "etoh cirrhosis"); not what names the drug's own trouble ("warfarin
# toxicity", "aspirin allergy", "opioid use disorder") nor a name of its own ("insulin resistance")
_DISEASE_AFTER_DRUG = re.compile(
    r"[ \t]+(?!(?:use|abuse|misuse|dependence|withdrawal|intoxication|overdose|toxicity|level|"
    r"levels|allergy|allergies|intolerance|sensitivity|resistance|resistant|induced|associated|"
    r"related|exposure|poisoning|reaction|challenge|desensitization|deficiency|deficiencies|"
    r"deficient|insufficiency|overload|excess|excessive)\b)"
    r"([^\W\d_][\w'-]*(?:[ \t]+[^\W\d_][\w'-]*){0,3})", re.IGNORECASE)


def _doseish(text: str) -> bool:
    return _DOSEISH.fullmatch(text) is not None


# Lab analytes: in notes they are mostly results ("glucose 182", "Magnesium (mg/dL)"), which the
# notes guideline does not count as Chemicals; the lexicon adds none of its own (it still fixes
# the boundary of, and links, one the model tagged)
LAB_ANALYTES = frozenset((
    "glucose", "creatinine", "creatine", "sodium", "potassium", "chloride", "bicarbonate",
    "calcium", "magnesium", "phosphate", "phosphorus", "urea", "uric acid", "albumin",
    "bilirubin", "cholesterol", "triglycerides", "triglyceride", "lactate", "ammonia", "ferritin",
    "hemoglobin", "haemoglobin", "nitrite", "nitrites", "cortisol"))


# an analyte given as therapy: an amount in a unit of mass or of substance (not per volume, a
# result's unit) or a route after it, or a strength before it ("10% calcium gluconate"); a
# frequency alone is no sign ("monitor creatinine daily")
_ANALYTE_GIVEN_AFTER = re.compile(
    r"[ \t]*(?:\d+(?:[.,]\d+)*[ \t]*(?i:mg|g|gm|meq|mmol|units?)\b" + _NOT_PER_VOLUME +
    r"|(?i:po|iv|ivpb|gtt|drip|infusion|push|tabs?|tablets?|gel)\b"  # "glucose tablets"
    r"|(?i:(?:was|were)[ \t]+)?(?i:repleted|replaced|repletion|replacement|supplementation"
    r"|supplements?)\b)")  # "Potassium repleted", "magnesium was repleted"
_PERCENT_BEFORE = re.compile(r"\d%[ \t]*$")
def _reported(doc: Doc, hit: Hit) -> bool:
    """Is a nutrient's name a result in a note ("B12 162 and folate 3.1")?"""
    return nutrient_result(doc.text, hit.start, hit.end) and doc.derived("note_layout",
                                                                          note_layout)


def _analyte_given(doc: Doc, hit: Hit) -> bool:
    """Is a lab analyte's name given as therapy in a note ("potassium 40 mEq PO", "glucose
    25 g IV"), not reported as a result ("potassium 3.1 mmol/L")?"""
    text = doc.text
    return doc.derived("note_layout", note_layout) and bool(
        _ANALYTE_GIVEN_AFTER.match(text, hit.end)
        or _PERCENT_BEFORE.search(text, max(0, hit.start - 8), hit.start))


# a chemical formula as written: "KCl", "NaCl", "MgSO4", "FeSO4" (no brand is written so; an
# upper-case word, "TOPROL", is no formula)
_FORMULA = re.compile(r"(?=.*[a-z0-9])(?:[A-Z][a-z]?\d*){2,}")
_SLASH_LIST = re.compile(r"[^\s/]+(?:/[^\s/]+)+")
_LINE_GAP = re.compile(r"[ \t]*\r?\n\s*")
# the canonical names of plasma-derived products, which the notes guideline counts as blood
# products and leaves unannotated ("Kcentra", "4F-PCC", "IVIG", "RhoGAM"); antithymocyte
# globulin is a drug
_BLOOD_PRODUCT = re.compile(r"(?i)immune globulin|^human immunoglobulin g$|^immunoglobulin "
                            r"therapy$|^factor ix complex \(human\)$|^plasma protein fraction")


@cache
def _blood_product(name: str) -> bool:
    return _BLOOD_PRODUCT.search(name) is not None


def _without_blood_products(found: list[Entity], hits: list[Hit]) -> tuple[list[Entity],
                                                                            list[Hit]]:
    """``found`` and ``hits`` less the blood products of a note (the hits, and the model
    Chemicals with exactly a blood product's span)."""
    blood = {(h.start, h.end) for h in hits if _blood_product(h.name)}
    return ([e for e in found if not (e.label == "Chemical" and (e.start, e.end) in blood)],
            [h for h in hits if (h.start, h.end) not in blood])


class LexiconStep:
    """The pipeline step: ``step(doc, found) -> found`` with the lexicon's drugs merged in.

    For each lexicon hit and the entities of ``found`` that overlap it:

    - none: the hit is added as ``Entity(label="Chemical", source="lexicon", score=1.0)``,
      unless it is a lab analyte (``analytes``: "glucose", "creatinine", ...) that a note does
      not give as therapy ("potassium 40 mEq PO");
    - one model Chemical with the same span: it is kept and gets the hit's ``ids`` and ``name``
      (unless it has ids already);
    - one model entity (Chemical or Disease) that holds the hit and, beside it, only strengths,
      units, forms or punctuation ("Keflex 500"): the hit replaces it, so the dosage rules get
      the strength;
    - one model Chemical inside the hit ("Septra" of "Septra DS", "lithium" of "lithium
      carbonate"), or several (the pieces of a combination the notes write with a hyphen,
      "buprenorphine-" + "naloxone"): the hit replaces them;
    - one model Disease with exactly the hit's span ("Lasix" tagged Disease): the hit replaces
      it (``disease_exact=False`` keeps the Disease);
    - anything else (a Disease that holds the drug with other words, "aspirin-induced asthma";
      a partial overlap; several entities; an entity that is not the model's or is neither
      Chemical nor Disease): ``found`` wins and the hit is dropped.

    The drug short forms count as hits unless ``short_forms`` is false.

    The result never overlaps more than ``found`` did. With hits it is in order of start;
    without, ``found`` comes back as given (the pipeline hands every step sorted entities).
    """

    def __init__(self, lexicon: DrugLexicon, disease_exact: bool = True,
                 analytes: frozenset[str] = LAB_ANALYTES, short_forms: bool = True,
                 clipped: ClippedNames | None = None):
        self.lexicon = lexicon
        self.disease_exact = disease_exact
        self.analytes = analytes
        self.short_forms = short_forms
        self.clipped = clipped

    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]:
        hits = self.lexicon.find(doc.text)
        if self.short_forms:
            hits = short_form_hits(doc, hits, [(e.start, e.end) for e in found
                                               if e.label == "Chemical"], self.clipped)
        if hits and doc.derived("note_layout", note_layout):
            if any(_blood_product(h.name) for h in hits):
                found, hits = _without_blood_products(found, hits)
            if len(hits) > 1:
                hits = _hyphen_combinations(doc.text, hits)
                found = self._joined_drugs(doc, found, hits)
        if not hits:
            return found
        found = sorted(found, key=lambda e: (e.start, e.end))
        out: list[Entity] = []
        drop: set[int] = set()  # indices of found that a hit replaced
        i = 0
        for hit in hits:
            while i < len(found) and found[i].end <= hit.start:
                i += 1
            over = []
            k = i
            while k < len(found) and found[k].start < hit.end:
                if found[k].end > hit.start:
                    over.append(k)
                k += 1
            if not over:
                if (hit.variant not in self.analytes or _analyte_given(doc, hit)) and not (
                        hit.variant in NUTRIENTS and _reported(doc, hit)):
                    out.append(self._entity(doc, hit))
                continue
            if len(over) > 1:
                # several entities win, unless they are the model's pieces of a product written
                # with a hyphen ("buprenorphine-" and "naloxone") or, in notes, a slash (an
                # abstract's "bortezomib/dexamethasone" is two drugs by the BC5CDR guideline)
                seps = "-/" if doc.derived("note_layout", note_layout) else "-"
                if _model_pieces(doc.text, hit, [found[k] for k in over], seps) and \
                        not drop.intersection(over):
                    drop.update(over)
                    out.append(self._entity(doc, hit))
                continue
            o = found[over[0]]
            if o.source != "model" or o.label not in ("Chemical", "Disease") or over[0] in drop:
                continue
            if o.start == hit.start and o.end == hit.end:
                if o.label == "Chemical":
                    if not o.ids and hit.name:  # a short form's hit has no name to give
                        o.ids, o.name = list(hit.ids) or None, hit.name
                    continue
                if self.disease_exact:
                    drop.add(over[0])
                    out.append(self._entity(doc, hit))
                continue
            if o.start <= hit.start and hit.end <= o.end:
                if _doseish(doc.text[o.start:hit.start]) and _doseish(doc.text[hit.end:o.end]):
                    drop.add(over[0])
                    out.append(self._entity(doc, hit))
                elif o.label == "Disease" and o.start == hit.start and (
                        rest := _DISEASE_AFTER_DRUG.fullmatch(doc.text, hit.end, o.end)) and \
                        doc.derived("note_layout", note_layout):
                    drop.add(over[0])  # "plaquenil retinopathy", "etoh cirrhosis": two
                    out.append(self._entity(doc, hit))
                    out.append(doc.span(rest.start(1), o.end, "Disease", score=o.score,
                                        source=o.source))
                continue
            if hit.start <= o.start and o.end <= hit.end and o.label == "Chemical":
                drop.add(over[0])
                out.append(self._entity(doc, hit))
        if not out and not drop:
            return found
        out.extend(e for n, e in enumerate(found) if n not in drop)
        out.sort(key=lambda e: (e.start, e.end))
        return out

    def _joined_drugs(self, doc: Doc, found: list[Entity], hits: list[Hit]) -> list[Entity]:
        """``found`` with drug names joined by "/" or a line break written as the notes
        guideline writes them: drugs given together apart ("vanc/zosyn", "fentanyl/bupi", a
        drug on the next line: a model Chemical over both is split), a fixed combination as one
        span (two model Chemicals that the lexicon combines are joined: "albuterol/ipratropium";
        a name or short form of its own, "TMP/SMX", is one hit already)."""
        text = doc.text
        if not any(e.label == "Chemical" and e.source == "model" and (
                "/" in e.text or "\n" in e.text or text.startswith("/", e.end)) for e in found):
            return found  # no model Chemical in or before a slash or a line break: the usual case
        at = {(h.start, h.end): h for h in hits}
        out: list[Entity] = []
        for ent in sorted(found, key=lambda e: (e.start, e.end)):
            if ent.label != "Chemical" or ent.source != "model":
                out.append(ent)
                continue
            prev = out[-1] if out else None
            if prev is not None and prev.label == "Chemical" and prev.end + 1 == ent.start and \
                    text[prev.end] == "/" and (ent.start, ent.end) in at and \
                    (prev.start, prev.end) in at and self._combined(
                        [at[(prev.start, prev.end)], at[(ent.start, ent.end)]]):
                out[-1] = doc.span(prev.start, ent.end, "Chemical", score=1.0, source="lexicon")
                continue
            if (ent.start, ent.end) not in at and _SLASH_LIST.fullmatch(ent.text):
                pieces, pos = [], ent.start
                for part in ent.text.split("/"):
                    pieces.append(at.get((pos, pos + len(part))))
                    pos += len(part) + 1
                if all(pieces) and not self._combined(pieces):
                    out.extend(self._entity(doc, h) for h in pieces)
                    continue
            if "\n" in ent.text and (ent.start, ent.end) not in at:
                # drugs on two lines, which a wrapped line made one span ("... broaden to
                # vanc/cefepime\nheparin 5000 sq")
                cut = [(m.start(), m.end()) for m in _LINE_GAP.finditer(ent.text)]
                bounds = [0] + [x for c in cut for x in c] + [len(ent.text)]
                pieces = [at.get((ent.start + a, ent.start + b))
                          for a, b in zip(bounds[::2], bounds[1::2])]
                if all(pieces):
                    out.extend(self._entity(doc, h) for h in pieces)
                    continue
            out.append(ent)
        return out

    def _combined(self, pieces: list[Hit]) -> bool:
        return all(h.name for h in pieces) and self.lexicon.combination(pieces)

    @staticmethod
    def _entity(doc: Doc, hit: Hit) -> Entity:
        return doc.span(hit.start, hit.end, "Chemical", score=1.0, source="lexicon",
                        ids=list(hit.ids) or None, name=hit.name or None)


def lexicon_step(model_dir: str | Path) -> LexiconStep:
    """The step for a model folder's lexicon (read once per process; FileNotFoundError if the
    folder has none), with its clipped names."""
    lexicon = DrugLexicon.load(model_dir)
    return LexiconStep(lexicon, clipped=ClippedNames(lexicon.generic_names(),
                                                     ClippedNames.vocab_of(model_dir)))
