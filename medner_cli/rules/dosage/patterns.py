"""What the pieces of a dose look like: the regex building blocks and the compiled patterns.

A piece is an amount with a dose unit ("500 mg", "1-2 tablets"), a bare number (a strength
only right after a drug name: "Lipitor 40"), a percentage or ratio, a
frequency ("BID", "q6h", "twice a day", "at bedtime"), an as-needed marker, a course ("x 5
days"), a dose count ("x1"), a route or a dose-form word. Lab units per volume of body fluid and
oxygen flows are pieces too ("lab", "o2"), so that they are read whole and break a chain.

Each kind of piece is one named alternative; ``compile_pieces`` joins the kinds asked for into
one pattern. The scan (chains.py) stops only at ``CANDIDATE`` words that a piece can start with
and tries only the kinds that can start there (``BY_WORD``).
"""

from __future__ import annotations

import regex

_WS = r"[^\S\r\n]"  # white space that does not end a line: a span never crosses a line
_HY = rf"(?:-|{_WS})"
NUM_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
             "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0}
NUMWORD = "(?:(?:" + "|".join(NUM_WORDS) + r")(?!\p{L}))"
VULGAR = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
VF = "[" + "".join(VULGAR) + "]"
# 1,000 and 20 000 (a plain space only after two or three digits: "take 2 500 mg tablets").
_DIG = r"""(?:(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d{1,3}(?:[\u00a0\u2009\u202f]\d{3})+(?!\d)
    |\d{2,3}(?:\x20\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)"""
_VALUE = rf"""(?:
    \d+(?:{_WS}+|-)?{VF} | {VF}
  | \d+{_WS}+[1-3]/[2-4](?![\d/])
  | {_DIG}(?:{_WS}*/{_WS}*{_DIG}){{0,2}}
  | (?:{NUMWORD}{_WS}+and{_WS}+(?:a|one){_HY}half | (?:a|one){_HY}half | half(?:{_WS}+an?)?
     | {NUMWORD})(?!\p{{L}})
    (?:{_WS}*\({_WS}*{_DIG}(?:{_WS}*/{_WS}*{_DIG})?{_WS}*\))?
)"""
_RSEP = rf"(?:{_WS}*(?:[-–—‑−]|(?<=\s)(?:to|or)(?=\s)){_WS}*)"
_AMOUNT = rf"(?:{_VALUE}(?:{_RSEP}{_VALUE})?)"
# Between two amounts that both carry the unit: "5 mg-10 mg", never "from 5 mg to 10 mg".
_DASH = rf"(?:{_WS}*(?:[-–—‑−]|(?<=\s)or(?=\s)){_WS}*)"
_SIMPLE = rf"(?:(?:{_DIG}|{NUMWORD})(?:{_RSEP}(?:{_DIG}|{NUMWORD}))?)"
# A number starts a piece only where it is not the tail of a word, a decimal, a date or "#30".
_NUM_START = r"(?<![\p{L}\p{N}.,/\#+\-−–])"
_WORD_START = r"(?<![\p{L}\p{N}])"
_END = r"(?![\p{L}\p{N}])"

_MEASURE = rf"""(?:
    milligrams?|mgs?|micrograms?|mcgs?|[uµμ]g|grams?|gms?|g
  | milli-?lit(?:er|re)s?|mls?|ccs?|lit(?:er|re)s?|(?-i:L)
  | international{_WS}+units?|units?|(?-i:IU|U|u)|iu
  | milliequivalents?|meq|millimoles?|mmol|millicuries?|mci
)"""
_PER = rf"""(?:(?:{_WS}*/{_WS}*|{_WS}+per{_WS}+)
    (?:kg|m2|m\^2|m²|sq\.?{_WS}?m|(?:\d+(?:\.\d+)?|\.\d+){_WS}*ml|ml|dose|24{_WS}*(?:hours?|hrs?|h)|hours?|hrs?|h
     |minutes?|mins?|min|seconds?|secs?|sec|s|days?|d|weeks?|wks?|wk|actuations?|sprays?|puffs?
     |inhalations?))"""
