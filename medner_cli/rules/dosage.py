"""Dosage spans by rule: amounts, strengths, frequencies, routes and courses of medication.

A note is scanned once for *pieces* (an amount with a dose unit, a frequency, a route, a
course, ...). Pieces separated only by spaces, a slash or "up to" on one line form a *chain*
(two amounts also across "of" or "in": "10 mL of 1%"); commas, parentheses and other words
split. A chain becomes one Dosage span when its context says it is medication:

* an amount with a dose unit fires unless a negative cue says it is a lab value, a vital sign,
  a fluid balance, a size or a weight (analyte before it, "EBL", "removed", "syringe", ...);
* a frequency abbreviation (BID, q6h, PRN) fires unless it follows a patient behaviour or a
  nursing task ("nocturia q.1h.", "vitals q4h");
* a plain frequency or course ("daily", "for 10 days") fires only next to a route, a drug-like
  word or a word such as "take", or right after another Dosage ("BID (2 times a day)").

Lab units per volume of body fluid (mg/dL, mmol/L, ng/mL ...) and oxygen flows never fire.
Routes and dose-form words may sit inside a span but never start or end one. Precision comes
first: what the rules cannot tell apart is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

# ---------------------------------------------------------------------------------------------
# Patterns (compiled once)

_WS = r"[^\S\r\n]"  # white space that does not end a line: a span never crosses a line
_HY = rf"(?:-|{_WS})"
_NUM_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
              "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0}
_NUMWORD = "(?:(?:" + "|".join(_NUM_WORDS) + r")(?!\p{L}))"
_VULGAR = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
_VF = "[" + "".join(_VULGAR) + "]"
# 1,000 and 20 000 (a plain space only after two or three digits: "take 2 500 mg tablets").
_DIG = r"""(?:(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d{1,3}(?:[\u00a0\u2009\u202f]\d{3})+(?!\d)
    |\d{2,3}(?:\x20\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)"""
_VALUE = rf"""(?:
    \d+(?:{_WS}+|-)?{_VF} | {_VF}
  | \d+{_WS}+[1-3]/[2-4](?![\d/])
  | {_DIG}(?:{_WS}*/{_WS}*{_DIG}){{0,2}}
  | (?:{_NUMWORD}{_WS}+and{_WS}+(?:a|one){_HY}half | (?:a|one){_HY}half | half(?:{_WS}+an?)?
     | {_NUMWORD})(?!\p{{L}})
    (?:{_WS}*\({_WS}*{_DIG}(?:{_WS}*/{_WS}*{_DIG})?{_WS}*\))?
)"""
_RSEP = rf"(?:{_WS}*(?:[-–—‑−]|(?<=\s)(?:to|or)(?=\s)){_WS}*)"
_AMOUNT = rf"(?:{_VALUE}(?:{_RSEP}{_VALUE})?)"
# Between two amounts that both carry the unit: "5 mg-10 mg", never "from 5 mg to 10 mg".
_DASH = rf"(?:{_WS}*(?:[-–—‑−]|(?<=\s)or(?=\s)){_WS}*)"
_SIMPLE = rf"(?:(?:{_DIG}|{_NUMWORD})(?:{_RSEP}(?:{_DIG}|{_NUMWORD}))?)"
# A number starts a piece only where it is not the tail of a word, a decimal, a date or "#30".
_NUM_START = r"(?<![\p{L}\p{N}.,/\#+\-−–])"
_WORD_START = r"(?<![\p{L}\p{N}])"
_END = r"(?![\p{L}\p{N}])"

_MEASURE = rf"""(?:
    milligrams?|mgs?|micrograms?|mcgs?|[uµμ]g|grams?|gms?|g
  | milli-?lit(?:er|re)s?|mls?|ccs?|lit(?:er|re)s?|(?-i:L)
  | international{_WS}+units?|units?|(?-i:IU|U)|iu
  | milliequivalents?|meq|millimoles?|mmol|millicuries?|mci
)"""
_PER = rf"""(?:(?:{_WS}*/{_WS}*|{_WS}+per{_WS}+)
    (?:kg|m2|m\^2|m²|sq\.?{_WS}?m|5{_WS}*ml|ml|dose|24{_WS}*(?:hours?|hrs?|h)|hours?|hrs?|h
     |minutes?|mins?|min|seconds?|secs?|sec|s|days?|d|weeks?|wks?|wk|actuations?|sprays?|puffs?
     |inhalations?))"""
_FORM = r"""(?:
    tablets?|tabs?|caplets?|capsules?|capfuls?|caps?|pills?|puffs?|inhalations?|drops?|gtts?
  | sprays?|patch(?:es)?|doses?|suppositor(?:y|ies)|lozenges?|troches?|packets?|ampules?|ampoules?
  | amps?|vials?|applications?|teaspoon(?:ful)?s?|tsps?|tablespoon(?:ful)?s?|tbsps?
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
)"""
_PIECES = {
    "num": _NUMBER_LED,
    "xdur": rf"""{_WORD_START}{_TIMES_WORD}(?P<xd_n>\d{{1,2}}|{_NUMWORD}|a)
        {_WS}*{_EXTRA}doses?{_END}""",
    "dur": rf"""{_WORD_START}{_TIMES_WORD}
        (?:(?:a{_WS}+total{_WS}+of|another|the{_WS}+next|the{_WS}+following|an{_WS}+additional)
           {_WS}+)?
        (?P<du_n>{_SIMPLE}|an?){_WS}*-?{_WS}*{_EXTRA}(?P<du_u>{_DUR_UNIT}){_END}""",
    # frequencies: standing alone
    "wfreq": rf"""{_WORD_START}(?:
        (?:once|twice|thrice|x{_WS}?\d{{1,2}}){_TO_PERIOD}{_PERIOD}
      | daily|nightly|weekly|monthly|hourly
      | every{_WS}+(?:day|night|morning|evening|week|month|hour|(?:other|alternate){_WS}+day)
      | each{_WS}+(?:day|night|morning|evening|week)
      | every{_WS}+{_SIMPLE}{_WS}*{_Q_UNIT}
      | at{_WS}+(?:bed{_WS}?time|hs|h\.s\.) | before{_WS}+bed(?:time)?
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
_ORDER = ("num", "xdur", "dur", "wfreq", "count", "sfreq", "sprn", "wprn", "tfreq", "route",
          "filler")


def _compile(kinds: frozenset[str] | tuple[str, ...]) -> regex.Pattern[str]:
    """One alternation of the pieces in ``kinds``; each is a group named by its kind."""
    return regex.compile("|".join(f"(?:{_PIECES[k]})" if k == "num" else f"(?P<{k}>{_PIECES[k]})"
                                  for k in _ORDER if k in kinds), regex.IGNORECASE | regex.VERBOSE)


# The words (letter runs: "q" covers "q6h", "b" covers "b.i.d.") that each piece can start
# with; "0" stands for a digit. The scan stops only at these and tries only the pieces that
# can start there, which keeps it fast. The tests check it finds what trying every piece at
# every position (``_compile(_ORDER)``) finds.
_NUMBERS = "0 " + " ".join(_NUM_WORDS) + " half a"
_FIRST = {
    "num": _NUMBERS, "xdur": "x for times", "dur": "x for times",
    "wfreq": """once twice thrice x daily nightly weekly monthly hourly every each at before ac pc
        hs achs a p h""",
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
            compiled[key] = _compile(key)
        out[word] = compiled[key]
    return out


_BY_WORD = _dispatch()
_CANDIDATE = regex.compile(r"(?<![\p{L}\p{N}])(?:\p{L}+|\p{N}|\.\d|×)")

# Pieces join across spaces, a slash or "up to"; two amounts also across "of" or "in"
# ("10 mL of 1%", "0.5 mCi in 0.5 mL"). Commas, parentheses and other words split.
_GAP = regex.compile(r"[^\S\r\n]*(?:/[^\S\r\n]*|up[^\S\r\n]+to[^\S\r\n]+)?")
_AMOUNT_GAP = regex.compile(r"[^\S\r\n]+(?:of|in)[^\S\r\n]+")
# What may separate a Dosage from a schedule that continues it: "BID (2 times a day)".
_CONTINUATION = regex.compile(r"[^\S\r\n]*(?:[,()][^\S\r\n]*){1,3}")
_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’/&\-]*")
# A sentence ends at a period after a word (not "approx.") before a capital or a digit.
_STOP_BEFORE = regex.compile(r"[\r\n;]|(?<=\p{L}{2}|[\d)\]%])(?<!approx)[.!?]\s+(?=[\p{Lu}\d])")
_STOP_AFTER = regex.compile(r"[\r\n;,:]|\.(?:\s|$)")
_MED_LINE = regex.compile(
    r"[^\S\r\n]*(?:(?:\d{1,2}[.)]|[-*•·>]|\#\d*)[^\S\r\n]*)?(\p{Lu}[\p{L}\-]{2,})"
    r"(?:[^\S\r\n]+\p{L}[\p{L}\-]*)?[^\S\r\n]*")

# ---------------------------------------------------------------------------------------------
# Vocabulary (lower case)


def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


_LAB = _words("""
    psa hgb hb hemoglobin haemoglobin hct hematocrit wbc rbc plt creatinine cr creat bun alt ast
    sgot sgpt alk phos alkaline phosphatase bilirubin bili tbili dbili ldh ck cpk ckmb ck-mb
    troponin trop tni tnt bnp probnp nt-probnp inr ptt aptt lactate lactic lipase amylase tsh t4
    ft4 t3 a1c hba1c hgba1c ldl hdl cholesterol chol triglycerides trig tg ferritin tibc
    transferrin crp esr sed uric ammonia nh3 protein proteinuria microalbumin osmolality osm anion
    gap co2 hco3 cl na glucose gluc sugar sugars bs fsbs fsbg bg cbg fingerstick
    fingersticks accucheck accuchecks d-dimer dimer fibrinogen haptoglobin retic reticulocyte cd4
    hcg bhcg b-hcg afp cea ca-125 cortisol acth pth prolactin testosterone estradiol lh fsh vbg abg
    pco2 po2 pao2 paco2 ph sat sats saturation saturations spo2 sao2 fio2 o2 ef lvef bp hr rr temp
    tv vt tidal peep ventilation vent
    tmax pulse cvp pcwp icp gcs level levels trough troughs peak serum plasma csf titer titre
    titers count counts concentration concentrations clearance crcl gfr egfr tox screen""")
# Cues that the quantity was measured, lost, removed or dispensed rather than given.
_NEG = _words("""
    ebl loss losses output outputs uop uo i/o i&o ins outs drain drains drained drainage removed
    removal removing aspirated aspirate aspiration aspirating tapped evacuated paracentesis
    thoracentesis residual pvr void voided voiding voids capacity volume volumes vol weighing
    weighs weighed weight weights wt bw efw measuring measures measured measurement size sized
    syringe needle needles lancet lancets gauge fr french balloon lost net balance restriction
    restricted restrict irrigated irrigation irrigating irrigate lavage uf ultrafiltration goal
    remove spirometer spirometry dropped drop fell fall rose rise risen declined trended
    limit limited intake drinks drinking drank drink smokes smoking smoked disp dispense dispensed
    dispensing qty quantity supply refill refills scan urine stool stools emesis vomited vomitus
    ascites effusion hematoma seroma cyst abscess collection water formula feeds feed feeding
    feedings milk breastmilk ebm similac enfamil pediasure ensure jevity nutren glucerna""")
_ORGAN = _words("""
    specimen specimens spleen liver kidney kidneys uterus prostate gland heart lung lungs placenta
    tissue fragment fragments portion mass lesion tumor tumour nodule bladder gallbladder baby
    infant newborn birth born delivered fetus fetal""")
_FLUIDS = _words("fluid fluids crystalloid crystalloids input inputs")
# A quantity in another unit between a cue and the amount takes the cue ("weight 82 kg: 650 mg").
_OTHER_MEASURE = _words("kg kgs lb lbs kilograms pounds m2 bsa cm mm")
_NEG_AFTER = _words("""
    syringe syringes balloon catheter catheters foley tube tubes needle needles angiocath cannula
    removed drained aspirated evacuated withdrawn obtained returned lost loss out output residual
    diet restriction restricted specimen sample aliquot""")
_FLUID_AFTER = _words("""
    fluid fluids blood urine pus bile ascites drainage effusion stool csf clot clots material serous
    serosanguinous serosanguineous sanguineous bloody purulent bilious straw amber frank turbid
    cloudy milky chylous ascitic pleural water""")
_GAUGE_AFTER = _words("""
    needle needles angiocath angio piv pivs ivs catheter cannula access spinal peripheral placed
    butterfly""")
_POSITIVE = _words("""
    take takes taking took taken give gives given giving gave use uses using used apply applies
    applied applying inject injects injected dose doses dosed dosing start starts started
    starting restart restarted continue continues continued resume resumed increase increased
    increasing decrease decreased decreasing reduce reduced taper tapered titrate titrated
    prescribed prescribe administer administered received receive receives receiving infuse
    infused bolus bolused loading push pushed transfuse transfused sig rx instill instilled chew
    then complete completed completing finish finished""")
_MED_NOUNS = _words("""
    tablet tablets tab tabs capsule capsules cap caps pill pills injection injections infusion
    drip gtt drops inhaler inhalers neb nebs nebulizer patch cream ointment gel lotion solution
    suspension syrup elixir medication medications med meds medicine medicines supplement
    supplements vitamin vitamins antibiotic antibiotics therapy treatment sliding""")
_FORMULATION = _words("""
    cream ointment gel lotion solution soln sol drops drop spray foam shampoo wash rinse suspension
    paste powder patch topical ophthalmic otic nasal neb nebulizer inhalation injection inj jelly
    enema""")
_DRUGS = _words("""
    aspirin asa insulin heparin warfarin coumadin digoxin lasix tylenol acetaminophen apap motrin
    advil aleve naproxen toradol ketorolac morphine dilaudid oxycodone percocet vicodin norco
    tramadol ultram fentanyl methadone ativan valium xanax haldol zofran reglan phenergan colace
    docusate senna senokot dulcolax bisacodyl miralax lactulose magnesium potassium kcl calcium
    multivitamin mvi thiamine folate folic iron ferrous zinc b12 nitroglycerin ntg nitro atrovent
    combivent duoneb flovent advair symbicort spiriva solumedrol medrol decadron synthroid
    levothyroxine levoxyl plavix clopidogrel glipizide glyburide lantus humalog novolog nph keppra
    levetiracetam dilantin phenytoin depakote lamictal tegretol neurontin gabapentin lyrica
    pregabalin lithium seroquel zyprexa risperdal abilify celexa lexapro zoloft prozac paxil
    wellbutrin effexor cymbalta trazodone ambien benadryl diphenhydramine hydroxyzine atarax
    claritin zyrtec allegra protonix nexium prilosec pepcid zantac carafate sucralfate bactrim
    keflex cephalexin augmentin zithromax cipro levaquin flagyl vanco zosyn unasyn ancef rocephin
    gentamicin tobramycin nystatin diflucan valtrex tamiflu norvasc toprol lopressor coreg hctz
    aldactone spironolactone lipitor zocor crestor pravachol cozaar diovan imdur isosorbide
    cardizem diltiazem verapamil xarelto eliquis pradaxa flomax proscar finasteride allopurinol
    colchicine methotrexate humira remicade tpa alteplase epinephrine epi norepinephrine levophed
    dopamine dobutamine vasopressin propofol versed ketamine narcan naloxone saline ns nacl
    dextrose d50 d5w lr albumin ivig prbc prbcs ffp cryo kayexalate bicarb bicarbonate tamoxifen
    leucovorin bcg interferon contrast omnipaque isovue gadolinium technetium fdg marcaine
    sensorcaine xylocaine hypertonic dexamethasone tums maalox mylanta simethicone lispro aspart
    glargine detemir degludec levemir""")
_DRUG_SUFFIX = regex.compile(r"""(?:pril|sartan|olol|alol|ilol|dipine|statin|azole|ozole|prazole
    |tidine|cillin|mycin|micin|cycline|oxacin|vir|mab|nib|parin|xaban|gatran|afil|triptan|setron
    |azepam|zepam|zolam|barbital|caine|profen|fenac|coxib|oxetine|triptyline|ipramine|azine
    |peridol|apine|idone|thiazide|semide|etanide|asone|olone|isone|sone|terol|tropium|gliptin
    |gliflozin|glutide|formin|azone|lukast|dronate|osin|alazine|onidine|arone|pidem|zepine
    |amide|vudine|fungin|penem|bactam|orphine|codone|morphone|tadine|idine|platin|taxel|rubicin
    |uracil|citabine|poside|cristine|trexate|flurane|lactone|azide)$""", regex.VERBOSE)
# Words after which a lone frequency describes the patient or a nursing task, not a drug.
_NOT_DRUG = _LAB | _NEG | _words("""
    nocturia voids voiding void urinates urinating urination urinate bms bm stools stool stooling
    bowel movements movement diarrhea vomiting vomits emesis seizure seizures episodes episode
    headaches headache cough coughing wakes waking awakens sleeps sleep cigarettes cigarette cigs
    packs pack ppd smokes smoking smoke drinks drink drinking beers beer glasses glass cups cup
    coffee alcohol wine liquor shots exercise exercises exercising walks walk walking swims runs
    run jogging workouts shower showers bathe brush brushing checks check checked checking signs
    vitals vs neuro monitoring monitor monitored labs lab cbc bmp cmp chem chemistry lytes
    electrolytes fs turn turns turned turning reposition repositioning suction suctioning dressing
    dressings change changes changed care wound ambulate ambulation ambulating oob pt ot therapy
    physiotherapy visits visit follow follow-up followup f/u seen see evaluate evaluated reassess
    rtc return appointment appointments clinic rounds imaging x-ray xray cxr kub ct mri
    ultrasound echo ecg ekg weigh diet meals meal snacks feeding feedings hemodialysis dialysis hd
    cvvh sessions session activities activity living minutes mins min
    hours hrs seconds ice heat compress compresses elevate elevation record empty strip""")
# Words that say a drug was not taken on that schedule ("held for 2 days", "misses doses 2x/week").
_NOT_TAKEN = _words("""
    except held hold holding stopped discontinued off without missed missing misses skipped
    skipping skips forgets forgot forgetting""")
_PRONOUNS = _words("he she they patient pt who we i you")
_DETERMINERS = _words("a an the this that his her their my our any no its")
_NOT_AFTER_FREQ = _LAB | _words("""
    medications medication meds medicines orders order list schedule organizer pillbox planner box
    calendar reminder visits visit appointments appointment labs weights checks sessions session
    vitals vs neuro fingersticks accuchecks turns turning repositioning suctioning suction i&o
    assessment assessments monitoring dressing dressings care cbc bmp cmp lytes ekg ecg cxr""")

_MASS_VOLUME = frozenset({"g", "mg", "mL", "L"})
_GAUGES = frozenset({14.0, 16.0, 18.0, 20.0, 22.0, 24.0})

# ---------------------------------------------------------------------------------------------
# Normalisation


def _variants(table: dict[str, str]) -> dict[str, str]:
    return {v: canon for vs, canon in table.items() for v in vs.split()}


_UNIT_NAMES = _variants({
    "mg mgs milligram milligrams": "mg",
    "mcg mcgs microgram micrograms ug µg μg": "mcg",
    "g gm gms gram grams": "g",
    "ml mls milliliter milliliters millilitre millilitres milli-liter milli-liters cc ccs": "mL",
    "l liter liters litre litres": "L",
    "unit units u iu": "unit",
    "meq milliequivalent milliequivalents": "mEq",
    "mmol millimole millimoles": "mmol",
    "mci millicurie millicuries": "mCi",
    "tablet tablets tab tabs caplet caplets pill pills": "tablet",
    "capsule capsules cap caps": "capsule",
    "puff puffs inhalation inhalations": "puff",
    "drop drops gtt gtts": "drop",
    "spray sprays": "spray",
    "patch patches": "patch",
    "dose doses": "dose",
    "suppository suppositories": "suppository",
    "lozenge lozenges troche troches": "lozenge",
    "packet packets": "packet",
    "capful capfuls": "capful",
    "ampule ampules ampoule ampoules amp amps": "ampule",
    "vial vials": "vial",
    "application applications": "application",
    "teaspoon teaspoons teaspoonful teaspoonfuls tsp tsps": "tsp",
    "tablespoon tablespoons tablespoonful tablespoonfuls tbsp tbsps": "tbsp",
})
_PER_NAMES = _variants({
    "kg": "kg", "m2 m^2 m² sqm sq.m": "m2", "ml": "mL", "dose": "dose",
    "h hr hrs hour hours": "h", "min mins minute minutes": "min", "d day days": "day",
    "wk wks week weeks": "week",
})
_PER_SPLIT = regex.compile(r"\s*/\s*|\s+per\s+", regex.IGNORECASE)
_SPACES = regex.compile(r"\s+")
_PAREN = regex.compile(r"\([^)]*\)")
_HALVES = regex.compile(
    rf"\b(?:({_NUMWORD})\s+and\s+(?:a|one)[-\s]half|(?:a|one)[-\s]half|half(?:\s+an?)?)\b")
_RANGE_SPLIT = regex.compile(r"\s*(?:[-–—‑−]|\bto\b|\bor\b)\s*")
_MIXED = regex.compile(r"(\d+)\s+(\d)/(\d)")
_SEPARATORS = regex.compile(r"[\s,]")  # thousands: "1,000", "20 000"
_WITH_VULGAR = regex.compile(rf"(\d*)\s*-?\s*({_VF})")


@lru_cache(maxsize=4096)
def _squash(raw: str) -> str:
    return _SPACES.sub(" ", raw.lower().replace(".", " ")).strip()


@lru_cache(maxsize=4096)
def _unit(raw: str) -> str:
    """Canonical unit: "Tablet(s)" -> "tablet", "mcg/kg/min" -> "mcg/kg/min", "cc/hr" -> "mL/h"."""
    base, *pers = _PER_SPLIT.split(raw.replace("(s)", "").replace("(es)", "").strip())
    base = _SPACES.sub(" ", base.lower())
    out = [_UNIT_NAMES.get(base, "unit" if base.startswith("international") else base)]
    for per in pers:
        key = _SPACES.sub("", per.lower())
        out.append("24h" if key.startswith("24") else "5 mL" if key.startswith("5") else
                   _PER_NAMES.get(key, key))
    return "/".join(out)


def _value(part: str) -> float | list[float] | None:
    part = part.strip()
    if part in _NUM_WORDS:
        return _NUM_WORDS[part]
    if m := _WITH_VULGAR.fullmatch(part):
        return float(m[1] or 0) + _VULGAR[m[2]]
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
def _amount(raw: str) -> float | list[float] | None:
    """5 -> 5.0; "5-10" -> [5.0, 10.0]; "10/325" -> [10.0, 325.0]; "one (1)" -> 1.0."""
    s = _PAREN.sub("", raw).strip().lower()
    s = _HALVES.sub(lambda m: str(_NUM_WORDS[m[1]] + 0.5) if m[1] else "0.5", s)
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
    return _NUM_WORDS[raw] if raw in _NUM_WORDS else float(raw)


_DUR_UNITS = _variants({"d day days": "day", "w wk wks week weeks": "week",
                        "mo mos month months": "month", "h hr hrs hour hours": "hour"})


def _course(m: regex.Match[str]) -> dict[str, Any]:
    """{"value": 5.0, "unit": "day"} of a course: "x 5 days", "for 1-2 weeks", "7-day course"."""
    groups = m.groupdict()
    if groups.get("du_u2"):
        n, unit = groups["amt"], groups["du_u2"]
    else:
        n, unit = groups["du_n"], groups["du_u"]
    value = 1.0 if n.lower() in ("a", "an") else _amount(n)
    return {"value": list(value) if isinstance(value, list) else value,
            "unit": _DUR_UNITS[unit.lower()]}


_ABBR: dict[str, tuple[str, float | None]] = {
    "bid": ("BID", 2.0), "tid": ("TID", 3.0), "qid": ("QID", 4.0), "qd": ("daily", 1.0),
    "qday": ("daily", 1.0), "qdaily": ("daily", 1.0), "qod": ("QOD", 0.5),
    "qotherday": ("QOD", 0.5), "qhs": ("QHS", 1.0), "qnight": ("QHS", 1.0), "hs": ("QHS", 1.0),
    "qam": ("QAM", 1.0), "qmorning": ("QAM", 1.0), "qpm": ("QPM", 1.0), "qevening": ("QPM", 1.0),
    "tiw": ("3x/week", 3 / 7), "qweek": ("weekly", 1 / 7), "qwk": ("weekly", 1 / 7),
    "qmonth": ("monthly", 1 / 30), "qmo": ("monthly", 1 / 30), "ac": ("AC", 3.0),
    "pc": ("PC", 3.0), "achs": ("ACHS", 4.0), "ac&hs": ("ACHS", 4.0), "acandhs": ("ACHS", 4.0),
    "ac/hs": ("ACHS", 4.0), "prn": ("PRN", None),
}
_PHRASES: dict[str, tuple[str, float | None]] = {
    **dict.fromkeys(("daily", "every day", "each day", "per day", "a day"), ("daily", 1.0)),
    **dict.fromkeys(("nightly", "every night", "each night", "at night", "at bedtime",
                     "at bed time", "at hs", "before bed", "before bedtime"), ("QHS", 1.0)),
    **dict.fromkeys(("every morning", "each morning", "in the morning", "in the am", "in am"),
                    ("QAM", 1.0)),
    **dict.fromkeys(("every evening", "each evening", "in the evening", "in the pm", "in pm"),
                    ("QPM", 1.0)),
    "in the afternoon": ("afternoon", 1.0), "at noon": ("noon", 1.0),
    **dict.fromkeys(("every other day", "every alternate day"), ("QOD", 0.5)),
    **dict.fromkeys(("weekly", "every week", "each week"), ("weekly", 1 / 7)),
    **dict.fromkeys(("monthly", "every month"), ("monthly", 1 / 30)),
    **dict.fromkeys(("hourly", "every hour"), ("q1h", 24.0)),
    **dict.fromkeys(("once", "one time"), ("once", None)), "stat": ("STAT", None),
    **dict.fromkeys(("around the clock", "atc"), ("ATC", None)),
}
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
_NUM_WORD_RX = regex.compile(rf"\b{_NUMWORD}\b")
# Repeats minutes apart ("q5min x3") are not a daily schedule: no per_day.
_Q_SYMBOL = {"h": ("h", 24.0), "m": ("min", None), "d": ("d", 1.0), "w": ("w", 1 / 7)}
_PER_DAY_NAMES = {1.0: "daily", 2.0: "BID", 3.0: "TID", 4.0: "QID"}


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@lru_cache(maxsize=4096)
def _frequency(raw: str) -> tuple[str, float | None] | None:
    """Canonical frequency and doses per day: "q.4-6h." -> ("q4-6h", 6.0), "twice a day" -> BID."""
    t = _squash(raw)
    if hit := _ABBR.get(t.replace(" ", "")) or _PHRASES.get(t):
        return hit
    if m := _MEAL.fullmatch(t):
        if m[2] in ("meal", "meals"):
            return {"with": ("with meals", 3.0), "after": ("PC", 3.0)}.get(m[1], ("AC", 3.0))
        return t, None if m[2] == "food" else 1.0
    t = _NUM_WORD_RX.sub(lambda m: _fmt(_NUM_WORDS[m[0]]), t)
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


# ---------------------------------------------------------------------------------------------
# Chains


@dataclass(slots=True)
class _Piece:
    kind: str
    start: int
    end: int
    m: regex.Match[str]


_BREAK = frozenset({"lab", "o2"})
_AMOUNTS = frozenset({"dose", "pct"})
_INNER = frozenset({"route", "filler"})  # inside a span only
_SCHEDULE = frozenset({"wfreq", "sfreq", "tfreq", "sprn", "wprn", "dur", "xdur", "count"})
_STRONG = frozenset({"sfreq", "sprn"})
_WEAK = frozenset({"wfreq", "wprn", "dur"})
_CAN_FIRE = frozenset({"dose", "xdur", "pct", "count"}) | _STRONG | _WEAK


def _chains(text: str, pos: int = 0, endpos: int | None = None) -> list[list[_Piece]]:
    """Pieces grouped by adjacency; a new amount after a schedule starts a new chain."""
    chains: list[list[_Piece]] = []
    cur: list[_Piece] = []
    endpos = len(text) if endpos is None else endpos
    for c in _CANDIDATE.finditer(text, pos, endpos):
        word = c[0]
        rx = _BY_WORD.get(word.lower() if word[0].isalpha() or word == "×" else "0")
        if rx is None or c.start() < pos or not (m := rx.match(text, c.start(), endpos)):
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind in _BREAK:
            if cur:
                chains.append(cur)
            cur = []
            continue
        piece = _Piece(kind, m.start(), m.end(), m)
        if cur:
            gap = text[cur[-1].end:piece.start]
            amounts = kind in _AMOUNTS and cur[-1].kind in _AMOUNTS
            joins = (_GAP.fullmatch(gap) is not None
                     or amounts and _AMOUNT_GAP.fullmatch(gap) is not None)
            if kind in _AMOUNTS and any(p.kind in _SCHEDULE for p in cur):
                joins = False
            if not joins:
                chains.append(cur)
                cur = []
        cur.append(piece)
    if cur:
        chains.append(cur)
    return chains


def _tokens_before(text: str, pos: int, n: int) -> list[str]:
    """Up to ``n`` lower-cased words before ``pos`` in its line and sentence, nearest first."""
    lo = max(0, pos - 90)
    for m in _STOP_BEFORE.finditer(text, lo, pos):
        lo = m.end()
    return [t.lower().rstrip("'’-") for t in _TOKEN.findall(text, lo, pos)[-n:]][::-1]


def _tokens_after(text: str, pos: int, n: int) -> list[str]:
    hi = min(len(text), pos + 60)
    if m := _STOP_AFTER.search(text, pos, hi):
        hi = m.start()
    return [t.lower() for t in _TOKEN.findall(text, pos, hi) if t.lower() not in ("of", "the")][:n]


def _drug_like(token: str) -> bool:
    return (token in _DRUGS or len(token) >= 5 and _DRUG_SUFFIX.search(token) is not None
            or len(token) >= 6 and token.startswith(("cef", "ceph")))


def _char_before(text: str, pos: int) -> str:
    while pos > 0 and text[pos - 1] in " \t\u00a0":
        pos -= 1
    return text[pos - 1] if pos > 0 else ""


def _dose_ok(text: str, pieces: list[_Piece], before: list[str], after: list[str]) -> bool:
    """Whether an amount with a unit is medication rather than a measurement.

    ``before`` is scanned from the nearest word out to a word saying "given" or naming a drug
    (or a quantity in another unit, which the cue belongs to); a negative cue on the way wins.
    """
    if _char_before(text, pieces[0].start) in ("<", ">", "≤", "≥"):  # "remove when < 30 mL/24 h"
        return False
    units = [_unit(p.m["d_unit"]) for p in pieces if p.kind == "dose"]
    if "dose" in units and any(t in _NOT_TAKEN for t in before[:3]):  # "missed 2 doses"
        return False
    mass_volume = any(u in _MASS_VOLUME for u in units)
    volume = any(u in ("mL", "L") or u.startswith(("mL/", "L/")) for u in units)
    for i, tok in enumerate(before):
        if tok in _POSITIVE or tok in _OTHER_MEASURE or _drug_like(tok):
            break
        if tok in _NEG or i < 2 and (tok in _LAB or mass_volume and tok in _ORGAN):
            return False
        if i == 0 and tok == "on" and "L" in units:  # "on 2 L": oxygen
            return False
        if tok in _FLUIDS and (i == 0 or i == 1 and before[0] == "to"):  # totals, restrictions
            return False
    if any(t in _NEG_AFTER or volume and t in _FLUID_AFTER for t in after):
        return False
    for p in pieces:
        if p.kind != "dose" or _unit(p.m["d_unit"]) != "g":
            continue
        amount = _amount(p.m["amt"])
        if not isinstance(amount, float):
            continue
        if amount > 100:  # specimen, organ or birth weight
            return False
        attached = p.m["d_unit"] == "G" and text[p.m.start("d_unit") - 1].isdigit()
        if amount.is_integer() and (attached and 14 <= amount <= 34 or amount in _GAUGES
                                    and _GAUGE_AFTER.intersection(_tokens_after(text, p.end, 3))):
            return False  # needle or cannula gauge: "22g IV placed", "32G pen needles"
    return True


def _pct_ok(text: str, piece: _Piece, before: list[str]) -> bool:
    """A percentage or ratio is a strength only next to a drug or a formulation ("1% lidocaine")."""
    nxt = _tokens_after(text, piece.end, 2)
    if nxt and _drug_like(nxt[0]) or any(t in _FORMULATION for t in nxt):
        return True
    return bool(before) and _drug_like(before[0])


def _blocked(before: list[str], after: list[str], abbreviation: bool) -> bool:
    """A lone frequency after a patient behaviour, a nursing task or a lab is not a dose.

    An abbreviation after an article is an English word ("in a bid to").
    """
    if before and (abbreviation and before[0] in _DETERMINERS or before[0].endswith("uria")):
        return True
    return (any(t in _NOT_DRUG for t in before[:3]) or any(t in _NOT_TAKEN for t in before[:4])
            or any(t in _NOT_AFTER_FREQ for t in after[:2]))


def _drug_context(text: str, start: int, before: list[str], after: list[str],
                  line_ok: bool) -> bool:
    """A drug-like word or a cue nearby; ``line_ok``: also the first word of a medication line."""
    if any(t in _POSITIVE or t in _MED_NOUNS or _drug_like(t) for t in before[:4]):
        return True
    if after and (after[0] in _MED_NOUNS or _drug_like(after[0])):  # "weekly methotrexate"
        return True
    if not line_ok:
        return False
    line = text.rfind("\n", 0, start) + 1
    m = _MED_LINE.fullmatch(text, line, start)  # "Senna at bedtime" on a medication list
    return m is not None and m[1].lower() not in _NOT_DRUG and m[1].lower() not in _PRONOUNS


def _attrs(pieces: list[_Piece], routes: list[_Piece]) -> dict[str, Any]:
    """Attributes of the pieces of a span: the first amount, frequency, route and course."""
    out: dict[str, Any] = {}
    for p in pieces:
        kind, m = p.kind, p.m
        if kind == "pct" and m["pct"][0].isdigit() and "amount" not in out:  # "1:100,000"
            out["amount"] = [1.0, float(m["pct"].replace(",", ""))]
            out["unit"] = "ratio"
        elif kind in ("dose", "pct") and "amount" not in out:
            hi = m["amt_hi"] if kind == "dose" else None
            amount = _amount(f"{m['amt']}-{hi}" if hi else m["amt"])
            if amount is not None:
                out["amount"] = list(amount) if isinstance(amount, list) else amount  # cached
                out["unit"] = _unit(m["d_unit"]) if kind == "dose" else "%"
        elif kind in ("sfreq", "wfreq", "tfreq") and "frequency" not in out:
            if freq := _frequency(m[0]):
                out["frequency"] = freq[0]
                if freq[1] is not None:
                    out["per_day"] = freq[1]
        elif kind in ("sprn", "wprn"):
            out["as_needed"] = True
        elif kind == "dur" and "duration" not in out:
            out["duration"] = _course(m)
        elif kind in ("xdur", "count") and "duration" not in out:
            out["duration"] = {"value": _number(m["xd_n"] if kind == "xdur" else m["c_n"]),
                               "unit": "dose"}
    if routes:
        out["route"] = _route(routes[0].m[0])
    return out


def _strip(pieces: list[_Piece]) -> list[_Piece]:
    """``pieces`` without the routes and form words at either end."""
    start, end = 0, len(pieces)
    while start < end and pieces[start].kind in _INNER:
        start += 1
    while end > start and pieces[end - 1].kind in _INNER:
        end -= 1
    return pieces[start:end]


def _evaluate(text: str, chain: list[_Piece], follows: bool
              ) -> tuple[int, int, dict[str, Any]] | None:
    """The span and attributes of a chain, or None when its context says it is not a dose.

    ``follows``: the chain comes right after a Dosage, split from it only by a comma or a
    parenthesis, so a schedule in it needs no further context.
    """
    core = _strip(chain)
    if not core:
        return None
    kinds = {p.kind for p in core}
    if not kinds & _CAN_FIRE:
        return None
    before = _tokens_before(text, chain[0].start, 12)
    after = _tokens_after(text, chain[-1].end, 3)
    routes = [p for p in chain if p.kind == "route"]
    if "pct" in kinds and not kinds & {"dose", "xdur"} and not all(
            _pct_ok(text, p, before) for p in core if p.kind == "pct"):
        return None
    if kinds & {"dose", "xdur", "pct"}:
        if not _dose_ok(text, core, before, after):
            return None
    elif kinds & _STRONG:
        if not follows and _blocked(before, after, True):
            return None
    elif not follows:
        if _blocked(before, after, False):
            return None
        if kinds & {"wfreq", "wprn"}:
            ok = routes or _drug_context(text, chain[0].start, before, after, True)
        elif any(_course(p.m)["unit"] in ("day", "week", "month") for p in core if p.kind == "dur"):
            ok = routes or _drug_context(text, chain[0].start, before, after, False)
        else:  # a count of doses right after a drug: "ondansetron x1"
            ok = bool(before) and _drug_like(before[0])
        if not ok:
            return None
    return core[0].start, core[-1].end, _attrs(core, routes)


def find_dosages(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    """(start, end, attrs) for each Dosage span, end exclusive, sorted, non-overlapping.

    attrs holds what is known of ``amount`` (float, [low, high] for a range or the parts of a
    combination strength), ``unit``, ``route`` (also when the route word sits just outside the
    span), ``frequency``, ``per_day``, ``as_needed`` and ``duration``.
    """
    out: list[tuple[int, int, dict[str, Any]]] = []
    for chain in _chains(text):
        follows = bool(out) and (
            _CONTINUATION.fullmatch(text, out[-1][1], chain[0].start) is not None)
        if hit := _evaluate(text, chain, follows):
            out.append(hit)
    return out


_PIECE_GAP = regex.compile(r"[\s,/()\-]*")


def only_dose_words(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is dose pieces alone (amounts, units, schedules, routes) with
    only white space or punctuation between them, holding more than a route ("PO q6h", "q8h",
    "1 g"; not "PO", not "Lasix 40 mg")."""
    pieces = [p for chain in _chains(text, start, end) for p in chain]
    if not _strip(pieces):
        return False
    pos = start
    for piece in pieces:
        if not _PIECE_GAP.fullmatch(text, pos, piece.start):
            return False
        pos = piece.end
    return _PIECE_GAP.fullmatch(text, pos, end) is not None


def dosage_within(text: str, start: int, end: int) -> tuple[int, int, dict[str, Any]] | None:
    """The part of ``text[start:end]`` that is still a Dosage, with its attributes, or None.

    For a span cut short (by a Chemical over part of it): what is left keeps its amounts and
    frequencies, without the route or form words that would now start or end it.
    """
    pieces = [p for chain in _chains(text, start, end) for p in chain]
    core = _strip(pieces)
    if not core:
        return None
    return core[0].start, core[-1].end, _attrs(core, [p for p in pieces if p.kind == "route"])