_FORM = r"""(?:
    tablets?|tabs?|caplets?|capsules?|capfuls?|caps?|pills?|puffs?|inhalations?|drops?|gtts?
  | sprays?|patch(?:es)?|doses?|suppositor(?:y|ies)|lozenges?|troches?|packets?|ampules?|ampoules?
  | amps?|vials?|applications?|teaspoon(?:ful)?s?|tsps?|tablespoon(?:ful)?s?|tbsps?
  | injections?
)(?:\(e?s\))?"""
_FORM_PER = rf"(?:{_WS}*/{_WS}*(?:days?|d|weeks?|wks?|wk))"
# After a unit: no letter or digit, and no "/" or "-" that starts another word ("mg/dL").
_UNIT_END = rf"(?![\p{{L}}\p{{N}}]|[-/]{_WS}*\p{{L}})"

_LAB_UNIT = rf"""(?:
    (?:mg|g|gm|mmol|[uµμ]mol|nmol|pmol|meq|mosm|cells|k|units?){_WS}*/{_WS}*
        (?:dl|l|[uµμ]l|mm3|mm\^3|hpf|lpf)
  | (?:ng|pg|mcg|[uµμ]g|miu|[uµμ]iu|iu|u|mu){_WS}*/{_WS}*(?:dl|l|ml|[uµμ]l)
  | mosm{_WS}*/{_WS}*kg | ml{_WS}*/{_WS}*min | mm{_WS}*hg | cm{_WS}*h2o | bpm | /{_WS}*[hl]pf
)(?!\p{{L}})"""
_LITRE = r"(?:(?-i:L)|lit(?:er|re)s?)"
_O2_NEXT = rf"""(?:nc|nasal|o2|oxygen|via{_WS}+(?:nc|nasal|face|mask|nrb)|fm|face|nrb
    |non-?rebreather|bipap|cpap|hfnc|high{_HY}?flow|venti|mask|supplemental)(?!\p{{L}})"""
_O2 = rf"""(?:
    {_LITRE}(?:{_WS}*/{_WS}*min(?:ute)?)?(?={_WS}*(?:of{_WS}+)?{_O2_NEXT})
  | {_LITRE}{_WS}*/{_WS}*min(?:ute)? | lpm
)(?!\p{{L}})"""

_DUR_UNIT = r"(?:days?|d|weeks?|wks?|wk|w|months?|mos?|mo|hours?|hrs?|h)"
_EXTRA = rf"(?:(?:more|additional|further|consecutive|extra){_WS}+)?"
_Q_UNIT = r"(?:hours?|hrs?|h|minutes?|mins?|min|days?|d|weeks?|wks?|w|months?|mos?)"
_Q_NUM = rf"(?:\d{{1,3}}(?:{_WS}?[-–]{_WS}?\d{{1,3}})?)"
_MEAL_TIME = rf"""(?:with|before|after|prior{_WS}+to){_WS}+(?:each{_WS}+)?
    (?:meals?|food|breakfast|lunch|dinner|supper)"""
_TIMES_WORD = rf"(?:(?:for|times|[x×]){_WS}+|[x×](?=\d))"  # "x 5 days", "x5d"; never "xand"
_TO_PERIOD = rf"(?:{_WS}+|{_WS}*(?=/))"  # "twice daily", "2x/day"; never "twicedaily"
_PERIOD = rf"""(?:(?:a|per|each|every){_WS}+(?:day|week|month|night)|daily|weekly|monthly|nightly
    |/{_WS}*(?:day|d|week|wk|month))"""


def _dotted(letters: str) -> str:
    """The dotted form ("b.i.d.", "b. i. d", final dot optional) or the plain one ("bid")."""
    dot = r"\." + _WS + "?"
    return dot.join(letters) + r"\.?|" + letters


# Everything that starts with a number is one alternative, so that the number is read once;
# the named group after it (same names as the word-led pieces) tells what it is.
# what a patient takes by the count that is no dose: "EtOH 2-3 drinks/week", "nicotine 1 pack"
_CONSUMED = r"drinks?|beers?|glass(?:es)?|cigarettes?|packs?|cans?|cups?|shots?"
_NUMBER_LED = rf"""{_NUM_START}(?P<amt>{_AMOUNT})(?:
    {_WS}*(?P<lab>{_LAB_UNIT})
  | {_WS}*(?P<o2>{_O2})
  | {_WS}*(?P<pct>%|％|percent(?!\p{{L}}))
  | (?<=(?<![\d.,])1):(?P<pct>\d{{1,3}}(?:,\d{{3}})+(?![\d,])|\d{{4,}})
  | (?:{_WS}*|-)(?P<dose>(?P<d_unit>{_MEASURE}{_PER}{{0,2}}|{_FORM}{_FORM_PER}?)
        (?:{_DASH}(?P<amt_hi>{_VALUE})(?:{_WS}*|-)(?P=d_unit))?{_UNIT_END})
  | (?:{_WS}*-{_WS}*|{_WS}+)(?P<dur>(?P<du_u2>day|week|month)s?{_WS}+
        (?:course|taper|regimen|trial|treatment){_END})
  | {_WS}*(?P<wfreq>(?:times?|x){_TO_PERIOD}{_PERIOD}{_END})
  | {_WS}*(?P<tfreq>(?:minutes?|mins?|hours?|hrs?){_WS}+{_MEAL_TIME}{_END})
  | (?<=\d)(?P<bare>)(?![\p{{L}}\p{{N}}%/:\-]|[.,]\d|{_WS}*(?:{_MEASURE}|mgi)(?!\p{{L}})
        |{_WS}+(?:{_CONSUMED})(?!\p{{L}}))
)"""
_PIECES = {
    "num": _NUMBER_LED,
    "xdur": rf"""{_WORD_START}{_TIMES_WORD}(?P<xd_n>\d{{1,2}}|{NUMWORD}|a)
        {_WS}*{_EXTRA}doses?{_END}""",
    "dur": rf"""{_WORD_START}{_TIMES_WORD}
        (?:(?:a{_WS}+total{_WS}+of|another|the{_WS}+next|the{_WS}+following|an{_WS}+additional
           |up{_WS}+to)
           {_WS}+)?
        (?P<du_n>{_SIMPLE}|an?){_WS}*-?{_WS}*{_EXTRA}(?P<du_u>{_DUR_UNIT}){_END}""",
    # frequencies: standing alone
    "wfreq": rf"""{_WORD_START}(?:
        (?:once|twice|thrice|x{_WS}?\d{{1,2}}){_TO_PERIOD}{_PERIOD}
      | daily|nightly|weekly|monthly|hourly
      | every{_WS}+(?:day|night|morning|evening|week|month|hour|(?:other|alternate){_WS}+day)
      | each{_WS}+(?:day|night|morning|evening|week)
      | every{_WS}+{_SIMPLE}{_WS}*{_Q_UNIT}
      | (?:at|for){_WS}+(?:bed{_WS}?time|hs|h\.s\.) | before{_WS}+bed(?:time)?
      | (?-i:AC{_WS}?(?:&|and|/){_WS}?HS|ACHS|AC|PC|HS) | a\.c\.(?:{_WS}?(?:&|and){_WS}?h\.s\.)?
      | p\.c\. | h\.s\.
    ){_END}""",
    "sfreq": rf"""{_WORD_START}(?:
        {_dotted('bid')}|{_dotted('tid')}|{_dotted('qid')}|{_dotted('qod')}|{_dotted('qhs')}
      | {_dotted('qam')}|{_dotted('qpm')}|{_dotted('qd')}|{_dotted('tiw')}
      | q\.?{_WS}?(?:day|daily|am|pm|hs|night|morning|evening|week|wk|month|mo|other{_WS}+day)
      | q\.{_WS}?{_Q_NUM}{_WS}?{_Q_UNIT}\.? | q{_WS}?{_Q_NUM}{_WS}?{_Q_UNIT}
    ){_END}""",
    "sprn": rf"{_WORD_START}(?:{_dotted('prn')}){_END}",
    "wprn": rf"{_WORD_START}(?:as|if|when){_WS}+(?:needed|necessary|required){_END}",
    # pieces that only extend a chain
    "count": rf"""{_WORD_START}[x×](?:{_WS}+|(?=\d))(?P<c_n>\d{{1,2}}|one|two|three)
        (?!\p{{N}}|\.\d|{_WS}*(?:[x×*]|cm|mm|m|inch)(?!\p{{L}})){_END}""",
    "tfreq": rf"""{_WORD_START}(?:
        (?:a|per|each){_WS}+day | at{_WS}+(?:night|noon)
      | in{_WS}+the{_WS}+(?:morning|evening|afternoon|am|pm) | in{_WS}+(?-i:AM|PM)
      | {_MEAL_TIME}
      | (?:once|one{_WS}+time)(?={_WS}*(?:[^\s\p{{L}}]|[\r\n]|$)|{_WS}+(?:pre|post|intra
          |(?:now|today|tonight|only|again|then|and|for|prior|before|in|at|on|with|during|x)
           (?!\p{{L}})))
      | stat | around{_WS}+the{_WS}+clock | (?-i:ATC)
      | (?:in|per){_WS}+24{_WS}*(?:hours?|hrs?|h)
      | (?:after|with|post)(?:{_WS}+|-)(?:each{_WS}+)?(?:hd|hemodialysis|dialysis)
          (?:{_WS}+(?:sessions?|treatments?|runs?))?
      | over{_WS}+{_SIMPLE}{_WS}*(?:minutes?|mins?|hours?|hrs?|h)
    ){_END}""",
    "route": rf"""{_WORD_START}(?:
        p\.{_WS}?o\.?|per{_WS}+os|by{_WS}+mouth|orally|oral|po
      | sublingual(?:ly)?|s\.l\.|sl
      | intravenous(?:ly)?(?:{_WS}+(?:push|piggyback|drip|bolus|infusion))?|i\.v\.
      | iv(?:{_WS}+(?:push|piggyback|drip|bolus|infusion)|pb|p)?
      | intramuscular(?:ly)?|i\.m\.|im
      | subcutaneous(?:ly)?|subcut|subcu|sub-?q|s\.c\.|s\.q\.|sq|sc
      | per{_WS}+rectum|rectal(?:ly)?|p\.r\.|pr | vaginal(?:ly)?|per{_WS}+vagina|pv
      | inhaled|nebulized|(?:via|by|per){_WS}+(?:nebulizer|neb|inhaler|inhalation|mdi)
      | topical(?:ly)?|transdermal(?:ly)?|intranasal(?:ly)?|nasally|intradermal(?:ly)?
      | intrathecal(?:ly)?|epidural(?:ly)?|intra-?articular(?:ly)?|intravitreal(?:ly)?
      | intravesical(?:ly)?|buccal(?:ly)?|ophthalmic|otic
      | (?:in{_WS}+(?:each|both|the{_WS}+(?:left|right|affected)|left|right)|each|both|left|right)
          {_WS}+(?:eyes?|ears?|nostrils?|nares)
      | per{_WS}+nostril|(?-i:OU)|o\.u\.
      | (?:per|via|by|through){_WS}+(?:ngt?|og|g|j|peg|gt|pej|feeding|gastrostomy|jejunostomy
          |nasogastric)(?:{_HY}?tube)?
      | (?:per|via){_WS}+tube | (?-i:NGT|NG|PEG|OG)
    ){_END}""",
    "filler": rf"""{_WORD_START}(?:
        tablets?|tabs?|capsules?|caps?|patch(?:es)?|chewable|divided
      | (?:extended|delayed|sustained|controlled|immediate){_HY}release|enteric{_HY}coated
      | cream|ointment|gel|lotion|solution|suspension|syrup|elixir|inhaler|nebs?|nebulizer
      | (?-i:ER|SR|XL|XR|CR|DR|EC|ODT|CD|LA|DS)
    )(?:\(s\))?{_END}""",
}
# Alternation order settles ties at one position: longer forms first.
ORDER = ("num", "xdur", "dur", "wfreq", "count", "sfreq", "sprn", "wprn", "tfreq", "route",
         "filler")


def compile_pieces(kinds: frozenset[str] | tuple[str, ...]) -> regex.Pattern[str]:
    """One alternation of the pieces in ``kinds``; each is a group named by its kind."""
    return regex.compile("|".join(f"(?:{_PIECES[k]})" if k == "num" else f"(?P<{k}>{_PIECES[k]})"
                                  for k in ORDER if k in kinds), regex.IGNORECASE | regex.VERBOSE)


# The words (letter runs: "q" covers "q6h", "b" covers "b.i.d.") that each piece can start
# with; "0" stands for a digit. The scan stops only at these and tries only the pieces that
# can start there, which keeps it fast. The tests check it finds what trying every piece at
# every position (``compile_pieces(ORDER)``, see ``chains.reference_pieces``) finds.
_NUMBERS = "0 " + " ".join(NUM_WORDS) + " half a"
_FIRST = {
    "num": _NUMBERS, "xdur": "x for times", "dur": "x for times",
    "wfreq": """once twice thrice x daily nightly weekly monthly hourly every each at for before ac
        pc hs achs a p h""",
    "count": "x",
    "tfreq": "a per each at in with before after prior once one stat over around atc post",
    "sfreq": "b t q bid tid qid qod qhs qam qpm qd tiw qday qdaily qnight qmorning qevening qweek "
             "qwk qmonth qmo qother",
    "sprn": "p prn", "wprn": "as if when",
    "route": """p po per by orally oral sublingual sublingually s sl intravenous intravenously i iv
        ivp ivpb intramuscular intramuscularly im subcutaneous subcutaneously subcut subcu sub subq
        sq sc rectal rectally pr vaginal vaginally pv inhaled nebulized via topical topically
        transdermal transdermally intranasal intranasally nasally intradermal intradermally
        intrathecal intrathecally epidural epidurally intra intraarticular intraarticularly
        intravitreal intravitreally intravesical intravesically buccal buccally ophthalmic otic in
        each both left right ou o through ngt ng peg og""",
    "filler": """tablet tablets tab tabs capsule capsules cap caps patch patches chewable divided
        extended delayed sustained controlled immediate enteric cream ointment gel lotion solution
        suspension syrup elixir inhaler neb nebs nebulizer er sr xl xr cr dr ec odt cd la ds""",
}


def _dispatch() -> dict[str, regex.Pattern[str]]:
    """Start word -> the alternation of the pieces that can start with it."""
    kinds: dict[str, set[str]] = {}
    for kind, words in _FIRST.items():
        for word in words.split():
            kinds.setdefault(word, set()).add(kind)
    kinds["×"] = kinds["x"]
    compiled: dict[frozenset[str], regex.Pattern[str]] = {}
    out = {}
    for word, ks in kinds.items():
        key = frozenset(ks)
        if key not in compiled:
            compiled[key] = compile_pieces(key)
        out[word] = compiled[key]
    return out


BY_WORD = _dispatch()
# Where a piece may start: a letter run, a digit, a decimal point before a digit, or "×".
CANDIDATE = regex.compile(r"(?<![\p{L}\p{N}])(?:\p{L}+|\p{N}|\.\d|×)")
