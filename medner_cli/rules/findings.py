"""Note-aware span rules for Disease (and Chemical): what a model trained on abstracts gets
wrong in the layout and wording of clinical notes.

The step ``note_findings`` follows the notes gold guideline (tests/data/NOTES_GOLD.md); each rule
is a property of the guideline or of note layout, not of particular notes. The vocabularies are
files in ``resources/`` (``findings_*.txt``), written from general clinical knowledge.
docs/findings.md has the rules, the reasons and the measurements.

Everywhere (abstracts too), on the model's Disease entities:

- **cut** at a line break that starts a ``Key:`` line ("left knee\\nBack pain: no"), and
  between coordinated mentions that each have a head of their own ("suprapubic pain and bladder
  spasms"; "pleural or pericardial effusion" stays one span);
- **extend** a span that begins with a modifier left over the modifiers coordinated with it,
  which share its head: "renal or hepatic toxicity" where the model tagged "hepatic toxicity"
  (a modifier tagged alone, as "optic" of "optic and peripheral neuropathy", is taken in);
- **trim** side words (left, right, bilateral, ...), descriptors (mild, severe, pleuritic, ...),
  "evidence of" and a sub-location ("right lower lobe") at the left edge, unless the side
  belongs to a fixed name (left ventricular, right heart, left lower quadrant); function words
  ("osteoarthritis of"), "exacerbation", "flare" and a stage, class or grade at the right edge;
- **drop** a span that is only anatomy ("prostate", "breast parenchyma") or only organisms
  ("MRSA"), or whose head is a procedure, device, test or "allergy" ("penile block", "eye
  drops", "latex allergy"); with a condition before that head, the head is cut off instead
  ("hip fracture repair" -> "hip fracture");
- **add** symptom words (``findings_symptoms.txt``) in a coordinated list after a report or
  negation cue or after another Disease ("denies hesitancy, straining or a weak stream").

In note text (``note_layout``: several lines, or a short text whose words are a note's rather
than an abstract's), where the notes gold departs from BC5CDR, also:

- **extend** a Disease left over the words the notes gold keeps before a disease noun (acute,
  chronic, recurrent, paroxysmal, type 2, essential, gross, benign, ...) and over a body site
  before pain, swelling, edema, tenderness or an organ-named pathology noun ("flank pain",
  "renal calculus"); right over "type 1", "in situ", "with reduced ejection fraction"; two
  model Disease spans one space apart are one mention ("Iron deficiency" + "anemia");
- **add** Disease (``source="rule"``, only where nothing is tagged): symptom and sign words in
  the value of a review-of-systems, exam or imaging line ("CV: no murmurs, rubs or gallops") or
  as the key of a form answer ("Chills: no"); condition phrases (a head with disease morphology,
  a disease head noun, a symptom or a disease abbreviation) in problem, diagnosis, history,
  family-history and allergy-reaction items and after cues ("history of", "possible", "no");
  a pathology noun after a size ("4 mm stone"); disease abbreviations
  (``findings_abbreviations.txt``) unless the document defines them (the abbreviations step
  labels those) or they head a ``Key:`` line;
- on the model's Chemicals: drop a lab analyte reported as a result ("creatinine 1.3 mg/dL"), a
  drug class ("steroids"), a test ("BMP"), an organism, a name next to a title or credential;
  relabel Disease a symptom word or disease abbreviation ("Febrile", "BPH").

Entities of other sources (rules, lexicon) and Dosage entities are kept as they are; no result
overlaps another entity, and every entity is made with ``Doc.span``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from importlib.resources import files
from itertools import chain

from medner_cli.doc import Doc, Entity
from medner_cli.forms import WholeForms, word_runs
from medner_cli.rules.dosage.context import drug_like

_RESOURCES = files("medner_cli.rules") / "resources"


def _entries(name: str, lower: bool = True) -> frozenset[str]:
    """The entries of resource ``name``: one a line, ``#`` comments and blank lines left out,
    white space normalised (and lower-cased unless ``lower`` is false)."""
    out = set()
    for line in (_RESOURCES / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(" ".join((line.lower() if lower else line).split()))
    return frozenset(out)


_W = r"[^\W_]+(?:[-'’][^\W_]+)*"
_WORD = re.compile(_W)


class _Vocab:
    """A set of lower-case phrases with the longest match at a text position."""

    def __init__(self, phrases: frozenset[str]) -> None:
        self.phrases = phrases
        self.first: dict[str, int] = {}
        for p in phrases:
            words = _WORD.findall(p)
            if words:
                self.first[words[0]] = max(self.first.get(words[0], 0), len(words))
        self.words = frozenset(w for p in phrases for w in _WORD.findall(p))

    def __contains__(self, phrase: str) -> bool:
        return phrase in self.phrases

    def match(self, text: str, pos: int, limit: int) -> int:
        """End of the longest phrase starting at ``pos`` (its words separated by spaces or
        tabs only, or as written in the entry), or -1."""
        m = _WORD.match(text, pos, limit)
        if not m:
            return -1
        low = m.group().lower()
        n = self.first.get(low)
        if n is None:
            return -1
        best = m.end() if low in self.phrases else -1
        words, at = [low], m.end()
        for _ in range(n - 1):
            j = at
            while j < limit and text[j] in " \t/":
                j += 1
            m = _WORD.match(text, j, limit) if j > at else None
            if not m:
                break
            words.append(m.group().lower())
            at = m.end()
            if " ".join(words) in self.phrases or text[pos:at].lower() in self.phrases:
                best = at  # "si/hi" as the entry writes it
        return best


ANATOMY = _Vocab(_entries("findings_anatomy.txt"))
PROCEDURES = _Vocab(_entries("findings_procedures.txt"))
ORGANISMS = _entries("findings_organisms.txt")
SYMPTOMS = _Vocab(_entries("findings_symptoms.txt"))
ABBREVIATIONS = _entries("findings_abbreviations.txt", lower=False)
LOWER_ABBREVIATIONS = _entries("findings_abbreviations_lower.txt", lower=False)
# the forms notes write in lower case, and the slash shorthands in capitals too ("N/V"): after
# a number these are units ("ran 5 mi")
_UNIT_LIKE = LOWER_ABBREVIATIONS | {f.upper() for f in LOWER_ABBREVIATIONS if "/" in f}
# a whole word ("/" may join it to another: "DVT/PE", "htn/hld"), the longest form first
# ("n/v/d")
# and in notes typed in capitals, the mixed-case forms in capitals too ("AFIB", "HFREF")
_CAPITALIZED = frozenset(f.upper() for f in ABBREVIATIONS) - ABBREVIATIONS
_ABBREVIATION_FORMS = WholeForms(ABBREVIATIONS | _UNIT_LIKE | _CAPITALIZED, not_after="_-",
                                 not_before="_-")
# disease short forms the list leaves out because notes often mean something else by them
# (room air, ulcerative colitis or urgent care, Parkinson disease or peritoneal dialysis,
# hepatic encephalopathy or an "HE" stain, multiple sclerosis or mitral stenosis, ...): a
# disease only after a cue that names a condition (``_CUED_FORMS``) or where a drug treats it
# ("RA on MTX", "UC (E3) on vedo", "PD x8 y on C/L", "hx SI w/ OD on tylenol")
_AMBIGUOUS_FORMS = frozenset(("RA", "UC", "MS", "PD", "PsA", "MM", "AD", "LN", "PMR", "VT", "HE",
                              "SBP", "CP", "OD", "SI", "HI", "HA", "PPD"))
_TREATED_FORMS = WholeForms(_AMBIGUOUS_FORMS, not_after="_-/", not_before="_-/")
_ON_DRUG = re.compile(r"[ \t]+(?:\([^)\n]{1,12}\)[ \t]+)?"  # "UC (E3) on", "PD x8 y on"
                      r"(?:x[ \t]?\d+[ \t]?[a-z]{0,3}[ \t]+)?on[ \t]+")
SYSTEMS = _entries("findings_systems.txt")
ANALYTES = _entries("findings_analytes.txt")
DRUG_CLASSES = _entries("findings_drug_classes.txt")
_PROC_LAST = frozenset(p.split()[-1] for p in PROCEDURES.phrases)

# --- guideline word classes (NOTES_GOLD.md, "Span extent") -------------------------------
SIDES = frozenset((
    "left", "right", "bilateral", "bilaterally", "contralateral", "ipsilateral", "both",
    "unilateral", "left-sided", "right-sided", "bibasilar", "bibasal", "basilar",
    "l", "r", "lt", "rt", "bilat"))  # as notes write them: "R hemiparesis", "Lt knee pain"
# a side word stays before these: it belongs to a fixed anatomical name
FIXED_AFTER_SIDE = frozenset(("ventricular", "ventricle", "atrial", "atrium", "bundle", "heart",
                              "main", "sided"))
DESCRIPTORS = frozenset((
    "mild", "mildly", "moderate", "moderately", "severe", "severely", "progressive",
    "worsening", "worsened", "productive", "nonproductive", "non-productive", "purulent", "dry",
    "pitting", "exertional", "pleuritic", "subjective", "uncontrolled", "suspicious", "heavy",
    "holosystolic", "systolic", "painless", "new", "small", "large", "significant", "marked",
    "trace", "slight", "minimal", "extensive", "coarse", "fine", "faint", "scattered", "soft",
    "loud", "expiratory", "inspiratory", "possible", "probable", "likely", "suspected", "known",
    "presumed", "apparent", "occasional", "intermittent", "frequent", "ongoing", "recent",
    "further", "daytime", "nighttime", "witnessed", "troublesome", "dense", "stable",
    "demonstrable", "obstructing", "non-obstructing", "nonobstructing", "longstanding",
    "long-standing", "remote", "prior", "previous", "past", "active", "clear", "radiopaque",
    "simple", "localized", "localised", "intermittently", "occasionally", "mod", "sev",
    "displaced", "nondisplaced", "non-displaced", "comminuted", "angulated", "crampy", "sharp",
    "dull", "constant", "velcro"))
# skipped before a list item: determiners, negations and descriptors ("no", "a", "mild")
_DETERMINERS = DESCRIPTORS | frozenset((
    "any", "some", "a", "an", "the", "no", "other", "his", "her", "their", "long", "felt",
    "feels", "feeling", "became", "becomes", "remains", "remained", "appeared", "appears", "looks",
    "looked", "denies", "denied", "reports", "reported", "endorses", "endorsed", "notes",
    "noted", "without", "with", "more", "less", "increasingly"))
# "evidence of X", "signs of X": the mention is X
_LEAD_OF = frozenset(("evidence", "signs", "sign", "symptoms", "history", "episodes", "episode",
                      "features", "findings"))
# kept before a disease noun: chronicity and type words that are part of the name
KEEP_BEFORE = frozenset((
    "acute", "chronic", "subacute", "hyperacute", "recurrent", "paroxysmal", "gross", "visible",
    "microscopic", "essential", "complicated", "uncomplicated", "community-acquired",
    "hospital-acquired", "healthcare-associated", "ventilator-associated", "primary",
    "secondary", "ischemic", "ischaemic", "benign",
    "malignant", "metastatic", "mixed", "major", "obstructive", "idiopathic", "congenital",
    "hereditary", "familial", "nocturnal", "open-angle", "angle-closure", "morbid",
    "nonischemic", "non-ischemic", "restrictive", "hypertrophic", "expressive", "receptive",
    "spontaneous", "degenerative", "latent", "pulmonary", "extrapulmonary", "invasive",
    "dysplastic", "pulm", "gestational", "euglycemic", "contact", "incisional", "plaque",
    "nummular", "postmenopausal", "subclinical", "centrilobular", "panlobular", "paraseptal",
    "seropositive", "seronegative", "relapsing-remitting", "relapsing"))
POSITIONS = frozenset((
    "upper", "middle", "lower", "superior", "inferior", "anterior", "posterior", "medial",
    "lateral", "apical", "basal", "distal", "proximal", "mid", "central", "peripheral",
    "dependent", "inner", "outer"))
SUBLOCATIONS = frozenset((
    "lobe", "lobes", "pole", "poles", "segment", "segments", "segmental", "subsegmental",
    "zone", "zones", "base", "bases", "wall", "line", "aspect", "sigmoid", "ileocolonic",
    "rll", "rml", "rul", "lll", "lul", "lingula", "lingular", "foraminal", "antral", "uvj",
    "upj",
    # an artery's segment ("right M1 occlusion")
    "m1", "m2", "m3", "m4", "a1", "a2", "p1", "p2"))
FUNCTION = frozenset(("of", "the", "and", "or", "with", "in", "on", "at", "to", "for", "a",
                      "an", "from", "by", "as", "is", "was"))
# the words that may stand beside anatomy words in ``_anatomy_only``, united once
_SIDE_OR_FUNCTION = SIDES | FUNCTION
_SIDE_OR_POSITION = SIDES | POSITIONS
_SIDE_POSITION_OR_FUNCTION = SIDES | POSITIONS | FUNCTION
AFTER_NAME = frozenset(("exacerbation", "exacerbations", "flare", "flares", "flare-up", "flaring",
                        "flared", "worsening", "improving", "resolving", "resolved", "sx",
                        # an eye after a finding ("AMD OD")
                        "od", "os", "ou",
                        # a limb region after a finding ("edema BLE"): the region is left out
                        "ble", "bue", "lle", "rle", "lue", "rue",
                        # and a side after it ("edema bilat")
                        "bilat", "bilaterally"))
STAGING = frozenset(("stage", "class", "grade", "gold", "nyha"))
_SIZE_WORDS = frozenset(("mm", "cm", "x", "×", "ml", "cc", "one", "two", "three", "four", "five",
                         "six", "seven", "eight", "nine", "ten", "twelve"))
_COUNTED = re.compile(r"(?:\d+|one|two|three|four|five|six)-|[^\W_]+-(?:detected|proven|confirmed|"
                      r"diagnosed)$")
_NEUTRAL = _SIDE_POSITION_OR_FUNCTION | DESCRIPTORS | SUBLOCATIONS
_PLACE = _SIDE_POSITION_OR_FUNCTION | SUBLOCATIONS
_SPAN_EDGE = SIDES | DESCRIPTORS | _LEAD_OF | KEEP_BEFORE | POSITIONS | SUBLOCATIONS
# punctuation a dictation kept as words ("wheezing comma"); never the end of a disease name
_DICTATED = frozenset(("comma", "period"))
# history words a note writes before a disease, list openers and relatives: never part of it
_HISTORY_WORDS = frozenset(("hx", "fhx", "pmh", "pmhx", "phx", "fh", "incl", "including", "esp",
                            "last", "pt", "more", "increasingly",  # "last mania 2022", "pt more
                            # forgetful"
                            "especially", "father", "mother", "brother", "sister", "son",
                            "daughter", "mom", "dad", "grandmother", "grandfather", "aunt", "uncle",
                            "sibling"))  # "FH: father MI at 52"
# words of a disease's course, which alone name none ("acute" of "acute chest syndrome")
_COURSE_WORDS = frozenset(("acute", "chronic", "subacute", "hyperacute", "recurrent",
                           "paroxysmal"))
# when, after a mention, is no part of it ("hemiarthroplasty tmrw", "fever overnight")
_WHEN_WORDS = frozenset(("today", "tomorrow", "tmrw", "tonight", "yesterday", "overnight"))
_SPAN_END = FUNCTION | AFTER_NAME | STAGING | _DICTATED | _WHEN_WORDS
# a count or a duration after a mention is no part of it ("diarrhea x1wk", "ADENOMA X2")
_COUNT = re.compile(r"x\d+[a-z]*")
_COUNT_AFTER = re.compile(r"[ \t]+[xX]\d+[^\W\d_]*\b")
_STAGE_VALUE = re.compile(r"(?:[0-4]|i{1,3}|iv)[a-c]?\d?", re.IGNORECASE)
# a body site is part of the mention before these (NOTES_GOLD.md: body sites)
SITE_HEADS = frozenset((
    "pain", "pains", "ache", "aches", "swelling", "edema", "oedema", "tenderness",
    "discomfort", "pressure", "tightness", "stiffness"))
ORGAN_HEADS = frozenset((
    "effusion", "effusions", "calculus", "calculi", "stone", "stones", "nodule", "nodules",
    "mass", "masses", "cyst", "cysts", "polyp", "polyps", "tumor", "tumour", "tumors",
    "cancer", "carcinoma", "hernia", "ulcer", "abscess", "fracture", "infarct", "infarction",
    "hemorrhage", "haemorrhage", "obstruction", "stenosis", "thickening", "dilatation",
    "dilation", "injury", "failure", "steatosis", "spasm", "spasms", "embolism", "emboli",
    "embolus", "thrombosis", "strain", "insufficiency", "irritation", "perforation", "crisis",
    "crises",
    "torsion", "stricture", "petechiae", "vegetation", "vegetations", "aneurysm", "aneurysms",
    "herniation", "thrombus", "hematoma", "dissection", "hypertension", "atherosclerosis",
    "occlusion", "subluxation"))
_SITE_OR_ORGAN = SITE_HEADS | ORGAN_HEADS
# pathology nouns measured on imaging ("a 4 mm stone")
IMAGING_HEADS = frozenset((
    "stone", "stones", "calculus", "calculi", "nodule", "nodules", "mass", "masses", "cyst",
    "cysts", "polyp", "polyps", "tumor", "tumour", "aneurysm", "abscess", "hematoma",
    "thrombus", "effusion", "appendicolith", "adenoma", "adenomas", "hernia", "ulcer"))
# disease head nouns without disease morphology
HEAD_NOUNS = (_SITE_OR_ORGAN - {"pressure", "tightness", "stiffness", "discomfort", "thickening",
                                 "dilatation", "dilation"}) | frozenset((
    "disease", "diseases", "disorder", "disorders", "syndrome", "infection", "infections",
    "deficiency", "hypertension", "hypotension", "fibrillation", "flutter", "apnea",
    "apnoea", "diabetes", "mellitus", "obesity", "gout", "asthma", "stroke", "aneurysm",
    "reflux", "retention", "incontinence", "bleeding", "dissection", "arrest", "shock",
    "sepsis", "delirium", "depression", "anxiety", "migraine", "seizure", "seizures",
    "epilepsy", "eczema", "acne", "lupus", "illness", "diverticula", "diverticulum",
    "fibroids", "adenoma", "adenomas", "hyperplasia", "cirrhosis", "regurgitation", "murmur",
    "dysfunction", "hypertrophy", "palsy", "rhinitis", "overload", "ideation", "withdrawal",
    "dependence", "bacteremia", "adhesions", "prolapse", "neuropathy", "retinopathy",
    "syphilis", "herpes", "zoster", "shingles", "nevus", "nevi", "dengue", "dz",
    # eponyms named without "disease" ("hashimoto's", "crohn's")
    "hashimoto's", "crohn's", "addison's", "cushing's", "parkinson's", "alzheimer's",
    "raynaud's", "sjogren's", "behcet's", "wilson's", "huntington's", "wernicke's",
    "transformation", "varices", "varix",
    "nephropathy", "glaucoma", "cataract", "cataracts", "macules", "freckling", "goitre",
    "goiter", "sprain", "tear", "contusion", "laceration", "wound", "wounds", "sores", "rash",
    "dehiscence", "strictures", "rupture", "leak", "leakage", "erosion", "fistula",
    "occlusion", "injuries", "tumors", "metastases", "metastasis", "lymphoma", "leukemia",
    "dementia", "psychosis", "urgency", "calculus", "calculi", "callus", "calluses"))
_SUFFIXES = ("itis", "itides", "osis", "oses", "emia", "aemia", "oma", "omas", "omata",
             "pathy", "pathies", "algia", "algias", "plasia", "trophy", "megaly", "uria",
             "rrhea", "rrhoea", "rrhage", "ectasis", "iasis", "ism", "penia", "cele", "lith",
             "liths", "ia", "ias", "listhesis")
# endings no drug name has: a one-word "Chemical" with one is a disease ("varicocele")
_DISEASE_ONLY_SUFFIXES = ("itis", "osis", "emia", "aemia", "pathy", "algia", "cele", "megaly",
                          "plasia", "rrhea", "rrhoea", "rrhage")
_PROC_SUFFIXES = ("ectomy", "ectomies", "otomy", "otomies", "ostomy", "ostomies", "plasty",
                  "plasties", "scopy", "scopies", "graphy", "pexy", "rrhaphy", "centesis",
                  "tripsy", "desis")
_NOT_FINDING_HEADS = frozenset(("allergy", "allergies", "nkda", "history", "precautions",
                                "risk", "risks", "status", "diagnosis", "diagnoses", "prognosis",
                                "hx", "h/o", "dx", "ddx", "pmh", "pmhx",  # "hx bipolar d/o"
                                "hospice",  # "now on hospice"
                                "bm", "bms"))  # a bowel movement: "if no BM in 48h"
# vague radiology descriptors (NOTES_GOLD.md, "Not Disease"); BC5CDR tags some "lesions"
_VAGUE_HEADS = frozenset(("opacity", "opacities", "lesion", "lesions", "defect", "defects",
                          "stranding", "fluid"))
# a procedure when alone ("compression"), part of a finding's name with a word before
# ("cord compression", "heart block", "purulent drainage", "conjunctival injection")
_NOT_FINDING_ALONE = frozenset(("compression", "aspiration", "injection", "drainage", "block"))
# skin and soft-tissue findings: the region before them is left out ("LLE cellulitis")
SKIN_HEADS = frozenset(("cellulitis", "erythema", "rash", "induration", "maceration", "warmth",
                        "ecchymosis", "bruising", "abrasion", "excoriation", "excoriations",
                        "scaling", "fluctuance"))
# relational adjectives that name no organ ("focal thickening" keeps no "focal")
_NOT_ORGAN_ADJ = frozenset(("focal", "critical", "clinical", "typical", "atypical", "minimal",
                            "marginal", "normal", "abnormal", "total", "partial", "general",
                            "potential", "residual", "mural", "physical", "chronic", "acute",
                            "septic", "metastatic", "traumatic", "iatrogenic", "idiopathic",
                            "classic", "historical", "radiographic", "sonographic", "clinical",
                            "moderate", "terminal", "initial", "additional", "several",
                            "clear", "similar", "regular", "irregular", "linear", "particular",
                            "bipolar", "polar", "nodular", "lobular", "cellular", "vascular",
                            "significant", "dental", "global", "local", "medical", "surgical",
                            "technical", "usual", "unusual", "visual", "central", "lateral",
                            "bilateral", "contralateral", "medial", "distal", "proximal",
                            "apical", "basal", "peripheral", "interval", "incidental"))
_VESSELS = frozenset(("artery", "arteries", "vein", "veins", "vessel", "vessels", "aorta"))
PROBLEM_SECTIONS = frozenset((
    "diagnoses", "diagnosis", "discharge diagnoses", "discharge diagnosis",
    "admission diagnosis", "admission diagnoses", "preoperative diagnosis",
    "postoperative diagnosis", "pre-operative diagnosis", "post-operative diagnosis",
    "problem list", "problems", "active problems", "problems addressed by this list",
    "past medical history", "pmh", "medical history", "past history", "pmhx",
    "impression", "assessment", "assessment and plan", "a/p", "indication",
    "clinical indication", "clinical history", "reason for visit", "chief complaint", "cc",
    "family history", "fh"))
ALLERGY_KEYS = frozenset(("allergies", "allergy", "drug allergies", "allergies/reactions",
                          "adverse reactions", "allergies and reactions"))
RELATIVES = frozenset((
    "mother", "father", "brother", "sister", "son", "daughter", "grandmother", "grandfather",
    "aunt", "uncle", "cousin", "sibling", "siblings", "parent", "parents", "maternal",
    "paternal", "maternal grandmother", "maternal grandfather", "paternal grandmother",
    "paternal grandfather"))
IMAGING_KEYS = frozenset((
    "ct", "cxr", "mri", "x-ray", "xray", "xr", "mra", "ultrasound", "us", "echo", "tte", "tee",
    "imaging",
    "radiograph", "cta", "kub", "urogram", "scan", "angiogram", "angiography", "doppler",
    "findings", "film", "films", "chest x-ray", "mrcp", "pet", "cystoscopy", "colonoscopy"))
# never a Chemical in a note: tests, settings, identifiers' keys, services, foods, views
_NOT_CHEMICAL = frozenset((
    "bmp", "cbc", "cmp", "ua", "ecg", "ekg", "pt/inr", "lft", "lfts", "abg", "vbg",
    "fingerstick", "fingersticks", "peep", "fio2", "dob", "mrn", "food", "foods", "meals",
    "urology", "cardiology", "nephrology", "oncology", "pharmacy", "pacu", "icu", "coronal",
    "sagittal", "axial", "helical", "spo2", "sao2", "etco2", "ra", "crcl", "egfr", "gfr",
    "ctdivol", "dlp", "tympanic", "temporal", "rectal", "axillary", "titrate", "home",
    # blood products (NOTES_GOLD.md; the lexicon leaves out the plasma products it names)
    "rhogam", "ivig", "prbc", "prbcs", "ffp", "cryo", "cryoprecipitate", "pcc", "4f-pcc"))
# device and formulation words after a drug name (NOTES_GOLD.md: "albuterol HFA" is albuterol)
_DEVICE_AFTER = frozenset(("hfa", "mdi", "dpi", "kwikpen", "solostar", "flexpen", "flextouch",
                           "handihaler", "respimat", "diskus", "ellipta", "turbuhaler", "inhaler",
                           "nebulizer", "pen", "dye", "autoinjector",
                           # a drug's measured level is the drug ("Vanc AUC 520", "tac trough")
                           "auc", "trough", "troughs", "level", "levels", "peak"))
# a hyphenated second part that is no drug: "heparin-induced", "doxorubicin-loaded"
_NOT_COMBINATION = frozenset((
    "induced", "related", "associated", "based", "containing", "resistant", "free", "naive",
    "sparing", "dependent", "like", "type", "mediated", "treated", "exposed", "loaded",
    "eluting", "coated", "impregnated", "soaked", "responsive", "refractory", "sensitive",
    "specific", "positive", "negative", "level", "levels"))
_CREDENTIALS = r"(?:MD|DO|RN|NP|PA-C|PA|PhD|MBBS|MBChB|CRNA|FRCP|FRCS|MRCP|DPM|PharmD)"

# symptom words that often mean something else outside a note ("frequency of relations")
_AMBIGUOUS = frozenset((
    "frequency", "urgency", "straining", "hesitancy", "intermittency", "retention", "rebound",
    "rub", "rubs", "gallop", "gallops", "warmth", "congestion", "mass", "masses", "stone",
    "stones", "cyst", "cysts", "effusion", "guarding", "rigidity", "tenderness",
    "retractions", "exudate", "discharge", "bleeding", "erythema", "nodule", "nodules",
    "polyp", "polyps", "fracture", "infiltrate", "infiltrates", "consolidation"))

# --- patterns -----------------------------------------------------------------------------
# form answers: "Fever: none", "Nocturia: 1-2 times nightly"
_ANSWER = re.compile(
    r"(?:no|none|not|never|denies|denied|yes|y|n|negative|positive|present|absent|"
    r"occasional|occasionally|sometimes|rarely|often|frequently|intermittent|intermittently|"
    r"mild|moderate|severe|unsure|some|\d)\b", re.IGNORECASE)
_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*(?:(?:and|or|nor)[ \t]+)?|[ \t]+(?:and/or|and|or|nor)"
                        r"[ \t]+|[ \t]*/[ \t]*|[ \t]+[+&][ \t]+"
                        r"|[ \t]+comma[ \t]+(?:(?:and|or)[ \t]+)?"  # a dictation's spoken comma
                        r"|[ \t]+(?:vs|versus)[ \t]+)",  # a differential: "pneumonia vs aspiration"
                        re.IGNORECASE)
_QUALIFIER = re.compile(r"(?:[ \t]+(?:\([^()\r\n]{0,40}\)|[^\s,;()]+))"
                        r"{1,8}?(?=[ \t]*,|[ \t]+(?:and|or|[+&])[ \t])", re.IGNORECASE)
_DURATION = re.compile(r"(?:\d+|one|two|three|four|five|six|several|many)[ \t]+(?:days?|weeks?|"
                       r"months?|years?)[ \t]+of[ \t]+", re.IGNORECASE)
# a percentage or a grade before a finding ("showed a 90% stenosis", "2/6 systolic murmur",
# "2+ edema")
_MEASURE = re.compile(r"(?:\d+(?:\.\d+)?[ \t]*(?:%|percent)|[1-6]/6|[0-4]\+)[ \t]+", re.IGNORECASE)
# what a duration or a measure can start with (a decimal digit, as ``\d``, or the first letter of
# a number word in either case; "ſ" is an "s" to ``re.IGNORECASE``): other words are not tried
_DURATION_FIRST = frozenset("otfsmOTFSMſ")
_ITEM = re.compile(r"[ \t]*(?:[-*•·]|\d{1,2}[.)])?[ \t]*")
_FIELD_BREAK = re.compile(r"\r?\n[ \t]*(?=[^\W\d_][^:\r\n]{0,40}:|[^\W\d_a-z]+(?:[ /&-]+"
                          r"[^\W\d_a-z]+)*[ \t]*\r?$)", re.MULTILINE)
_COORD = re.compile(r"[ \t]*,[ \t]*(?:(?:and|or)[ \t]+)?|[ \t]+(?:and|or)[ \t]+|[ \t]*/[ \t]*")
_RESULT_AFTER = re.compile(
    r"[ \t]*(?:\([^()\r\n]{0,15}\)[ \t]*)?(?:[IT][ \t]+)?(?:(?:was|is|now|at|peaked|nadired|"
    r"on|repeat|this|morning|today)[ \t]+){0,3}(?:[<>≤≥~][ \t]*)?\d(?:[.,]?\d)*"
    r"(?:[ \t]*(?:->|→|-)[ \t]*\d(?:[.,]?\d)*)?"
    r"(?P<unit>[ \t]*[^\W\d_µ%]*[µ%]?[^\W\d_]*(?:/[^\W_.]+)?)?", re.IGNORECASE)
# nutrients that notes give more often than they report: a number after one is a result only
# where a unit per volume or a verdict follows it ("folate 3.1 ng/mL", "iron 28 (low)") or another
# result comes just before ("B12 162 and folate 3.1"); "folate 1, mvi", "iron 325 daily" and "hold
# iron 5 days" are doses and plans
NUTRIENTS = frozenset(("folate", "iron", "zinc", "copper", "vitamin d", "vitamin b12"))
_NUTRIENT_NUMBER = re.compile(r"[ \t]*:?[ \t]*[<>]?\d+(?:[.,]\d+)?(?!\d|[.,]\d)")
_VERDICT_AFTER = re.compile(r"[ \t]*(?:[a-zµ]+/[a-z]?l\b|\(?(?:low|high|normal|nl|wnl)\b"
                            r"|-[ \t]*(?:low|high))", re.IGNORECASE)
_RESULT_BEFORE = re.compile(r"\b(?i:b12|ferritin|tibc|tsat|iron|fe|folate|hgb|hb|mcv|zinc|copper"
                            r"|vit(?:amin)?[ \t]*d)[ \t]*:?[ \t]*\d+(?:[.,]\d+)?(?:[ \t]*\(\w+\))?"
                            r"[ \t]*(?:,|;|and|&)?[ \t]*$")


def nutrient_result(text: str, start: int, end: int) -> bool:
    """Is the nutrient named at ``[start, end)`` reported as a result ("B12 162 and folate 3.1",
    "iron 28 ug/dL")?"""
    m = _NUTRIENT_NUMBER.match(text, end)
    return m is not None and bool(_VERDICT_AFTER.match(text, m.end()) or _RESULT_BEFORE.search(
        text, max(0, start - 30), start))


_DOSE_UNIT = re.compile(r"[ \t]*(?:mg|g|gm|mcg|µg|ug|meq|mmol|units?|u|iu|ml|l|tabs?|tablets?|"
                        r"capsules?|puffs?|drops?)$", re.IGNORECASE)
_FREQUENCY = re.compile(r"[ \t]*(?:q\d+h|qhs|qd|prn|daily|bid|tid|qid)\b", re.IGNORECASE)
_RESULT_WORD = re.compile(r"[ \t]+(?:was|were|clearing|rising|elevation|trending|nadired|"
                          r"peaked|had\s+improved|stable|positive|negative|normal|elevated|"
                          r"low|high)\b|[ \t]*\(\d|(?:[ \t]+[a-z]+){1,3}[ \t]+(?:was|of|at)"
                          r"[ \t]+\d", re.IGNORECASE)
_LAB_BEFORE = re.compile(r"(?:check|recheck|repeat|trend|baseline|pre-contrast|adjusted|"
                         r"fasting|poc|ionized|urine|serial|negative|positive|fingerstick)[ \t]+"
                         r"(?:\w+[ \t]+and[ \t]+)?$",
                         re.IGNORECASE)
_TITLE_BEFORE = re.compile(r"(?<![\w])(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?[ \t]+(?:[A-Z][\w'’-]*"
                           r"[ \t]+){0,2}$")
# a relative's name: "daughter Marisol" (for Chemicals only: "Mother breast cancer" is a Disease)
_RELATIVE_BEFORE = re.compile(r"(?<![\w])(?:wife|husband|daughter|son|mother|father|sister|"
                              r"brother|partner)[ \t]+$", re.IGNORECASE)
_CREDENTIAL_AFTER = re.compile(r"(?:[ \t]+[A-Z][\w'’-]*){0,2},?[ \t]+" + _CREDENTIALS + r"\b")
_RIGHT_NAME = re.compile(
    r"[ \t]+(?:type[ \t]+(?:\d\w?|i{1,3}v?|[a-c])(?![\w-])|in[ \t]+situ\b|sounds\b|with[ \t]+(?:reduced|"
    r"preserved|mildly[ \t]+reduced|mid-range)[ \t]+ejection[ \t]+fraction\b|on[ \t]+"
    r"exertion\b|(?:media|externa|interna|pedis|cruris|capitis|corporis|versicolor|"
    r"reactivation|nervosa)\b|(?:with|w/|without|w/o)[ \t]*aura\b"  # "migraine w/ aura"
    r"|(?:i{1,2}|[12])[ \t]+(?:disorder|d/o)(?![\w/]))",  # "bipolar I d/o"
    re.IGNORECASE)


# --- words --------------------------------------------------------------------------------

def _conditionish(word: str) -> bool:
    """Does ``word`` (as written) look like the head of a disease or finding?"""
    known = _CONDITIONISH.get(word)
    if known is None:
        if len(_CONDITIONISH) >= _CONDITIONISH_MAX:  # a worker's millions of notes: stay small
            _CONDITIONISH.clear()
        known = _CONDITIONISH[word] = _conditionish_word(word)
    return known


_CONDITIONISH: dict[str, bool] = {}
# words with a disease ending that name none ("missed doses")
_SUFFIX_LOOKALIKES = frozenset(("doses", "closes", "noses", "hoses", "roses", "poses", "losses"))
_CONDITIONISH_MAX = 50_000


def _conditionish_word(word: str) -> bool:
    if word in ABBREVIATIONS or (word[-1:] == "s" and word[:-1] in ABBREVIATIONS):
        return True
    low = word.lower()
    if low in PROCEDURES or low in ANATOMY or low.endswith(_PROC_SUFFIXES):
        return False
    if low in HEAD_NOUNS or low in SYMPTOMS:
        return True
    return len(low) >= 5 and low.endswith(_SUFFIXES) and low not in _SUFFIX_LOOKALIKES


def _anatomy_only(words: list[str], extra: frozenset[str] = _NEUTRAL) -> bool:
    """Are ``words`` (lower case) anatomy phrases and ``extra`` words only, one phrase at
    least?"""
    phrases = ANATOMY.phrases
    i, n, seen = 0, len(words), False
    while i < n:
        if words[i] not in ANATOMY.words:
            if words[i] not in extra:
                return False
            i += 1
            continue
        for k in range(min(4, n - i), 0, -1):
            if " ".join(words[i:i + k]) in phrases:
                i += k
                seen = True
                break
        else:
            if words[i] not in extra:
                return False
            i += 1
    return seen


def _organisms_only(span: str) -> bool:
    words = _ORGANISM_WORD.findall(span.lower())
    return bool(words) and all(w in ORGANISMS for w in words)


_ORGANISM_WORD = re.compile(r"[^\W_]+\.?")


def word_before(text: str, pos: int, lo: int) -> tuple[int, str] | None:
    """The word that ends one space or tab before ``pos`` (not before ``lo``): (start, word)."""
    j = pos - 1
    if j <= lo or text[j] not in " \t":
        return None
    k = j
    while k > lo and (text[k - 1].isalnum() or text[k - 1] in "-'’"):
        k -= 1
    return (k, text[k:j]) if k < j and text[k].isalnum() else None


# --- trimming, dropping, extending spans ----------------------------------------------------

def _trim(words: list[str]) -> tuple[int, int] | None:
    """Token range ``[i, j)`` of ``words`` (lower case) without the edge words the guideline
    leaves out; None when nothing of a mention is left."""
    i, j = 0, len(words)
    while j - i > 1:
        w, nxt = words[i], words[i + 1]
        if w == "stage" and j - i > 2 and _STAGE_VALUE.fullmatch(nxt):
            i += 2  # "stage IIIA non-small cell lung cancer": the stage is no part of it
            continue
        if w[0].isdigit() or w in _SIZE_WORDS or w in IMAGING_KEYS or _COUNTED.match(w) or (
                nxt in _LEAD_OF and j - i > 3 and words[i + 2] == "of"):
            i += 1  # "4 mm nodule", "CT evidence of", "three-pillow orthopnea", "scintigraphic
            continue  # evidence of"
        if w in _HISTORY_WORDS:
            i += 1  # "hx gestational diabetes", "fhx colon cancer"
            continue
        if w.endswith("ly") and nxt in DESCRIPTORS and j - i > 2:
            i += 1  # "hemodynamically significant stenosis"
            continue
        if w in _SPAN_EDGE:
            if w in SIDES:
                if nxt in FIXED_AFTER_SIDE or nxt.startswith(("ventric", "atri")) or (
                        nxt in ("lower", "upper") and j - i > 2 and words[i + 2] == "quadrant"):
                    break
                i += 1
                while j - i > 1 and words[i] in POSITIONS and words[i + 1] not in SUBLOCATIONS \
                        and words[i + 1] != "quadrant":
                    i += 1  # "left distal ureteral stone"
                continue
            if w in _LEAD_OF and nxt == "of" and j - i > 2:
                i += 2
                continue
            if w in DESCRIPTORS and not _anatomy_only(words[i + 1:j], _SIDE_OR_FUNCTION):
                i += 1  # "dry cough" -> "cough", but "dry mouth" stays
                continue
            if w in KEEP_BEFORE and nxt in SIDES and j - i > 2:
                i += 2  # "acute bilateral pulmonary emboli": the side cannot be skipped
                continue
            cut = next((k for k in range(i, min(i + 3, j - 1)) if words[k] in SUBLOCATIONS
                        and all(x in POSITIONS or x in SIDES or x in ANATOMY.words
                                for x in words[i:k])), None)
            if cut is not None:
                i = cut + 1
                continue
        break
    while j - i > 1:
        last = words[j - 1]
        if j - i > 2 and last in ANATOMY.words and words[j - 2] in SIDES:
            j -= 2  # a side and a site after the finding: "blurry vision r eye"
            continue
        if last not in _SPAN_END and not _COUNT.fullmatch(last):
            if j - i > 2 and words[j - 2] in STAGING and len(last) <= 4:
                j -= 2
                continue
            break
        j -= 1
    if j - i == 1 and (words[i] in FUNCTION or words[i] in SIDES or words[i] in DESCRIPTORS or
                       words[i] in _COURSE_WORDS):  # a lone "acute" names nothing
        return None
    return i, j


def _verdict(words: list[str], raw: str, prev: str, note: bool = True) -> int | None:
    """How many of ``words`` (lower case; ``raw`` as written, ``prev`` the word before) make
    a finding: all, fewer (a procedure head cut off) or None (no finding)."""
    n = len(words)
    named = [w for w in words if not w.endswith(("'s", "’s"))]  # "Scarpa's fascia": an eponym
    if named and _anatomy_only(named, _PLACE) or _organisms_only(raw):
        return None
    head = words[-1]
    if head in _NOT_FINDING_HEADS or (note and (head in _VAGUE_HEADS or (
            n == 1 and head in _NOT_FINDING_ALONE))):
        return None
    if head not in _PROC_LAST and not head.endswith(_PROC_SUFFIXES):
        return n
    proc_at = n - 1
    for k in range(min(4, n), 0, -1):  # the longest procedure phrase ending the span
        tail = " ".join(words[n - k:])
        if tail in PROCEDURES or (k == n and prev and f"{prev} {tail}" in PROCEDURES):
            proc_at = n - k
            break
    else:
        if not head.endswith(_PROC_SUFFIXES):
            return n
    raw_words = _WORD.findall(raw)
    if proc_at and any(_conditionish(w) for w in raw_words[:proc_at]):
        return proc_at
    return None


_SHORTHAND_TAIL = re.compile(r"[^\W\d_][ \t]+")


def _clean(text: str, start: int, end: int, lo: int = 0,
           note: bool = True) -> tuple[int, int] | None:
    """``start, end`` trimmed and judged (``_trim``, ``_verdict``); None when no finding."""
    if note and start >= 2 and text[start - 1] == "/" and text[start - 2].isalpha():
        m = _SHORTHAND_TAIL.match(text, start, end)  # the "f" of "c/f appendicitis"
        if m:
            start = m.end()
    raw = text[start:end]
    if note and end - start <= 5 and (fused := _FUSED.fullmatch(raw.lower())):
        return start + fused.start(fused.lastindex), start + fused.end(fused.lastindex)
    if raw.isalpha():  # one plain word: only the word lists can say no
        low = raw.lower()
        if low in ANATOMY.words or low in ORGANISMS or low in _NOT_FINDING_HEADS or \
                low in _PROC_LAST or low in _SPAN_EDGE or low in FUNCTION or \
                low.endswith(_PROC_SUFFIXES) or low in _VAGUE_HEADS or low in _NOT_FINDING_ALONE:
            return _clean_words(text, start, end, lo, note)
        return start, end
    return _clean_words(text, start, end, lo, note)


def _clean_words(text: str, start: int, end: int, lo: int,
                 note: bool) -> tuple[int, int] | None:
    toks = [m.span() for m in _WORD.finditer(text, start, end)]
    if not toks:
        return None
    words = [text[s:e].lower() for s, e in toks]
    w0 = words[0]
    if w0 in _SPAN_EDGE or w0 in _HISTORY_WORDS or w0 == "stage" or words[-1] in _SPAN_END or \
            _COUNT.fullmatch(words[-1]) or len(words) > 2 and words[-2] in SIDES or (
            len(words) > 2 and words[-2] in STAGING) or w0[0].isdigit() or w0 in _SIZE_WORDS \
            or w0 in IMAGING_KEYS or _COUNTED.match(w0) \
            or w0.endswith("ly") and len(words) > 2 and words[1] in DESCRIPTORS:
        ij = _trim(words)
        if ij is None:
            return None
        i, j = ij
        toks, words = toks[i:j], words[i:j]
    if note and len(words) > 1 and words[-1] in SKIN_HEADS and _anatomy_only(
            words[:-1], _SIDE_OR_POSITION):
        toks, words = toks[-1:], words[-1:]  # "LLE cellulitis" -> "cellulitis"
    prev = word_before(text, toks[0][0], lo)
    keep = _verdict(words, text[toks[0][0]:toks[-1][1]], prev[1].lower() if prev else "", note)
    if keep is None:
        return None
    if keep < len(toks):
        return _clean_words(text, toks[0][0], toks[keep - 1][1], lo, note)
    return toks[0][0], toks[-1][1]


def _extend(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """``start, end`` extended left over kept type words and a body site, and right over
    "type 1", "in situ", "with reduced ejection fraction" or the head noun after a disease
    adjective ("hypertensive urgency"), never past ``lo`` and ``hi``."""
    if (start == 0 or text[start - 1] not in " \t") and text[end:end + 1] not in (" ", "\t"):
        return start, end
    first = _WORD.match(text, start, end)
    head = text[start:end].lower() if first and first.end() == end else None
    site = head is not None and head in _SITE_OR_ORGAN
    organ_words = 0
    while True:
        org = _ORGANISM_BEFORE.search(text, max(lo, start - 40), start)
        if org is not None and (org.group(1).lower() in ORGANISMS and len(org.group(1)) > 2 or
                                _genus_initial(text, org.start(), start, end)):
            # "E. coli bacteremia", "H. pylori gastritis", "MRSA pneumonia", "e coli pyelo"
            start = org.start()
            continue
        before = word_before(text, start, lo)
        if before is None:
            break
        b_start, word = before
        low = word.lower()
        if low in KEEP_BEFORE or low.endswith(("-induced", "-related")) or (
                low in ("left", "right") and text[start:start + 6].lower().startswith(
                    ("ventri", "atri"))):  # "LEFT VENTRICULAR HYPERTROPHY"
            start = b_start
            site = False  # a site comes next to its head: "portal hypertension", not "colon
            continue  # essential hypertension"
        if low.isdigit() or low in ("i", "ii"):
            two = word_before(text, b_start, lo)
            if two and two[1].lower() == "type":
                start = two[0]
                continue
        if low == "on":
            two = word_before(text, b_start, lo)
            if two and two[1].lower() == "acute" and text.startswith("chronic", start):
                start = two[0]
                continue
        if site:
            best, at, words = None, start, []
            if head not in SITE_HEADS:
                if (low.endswith(("al", "ic", "ar")) and low not in _NOT_ORGAN_ADJ and
                        low not in SIDES and low not in POSITIONS and
                        low not in SUBLOCATIONS) or (
                        low in ANATOMY and low not in _VESSELS and low not in SUBLOCATIONS):
                    start = b_start  # "periappendiceal abscess", "abdominal aortic aneurysm"
                    organ_words += 1
                    site = organ_words < 2
                    continue
                break
            site = False
            for _ in range(3):
                b = word_before(text, at, lo)
                if b is None:
                    break
                at = b[0]
                words.insert(0, b[1].lower())
                if " ".join(words) in ANATOMY:
                    best = at
            if best is not None:
                start = best
                continue
        break
    m = _RIGHT_NAME.match(text, end, min(hi, end + 40)) \
        if text[end + 1:end + 2] in _RIGHT_FIRST else None
    if m:
        end = m.end()
    elif text[end:end + 1] == " " and (m := _WORD.match(text, end + 1, hi)):
        nxt = m.group().lower()
        if head is not None and head.endswith(("ive", "ic", "al", "ed")) and \
                nxt in _NOUN_AFTER_ADJECTIVE:
            end = m.end()  # an adjective before its noun: "hypertensive urgency"
        elif nxt in SITE_HEADS and _last_word(text, start, end) in ANATOMY.words:
            # a site left without its pain: "crampy llq" -> "llq pain"
            start, end = _clean(text, start, m.end()) or (start, m.end())
    return start, end


def _genus_initial(text: str, at: int, start: int, end: int) -> bool:
    """Is the letter at ``at`` (with its period or without) a genus before the species that
    ``text[start:end]`` opens with ("E. coli bacteremia", "e coli pyelo"; not the "o" of "h/o
    ESBL UTI", nor the "H." of "45 ML/H. DIARRHEA")?"""
    gap = 3 if text[at + 1:at + 2] == "." else 2
    if start - at != gap or not text[at].isalpha() or at and text[at - 1] not in " \t\n(":
        return False
    w = _WORD.match(text, start, end)
    return w is not None and w.group().lower() in ORGANISMS


def _last_word(text: str, start: int, end: int) -> str:
    """The last word of ``text[start:end]``, lower-cased."""
    i = end
    while i > start and (text[i - 1].isalnum() or text[i - 1] in "-'’"):
        i -= 1
    return text[i:end].lower()


# an organism word (with its genus initial) right before a disease: one span in the notes gold
_ORGANISM_BEFORE = re.compile(r"(?<![\w.])([A-Za-z][A-Za-z-]*\.?)[ \t]+$")
_RIGHT_FIRST = frozenset("tTiIwWoOmMeEpPcCvVsSrRnN12")  # the first letters _RIGHT_NAME can match
_NOUN_AFTER_ADJECTIVE = HEAD_NOUNS | ORGAN_HEADS | {"pregnancy"}  # "ectopic pregnancy"


def _line_mentions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``start, end`` cut at its short lines where each line holds a mention of its own
    ("oa\npain"), else whole ("congestive heart\nfailure" is a name wrapped in prose)."""
    lines = _short_lines(text, start, end)
    return lines if all(_headed(text, a, b) or text[a:b].upper() in ABBREVIATIONS
                        for a, b in lines) else [(start, end)]


def _symptom_line_end(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``start, end`` cut after a line that holds a symptom to its end when the next line
    starts with a capital; the rest stays only where it is a mention of its own."""
    cut = None
    for m in _LINE_BREAK.finditer(text, start, end):
        if m.end() < end and text[m.end()].isupper() and \
                SYMPTOMS.match(text, start, m.start()) == m.start():
            cut = m
            break
    if cut is None:
        return [(start, end)]
    rest = (cut.end(), end)
    return [(start, cut.start())] + ([rest] if _headed(text, *rest) or
                                     text[rest[0]:end].upper() in ABBREVIATIONS else [])


def _pieces(text: str, ent: Entity, note: bool) -> list[tuple[int, int]]:
    """A model Disease's span cut at field-line breaks, between coordinated mentions that
    each have a head, and (in notes) between symptoms listed with no separator ("fevers
    chills")."""
    bounds = [(ent.start, ent.end)]
    if "comma" in ent.text or "colon" in ent.text:
        bounds = _undictated(text, ent.start, ent.end)
    if "\n" in ent.text:
        bounds, at = [], ent.start
        for m in _FIELD_BREAK.finditer(text, ent.start, min(len(text), ent.end + 45)):
            if m.start() >= ent.end:
                break
            bounds.append((at, m.start()))
            at = m.end()
        bounds.append((at, ent.end))
        if note:  # a short line ends a mention too ("s/p l tka for oa\npain 4/10"), and so
            # does a symptom before a capital ("no numbness\nHIV neg", "no palpitations\nFHx")
            bounds = [piece for s, e in bounds for a, b in _line_mentions(text, s, e)
                      for piece in _symptom_line_end(text, a, b)]
    coordinated = any(c in ent.text for c in ",/") or " and " in ent.text or \
        " or " in ent.text
    if not coordinated and not (note and " " in ent.text):
        return bounds
    out = []
    for s, e in bounds:
        parts, at = [], s
        if coordinated:
            for m in _COORD.finditer(text, s, e):
                parts.append((at, m.start()))
                at = m.end()
        parts.append((at, e))
        if len(parts) > 1 and all(_headed(text, a, b) for a, b in parts):
            out.extend(parts)
        else:
            out.extend(note and _symptom_run(text, s, e) or [(s, e)])
    return out


# punctuation a dictation spoke: a comma between two mentions, a colon after a heading
_SPOKEN_COMMA = re.compile(r"[ \t]+comma[ \t]+", re.IGNORECASE)
_SPOKEN_COLON = re.compile(r"colon[ \t]+", re.IGNORECASE)
_HEADING_WORD_BEFORE = re.compile(r"(?:history|diagnosis|diagnoses|impression|assessment|plan|"
                                  r"complaint|illness|findings|problems)[ \t]+$", re.IGNORECASE)
# what the organ heads after a heading word ("family history colon cancer": no spoken colon)
_COLON_HEADS = frozenset(("cancer", "carcinoma", "adenocarcinoma", "polyp", "polyps", "mass",
                          "tumor", "tumour", "neoplasm", "lesion", "lesions", "perforation",
                          "obstruction", "ischemia", "volvulus", "stricture"))


def _undictated(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) without a spoken colon after a heading ("past medical history colon
    essential hypertension"; "colon" is also the organ) and cut at spoken commas."""
    m = _SPOKEN_COLON.match(text, start, end)
    if m and m.end() < end and _HEADING_WORD_BEFORE.search(text, max(0, start - 20), start):
        w = _WORD.match(text, m.end(), end)
        if w is None or w.group().lower() not in _COLON_HEADS:  # "family history colon cancer"
            start = m.end()
    out, at = [], start
    for m in _SPOKEN_COMMA.finditer(text, start, end):
        out.append((at, m.start()))
        at = m.end()
    out.append((at, end))
    return out


_ADJECTIVE_END = re.compile(r"(?:ous|ful|ic|al|ive|ed|ile|ent|ant)$", re.IGNORECASE)


def _symptom_run(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """The symptoms that make up ``text[start:end]``, side by side with only spaces between
    ("fevers chills"), when there are two or more and none is an adjective (which would qualify
    a noun: "neutropenic fever", "painful erythematous nodules"); else None."""
    parts: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        stop = SYMPTOMS.match(text, pos, end)
        if stop < 0:
            return None
        parts.append((pos, stop))
        pos = stop
        while pos < end and text[pos] in " \t":
            pos += 1
        if pos == stop < end:
            return None
    if len(parts) < 2 or any(_ADJECTIVE_END.search(text, a, b) for a, b in parts):
        return None  # an adjective qualifies a noun: "neutropenic fever"
    return parts


def _headed(text: str, start: int, end: int) -> bool:
    """Does ``text[start:end]`` end in a condition word (or one before "of ...")?"""
    words = _WORD.findall(text, start, end)
    if not words:
        return False
    if _conditionish(words[-1]):
        return True
    lows = [w.lower() for w in words]
    return "of" in lows and lows.index("of") > 0 and _conditionish(words[lows.index("of") - 1])


# --- Chemical -----------------------------------------------------------------------------

def _lab_result(text: str, ent: Entity) -> bool:
    """Is a lab analyte reported as a result here ("creatinine 1.3 mg/dL", "Potassium
    nadired at 3.1", "check BMP and magnesium")?"""
    low = ent.text.lower()
    if low not in ANALYTES:
        if " " not in low:
            return False
        words = low.split()  # "glucose 164", "Fingerstick glucose 42", "sodium of 124 and"
        return any(w in ANALYTES for w in words) and any(
            w.replace(".", "", 1).isdigit() for w in words)
    if low in NUTRIENTS:
        return nutrient_result(text, ent.start, ent.end) or _LAB_BEFORE.search(
            text, max(0, ent.start - 25), ent.start) is not None
    m = _RESULT_AFTER.match(text, ent.end, min(len(text), ent.end + 60))
    if m:
        unit = m.group("unit") or ""  # a dose's unit or frequency: "bicarb 650 tid" is given
        return "/" in unit or not (_DOSE_UNIT.match(unit) or _FREQUENCY.match(unit))
    if _RESULT_WORD.match(text, ent.end, min(len(text), ent.end + 20)):
        return True
    return _LAB_BEFORE.search(text, max(0, ent.start - 25), ent.start) is not None


def _person(text: str, ent: Entity) -> bool:
    """Is the entity a name next to a title or a credential ("Dr Osei-Lindgren", "Casimir
    Obuya, MD", "Mrs Perpetua Hallorann-Diaz")?"""
    if not ent.text[:1].isupper():
        return False
    return bool(_TITLE_BEFORE.search(text, max(0, ent.start - 30), ent.start) or
                _TITLE_BEFORE.match(ent.text + " ", 0, ent.text.find(" ") + 1) or
                _CREDENTIAL_AFTER.match(text, ent.end, min(len(text), ent.end + 40)))


WRAP_WIDTH = 60  # a line this long that a span runs off was wrapped, not ended
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")


def _short_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``start, end`` cut at each line break after a line shorter than ``WRAP_WIDTH`` (a
    longer one was wrapped inside the name)."""
    out, at = [], start
    for m in _LINE_BREAK.finditer(text, start, end):
        if m.start() - (text.rfind("\n", 0, m.start()) + 1) >= WRAP_WIDTH:
            continue
        if m.start() > at:
            out.append((at, m.start()))
        at = m.end()
    if at < end:
        out.append((at, end))
    return out


def _line_pieces(doc: Doc, ent: Entity) -> list[Entity]:
    """A model Chemical cut at the line breaks it crosses ("metformin" and "Ca" of a list line
    and the lab line after it), except where a long line was wrapped inside a name."""
    spans = _short_lines(doc.text, ent.start, ent.end)
    if spans == [(ent.start, ent.end)]:
        return [ent]
    return [doc.span(s, e, ent.label, score=ent.score, source=ent.source) for s, e in spans]


def _spoken_commas(ent: Entity) -> list[tuple[int, int]]:
    """``ent``'s span cut at the commas a dictation speaks, less a spoken colon it opens with
    ("allergies colon codeine")."""
    out, at = [], ent.start
    if m := _SPOKEN_COLON.match(ent.text):
        at += m.end()
    for m in _SPOKEN_COMMA.finditer(ent.text):
        out.append((at, ent.start + m.start()))
        at = ent.start + m.end()
    return out + [(at, ent.end)]


def _chemical(doc: Doc, ent: Entity, note: bool, nxt: Entity | None,
              chemical_starts: frozenset[int] = frozenset()) -> Entity | None:
    """The model Chemical ``ent`` cleaned, relabelled or dropped. ``nxt`` is the next entity
    that is no model Chemical: a combination's second name may join a model piece
    ("sacubitril-valsartan"), and with a hyphen the drug ``nxt`` found as that name
    ("hydrocodone-acetaminophen", which the caller then drops), but a join never runs into it
    otherwise: it would win the overlap and lose the first drug ("Tylenol/Motrin" with the
    lexicon's "Motrin"). After a slash, a name that is a Chemical of its own (one of
    ``chemical_starts``) stays apart: "fentanyl/bupi", "ibuprofen/tylenol" are drugs given
    together, two spans in the notes guideline."""
    text, raw = doc.text, ent.text
    if raw.split(None, 1)[0].lower() in ORGANISMS and _organisms_only(raw):
        return None
    if not any(c.isalpha() for c in raw) or _FIELD_VALUE.search(raw):
        return None  # a phone number or a time ("(555) 013-4477", "0810"); "Tel: 01632 960 418"
    if not note:
        return ent
    start, end = ent.start, ent.end
    if not raw[0].isalnum():  # "- Piperacillin-tazobactam": the list marker is no drug
        start = _ITEM.match(text, start, end).end()
    elif (key := _ALLERGY_KEY.match(text, start, end)) and key.end() < end:
        start = key.end()  # "allergy sulfa": the allergy is no part of the drug's name
    if " " in raw:
        words = [m for m in _WORD.finditer(text, start, end)]
        while len(words) > 1 and (words[-1].group().lower() in _DEVICE_AFTER or (
                words[-1].group().isdigit() and words[-2].group()[:1].isupper()) or
                _COUNT.fullmatch(words[-1].group().lower())):
            end = words[-1].start()  # "Albuterol HFA", "Omnipaque 240", "heparin x24h"
            words.pop()
            while text[end - 1] in " \t":
                end -= 1
    if (start, end) != (ent.start, ent.end):
        if start >= end:
            return None
        ent = doc.span(start, end, ent.label, score=ent.score, source=ent.source)
    raw = ent.text
    low = raw.lower()
    if low in DRUG_CLASSES or low in _NOT_CHEMICAL or low in PROCEDURES.phrases or \
            (" " not in low and low.endswith(_PROC_SUFFIXES)) or \
            _lab_result(text, ent) or _SUTURE_SIZE_BEFORE.search(text, max(0, start - 8), start) \
            or _MATERIAL_AFTER.match(text, end, min(len(text), end + 12)) or \
            _DIET_AFTER.match(text, end, min(len(text), end + 14)) and not AMOUNT_BEFORE.search(
                text, max(0, start - 16), start) or \
            (raw[0].isupper() and (_person(text, ent) or (
                " " not in raw and _RELATIVE_BEFORE.search(text, max(0, start - 12), start)
                and not drug_like(low)))) or \
            _not_a_drug(doc, ent):
        return None
    if low.startswith(("a", "non")) and (low[1:] in SYMPTOMS.phrases or
                                           low[3:].lstrip("-") in SYMPTOMS.phrases):
        return None  # "afebrile", "nontender": the absence of a finding, and no drug
    if (raw in ABBREVIATIONS or raw in LOWER_ABBREVIATIONS) and raw not in _defined(doc) or \
            low in SYMPTOMS.phrases or (
            " " not in low and low.endswith(_DISEASE_ONLY_SUFFIXES)):
        return doc.span(start, end, "Disease", score=ent.score, source=ent.source)
    nxt_char = text[end:end + 1]
    if nxt_char in ("-", "/"):
        m = _COMBINATION.match(text, end, min(len(text), end + 40))
        if m and m.group(1).lower() not in _NOT_COMBINATION and not (
                nxt_char == "/" and end + 1 in chemical_starts) and (
                nxt is None or m.end() <= nxt.start or nxt_char == "-" and nxt.label == "Chemical"
                and (nxt.start, nxt.end) == (end + 1, m.end())):
            end = m.end()  # "Sacubitril-valsartan" is one name
    elif nxt_char == " " and text[end + 1:end + 11].lower() == "deficiency":
        return doc.span(start, end + 11, "Disease", score=ent.score,  # "Vitamin D deficiency"
                        source=ent.source)
    if (start, end) == (ent.start, ent.end):
        return ent
    return doc.span(start, end, ent.label, score=ent.score, source=ent.source)


_COMBINATION = re.compile(r"[-/]([^\W\d_]{4,})\b")
_ALLERGY_KEY = re.compile(r"(?i:allerg(?:y|ies|ic)(?:[ \t]+to)?)[ \t]*:?[ \t]+")
# a surgical material, not a drug: "2-0 Prolene", "Vicryl sutures", "Prolene mesh"
_SUTURE_SIZE_BEFORE = re.compile(r"(?<![\w-])\d{1,2}-0[ \t]+$")
_MATERIAL_AFTER = re.compile(r"[ \t]+(?:sutures?|mesh|stitch(?:es)?|ties|plug|sling|staples?)\b",
                             re.IGNORECASE)
_FIELD_VALUE = re.compile(r":[ \t]+[\d(+]")  # a "Key: 0123" field, never a drug name
# a diet named for what it limits is no drug given ("low sodium diet", "potassium restriction"),
# unless it gives the amount ("a 2 g sodium diet")
_DIET_AFTER = re.compile(r"[ \t]+(?:diet|restriction|restricted)\b", re.IGNORECASE)
# an amount right before a word (the lexicon's sign of a drug given too: "1 amp bicarb")
AMOUNT_BEFORE = re.compile(r"\d[ \t]*(?i:amps?|ampoules?|g|gm|mg|mcg|meq|units?|u|mmol|ml|cc"
                           r"|tabs?|tablets?)[ \t]+(?:(?i:of)[ \t]+)?$")
_VACCINE_AFTER = re.compile(r"(?:[ \t]+(?:and|or)[ \t]+[\w-]+)?[ \t]+vaccines?\b", re.IGNORECASE)
# ... or one of a list of them ("Typhoid, yellow fever, hep A vaccines given")
_VACCINES_AFTER = re.compile(r"(?:(?:[ \t]*,[ \t]*|[ \t]+)(?:(?:and|or|&)[ \t]+)?"
                             r"(?!(?:no|not|and|or)\b)[\w-]+){1,6}?[ \t]+vaccines\b",
                             re.IGNORECASE)
# a disease's test, a screen's result or an immunity status is no mention of it ("HIV test",
# "lyme titer", "TB screen neg", "rubella immune"; a screening is a procedure named for the
# disease, which counts: "colon cancer screening")
_TEST_AFTER = re.compile(r"[ \t]+(?i:tests?|testing|panel|serology|serologies|titers?|pcr"
                         r"|screen[ \t]+(?:neg|negative|pos|positive|reactive|nonreactive"
                         r"|pending)|immune|nonimmune|non-immune|immunity)\b")
# labour as a ward or a plan, not a condition: "trial of labor", "labor and delivery"
_LABOR = re.compile(r"(?i:labou?r)$")
_LABOR_UNIT_AFTER = re.compile(r"[ \t]*(?i:and|&)[ \t]*(?i:delivery)\b")
_TRIAL_OF_BEFORE = re.compile(r"(?i:trial[ \t]+of)[ \t]+$")


def _labor_unit(text: str, ent: Entity) -> bool:
    """Is ``ent`` "labor" of "trial of labor" or "labor and delivery" (a plan, a ward)?"""
    return _LABOR.match(ent.text) is not None and (
        _LABOR_UNIT_AFTER.match(text, ent.end) is not None
        or _TRIAL_OF_BEFORE.search(text, max(0, ent.start - 12), ent.start) is not None)


_IDENTIFIER = re.compile(r"[A-Z]{2,5}-\d{4,}$")


def _vaccine(text: str, end: int) -> bool:
    """Does a vaccine's name, or a list of vaccines, go on from ``end``?"""
    after = text[end:end + 60].lower()
    return "vaccin" in after and bool(_VACCINE_AFTER.match(after) or (
        "vaccines" in after and _VACCINES_AFTER.match(after)))


_VACCINE_KEY = re.compile(r"(?:vaccin|immuni[sz]|shots?\b)[^:\n]{0,20}:", re.IGNORECASE)


def _vaccine_field(text: str, pos: int) -> bool:
    """Is ``pos`` in the value of a vaccines field ("vaccines today: yellow fever, typhoid"), in
    its first sentence?"""
    line = text.rfind("\n", 0, pos) + 1
    colon = text.rfind(":", line, pos)
    if colon < 0 or text.find(". ", colon, pos) >= 0:
        return False
    key = max(line, text.rfind(". ", line, colon) + 1, text.rfind(":", line, colon) + 1)
    return _VACCINE_KEY.search(text, key, colon + 1) is not None


def _table_header(text: str, ent: Entity) -> bool:
    """Is the entity a whole cell of a table's header row ("Time   HR   BP   Pain")? A header
    row has four or more cells split by runs of spaces, none of them a number or a time."""
    start = text.rfind("\n", 0, ent.start) + 1
    end = text.find("\n", ent.end)
    line = text[start:end if end >= 0 else len(text)].rstrip("\r")
    if "  " not in line:
        return False
    cells = [c.strip() for c in _CELL_SPLIT.split(line) if c.strip()]
    return len(cells) >= 4 and ent.text in cells and not any(_NUMBER_CELL.match(c) for c in cells)


_CELL_SPLIT = re.compile(r"[ ]{2,}|\t")
_NUMBER_CELL = re.compile(r"[\d.:/-]+$|\d")


def _not_a_drug(doc: Doc, ent: Entity) -> bool:
    """An identifier ("HGH-449102"), a pressure unit ("cm H2O"), a vaccine's disease, or a
    person's initials defined after their name ("Mei-Ling Castro (MLC)")."""
    text, raw = doc.text, ent.text
    if ("-" in raw and _IDENTIFIER.match(raw)) or (raw == "H2O" and
                                                  text[:ent.start].endswith("cm ")):
        return True
    if "vaccin" in text[ent.end:ent.end + 40].lower() and \
            _VACCINE_AFTER.match(text, ent.end, min(len(text), ent.end + 40)):
        return True
    first = raw.split(None, 1)[0]
    return first.isupper() and len(first) <= 5 and first in _initials(doc)


def _initials(doc: Doc) -> frozenset[str]:
    """Short forms defined by a capitalised long form that holds no entity: names' initials."""
    def make(text: str) -> frozenset[str]:
        from medner_cli.link.abbreviations import abbreviations
        out = set()
        for a in abbreviations(doc):
            long = text[a.long[0]:a.long[1]]
            if all(w[:1].isupper() for w in long.split()) and len(long.split()) >= 2 and \
                    not any(c.isdigit() for c in long) and \
                    not any(w.lower() in SYMPTOMS.words or _conditionish(w)
                            for w in _WORD.findall(long)):
                out.add(text[a.short[0]:a.short[1]])
        return frozenset(out)
    return doc.derived("findings_initials", make)


# --- new findings -------------------------------------------------------------------------

class _Taken:
    """Sorted, non-overlapping spans: which are free, which start where; and the list walks
    made over them (``_list_findings``): (position, limit, conditions) of each item of a walk
    that ran to the list's end."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        self.walked: set[tuple[int, int, bool]] = set()

    def free(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, end)
        return i == 0 or self.spans[i - 1][1] <= start

    def add(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.spans.insert(i, (start, end))

    def at(self, pos: int) -> tuple[int, int] | None:
        i = bisect_left(self.starts, pos)
        return self.spans[i] if i < len(self.starts) and self.starts[i] == pos else None


# skipped before a list item's finding: determiners, negations, descriptors, and verbs, degree
# words and adverbs ("chills and was sweating", "anxious, has been agitated", "more confused",
# "also sicca")
_SKIPPABLE = _DETERMINERS | frozenset((
    "has", "had", "have", "is", "was", "were", "are", "been", "being", "still", "more", "less",
    "increasingly", "very", "slightly", "somewhat", "also", "now", "ddx", "dx",
    "you", "feel", "feels", "feeling", "felt",  # "if you feel shaky"
    "prior", "previous", "one", "two", "three", "several", "multiple"))  # "and one prior SA"
# the words ``_skip_words`` may skip first (a duration starts with a number word)
_SKIPPED = _SKIPPABLE | frozenset(("one", "two", "three", "four", "five", "six", "several",
                                   "many"))


def _skip_words(text: str, pos: int, limit: int) -> int:
    """``pos`` past a duration ("two years of") and determiners, negations, descriptors and
    auxiliary verbs."""
    if pos < limit and (text[pos].isdecimal() or text[pos] in _DURATION_FIRST):
        m = _DURATION.match(text, pos, limit)
        if m:
            pos = m.end()
    while True:
        m = _MEASURE.match(text, pos, limit) if pos < limit and text[pos].isdecimal() else None
        if m:
            pos = m.end()
            continue
        m = _WORD.match(text, pos, limit)
        if not m or m.group().lower() not in _SKIPPABLE:
            return pos
        nxt = m.end()
        while nxt < limit and text[nxt] in " \t":
            nxt += 1
        if nxt == m.end():
            return pos
        pos = nxt


def _list_findings(text: str, pos: int, limit: int, taken: _Taken, diseases: set[int],
                   conditions: bool, out: list[tuple[int, int]]) -> None:
    """Symptom words (and, with ``conditions``, condition phrases) of the coordinated list at
    ``pos``; an item that is none of these (nor a Disease) ends the list. A list is walked
    once: the walk after a Disease in it ("HTN, DM, CKD") would find what this one found."""
    visited = []
    for _ in range(12):
        key = (pos, limit, conditions)
        if key in taken.walked:
            break
        visited.append(key)
        pos = _list_item(text, pos, limit, taken, diseases, conditions, out)
        if pos < 0:
            break
    else:
        return  # twelve items: a walk from one of them may go on
    taken.walked.update(visited)


def _list_item(text: str, pos: int, limit: int, taken: _Taken, diseases: set[int],
               conditions: bool, out: list[tuple[int, int]]) -> int:
    """The finding of the list item at ``pos`` added to ``out``; where the next item starts,
    or -1 when the list ends."""
    pos = _skip_words(text, pos, limit)
    span = taken.at(pos)
    if span is not None and span[0] not in diseases and text.startswith(" ", span[1]) and \
            span[1] + 1 < limit and taken.at(span[1] + 1) is None and \
            _SUBSTANCE_FIRST.match(text, span[0], span[1]):
        pos, span = span[1] + 1, None  # a substance before what it caused: "h/o etoh cirrhosis"
    if span is not None:
        if span[0] not in diseases:
            return -1
        end = span[1]
    else:
        end = SYMPTOMS.match(text, pos, limit)
        if end > 0 and conditions:  # a longer condition phrase wins ("heart failure")
            item = _condition_item(text, pos, limit)
            if item is not None and item[1] > end:
                pos, end = item
        elif end < 0:
            item = _condition_item(text, pos, limit) if conditions else None
            if item is None:
                return -1
            pos, end = item
        elif not conditions and text[pos:end].lower() in _AMBIGUOUS:
            return -1  # outside a note, "frequency" or "mass" is rarely a finding
        if text.startswith(":", end) and not _numbered(text, pos):
            return -1  # a heading's key: "HISTORY OF PRESENT ILLNESS: The patient..."
        out.append((pos, end))
    m = _SEPARATOR.match(text, end, limit)
    if not m:
        q = _QUALIFIER.match(text, end, limit)  # "frequency every hour, urgency"
        m = _SEPARATOR.match(text, q.end(), limit) if q else None
        if not m:
            return -1
    return m.end()


_NUMBER = re.compile(r"[ \t]*\d{1,2}[.)][ \t]+")


def _numbered(text: str, pos: int) -> bool:
    """Does a list number alone precede ``pos`` on its line? "3. Volume overload: increase
    furosemide" names a problem, not a heading's key."""
    low = max(0, pos - 8)
    start = text.rfind("\n", low, pos) + 1
    if start == 0 and low > 0:
        return False  # the line starts further back than a number and its spaces
    return _NUMBER.fullmatch(text, start, pos) is not None


# a substance whose disease notes write after it ("etoh cirrhosis", "alcohol hepatitis")
_SUBSTANCE_FIRST = re.compile(r"(?i:etoh|alcohol|cocaine|meth|methamphetamine|tobacco)$")
_ITEM_STOP_WORDS = frozenset((
    "with", "on", "s/p", "status", "due", "secondary", "since", "from", "in", "and", "or", "who",
    "which", "that", "diagnosed", "treated", "requiring", "resolved", "after", "last", "at",
    "for", "x", "was", "is", "were", "are", "has", "had", "removed", "repaired", "noted", "seen",
    "considered", "excluded", "confirmed", "cannot", "can", "not", "but", "improved",
    "improving", "stable", "unchanged", "and/or", "if", "as", "to", "than", "per", "without",
    "versus", "vs", "plus", "behind", "causing", "w", "ou", "od", "os", "tx", "tx'd",
    "txd", "until", "unless", "shows", "showed", "show", "revealed", "reveals", "demonstrated",
    "demonstrates")) | _DICTATED
_GAP_STOP = frozenset(",;:()[]\r\n/")
# short forms that a note writes for a disease only where a cue names a condition
# ("r/o pe", "c/b pph", "ceftriaxone 1 g for sbp", "endorses si, denies hi"); elsewhere "pe" is
# the physical exam, "sbp" a systolic pressure, "cap" a capsule, "hi" a greeting, "HA"
# hyaluronic acid, "SI" the sacroiliac joint; "denies CP" is chest pain, "hx of CP" may be
# cerebral palsy (a Disease either way; linked as chest pain)
_CUED_FORMS = frozenset(("pe", "pph", "sbp", "pad", "gad", "hit", "cap", "vt", "si", "hi",
                         "hydro", "ed", "ms", "ha")) | _AMBIGUOUS_FORMS
# "for sbp <140", "sbp 88": a pressure; a pain score is no measure ("c/o HA 8/10")
# ... but a year is none ("H/o SBP 2024")
_MEASURE_AFTER = re.compile(r"[ \t]*(?:[<>≤≥=]|goal\b|(?!(?:19|20)\d\d\b)\d(?!\d?/10\b))")


def _item_words(text: str, pos: int, limit: int) -> list[re.Match]:
    """The words of the list item at ``pos``, up to a stop word, a digit, punctuation or a
    dash between words (at most eight)."""
    words: list[re.Match] = []
    at = pos
    for _ in range(8):
        m = _WORD.match(text, at, limit)
        if not m:
            break
        w = m.group()
        if (w[0].isdigit() and not (words and words[-1].group().lower() == "type")) or (
                words and (w.lower() in _ITEM_STOP_WORDS or
                           w in ("s", "S") and text.startswith(("/p", "/P"), m.end()))):
            break
        words.append(m)
        j = m.end()
        k = j
        while k < limit and text[k] in " \t":
            k += 1
        if k == j or k >= limit or (text[k] in "-–—" and k > j) or text[k] in _GAP_STOP or \
                (text[j] == "." and k > j):
            break
        at = k
    return words


def _condition_item(text: str, pos: int, limit: int) -> tuple[int, int] | None:
    """The condition phrase heading the list item at ``pos`` ("Gout, last flare 2023" ->
    "Gout"; "Osteoarthritis of the left knee" -> "Osteoarthritis"), or None."""
    if pos >= limit or not text[pos].isalpha():
        return None
    words = _item_words(text, pos, limit)
    if not words:
        return None
    lows = [m.group().lower() for m in words]
    w0 = words[0].group()
    if w0 in _CUED_FORMS and (len(words) == 1 or lows[1] in ("ppx", "prophylaxis")) and \
            not _MEASURE_AFTER.match(text, words[0].end()):
        return words[0].span()
    if w0 in ABBREVIATIONS or w0 in LOWER_ABBREVIATIONS:  # a list goes on past "mdd" to "gad"
        return words[0].span()
    if "of" in lows:  # "osteoarthritis of the left knee": the site is left out
        k = lows.index("of")
        if 0 < k < len(lows) - 1 and _anatomy_only(lows[k + 1:], _SIDE_POSITION_OR_FUNCTION):
            words, lows = words[:k], lows[:k]
    while len(words) > 1 and (lows[-1] in _PROC_LAST or lows[-1].endswith(_PROC_SUFFIXES)):
        words, lows = words[:-1], lows[:-1]  # "inguinal hernia repair": the repair goes
    head = words[-1].group()
    if not _conditionish(head) and not ("of" in lows and lows.index("of") > 0 and
                                        _conditionish(words[lows.index("of") - 1].group())):
        return None
    span = _clean(text, pos, words[-1].end())
    if span is None or not _headed(text, *span):
        return None
    return span


def _key(key: str) -> str:
    return " ".join(key.lower().replace("’", "'").split())


def _findings_line(text: str, vs: int, ve: int, out: list[tuple[int, int]]) -> None:
    """The symptom and sign phrases in ``text[vs:ve]``."""
    pos = vs
    while pos < ve:
        m = _WORD.search(text, pos, ve)
        if not m:
            return
        end = SYMPTOMS.match(text, m.start(), ve) if m.group().lower() in SYMPTOMS.first else -1
        if end > 0:
            out.append((m.start(), end))
            pos = end
        else:
            pos = m.end()


# cue phrases: first word -> (kind, the rest as a pattern or None); "lex" cues open symptom
# lists everywhere, "cond" cues condition lists in notes: a finding marked present or absent
# ("+ orthopnea", "(-) sob"; not a grade, "2+ edema"), an exam, or a state of the patient
# ("pt anxious", "has been agitated", "still forgetful")
_CUE_PHRASES = {
    "denies": "lex", "denied": "lex", "deny": "lex", "denying": "lex", "no": "lex", "nor": "lex",
    "without": "lex", "negative for": "lex", "positive for": "lex", "reports": "lex",
    "reported": "lex", "reporting": "lex", "report": "lex", "complains of": "lex",
    "complained of": "lex", "complaining of": "lex", "c/o": "lex", "endorses": "lex",
    "endorsed": "lex", "describes": "lex", "described": "lex", "presents with": "lex",
    "presented with": "lex", "presenting with": "lex", "developed": "lex", "develops": "lex",
    "noticed": "lex", "experienced": "lex", "experiencing": "lex", "with": "lex", "prn": "lex",
    "w/": "lex", "p/w": "lex", "appears": "cond", "appeared": "cond", "looks": "cond",
    "looked": "cond", "became": "cond", "becomes": "cond", "remains": "cond",
    "remained": "cond",
    "as needed for": "lex", "call for": "lex", "return for": "lex", "monitor for": "lex",
    "call if": "lex", "return if": "lex", "expect": "lex", "notable for": "cond",
    "significant for": "cond", "remarkable for": "cond", "showed": "cond", "shows": "cond",
    "revealed": "cond", "reveals": "cond", "demonstrated": "cond", "demonstrates": "cond",
    "likely": "cond", "for": "dose",
    "history of": "cond", "h/o": "cond", "hx of": "cond", "hx": "cond",
    "possible": "cond",
    "probable": "cond", "suspected": "cond", "suspicion for": "cond", "concern for": "cond",
    "concerning for": "cond", "suspicious for": "cond", "consistent with": "cond", "c/w": "cond",
    "d/t": "cond", "passive": "cond",
    "rule out": "cond", "r/o": "cond", "evaluate for": "cond", "risks of": "cond",
    "risks including": "cond", "risk of": "cond", "diagnosed with": "cond",
    "treated for": "cond", "secondary to": "cond", "due to": "cond", "because of": "cond",
    "considered": "cond", "complicated by": "cond", "c/b": "cond", "2/2": "cond", "c/f": "cond",
    "differential includes": "cond", "ddx": "cond", "differential": "cond", "+": "cond",
    "(+)": "cond", "(-)": "cond", "exam": "cond",
    "pt": "cond", "been": "cond", "still": "cond", "?": "cond", "caused": "cond",
    "causing": "cond", "dx": "cond", "watch for": "lex", "neg for": "lex", "code": "cond",
    "while": "cond", "if": "cond", "counseled re": "cond", "counseled on": "cond",
    "counseled about": "cond", "assessment colon": "cond", "impression colon": "cond",
    "diagnosis colon": "cond", "diagnoses colon": "cond", "found": "cond",
    "feel": "lex", "feels": "lex", "feeling": "lex", "felt": "lex"}


def _cue_table() -> dict[str, list[tuple[str, re.Pattern | None]]]:
    table: dict[str, list[tuple[str, re.Pattern | None]]] = {}
    for phrase, kind in sorted(_CUE_PHRASES.items(), key=lambda kv: -len(kv[0])):
        first, _, rest = phrase.partition(" ")
        pattern = re.compile("".join(r"[ \t]+" + re.escape(w) for w in rest.split()) + r"\b") \
            if rest else None
        table.setdefault(first, []).append((kind, pattern))
    return table


# (first word, its length, its table, its first letter-and-digit run, whether it ends in a mark)
# of each cue: a cue whose run the document lacks (``word_runs``) is not searched for, and a word
# may follow a mark with no space ("+HA", "(-)ha", "?aerd", "w/htn")
_CUE_LIST = tuple((first, len(first), table, re.match(r"[a-z0-9]*", first).group().encode(),
                   not first[-1].isalnum()) for first, table in _cue_table().items())


_DOSE_BEFORE = re.compile(
    r"\d[ \t]*(?:mg|mcg|g|units?|ml|puffs?|tabs?|tablets?|drops?|capsules?)\b|\b(?:daily|"
    r"bid|tid|qid|nightly|qhs|weekly|prn|q\d+h|once|twice|at[ \t]+bedtime)\b", re.IGNORECASE)
_CLAUSE_STOP = re.compile(r"[.;:!?](?=\s|$)|\n")
# after a symptom that opens a clause, what shows it is the finding and no adjective of a noun
# ("febrile to 38.9", "tremulous, diaphoretic"; not "Agitated saline study")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w/-]*)")
_CLAUSE_GOES_ON = FUNCTION | frozenset((
    "x", "since", "overnight", "today", "tonight", "now", "again", "this", "last", "all", "but",
    "w/", "improving", "improved", "worse", "worsening", "better", "resolved", "persists",
    "persistent", "ongoing", "intermittently", "off", "up", "down", "nor"))
# after a table row's label, its unit and the columns' numbers ("Emesis (mL)    0    0")
_TABLE_ROW_AFTER = re.compile(r"[ \t]*(?:\([^()\n]{1,10}\))?[ \t]{2,}[\d.,+-]")
# a patient's age and sex before a word; the word boundary before it is tested apart, as a
# pattern that opens with one is tried at every position
_AGE_SEX = re.compile(r"\d{1,3}(?:yo|y/o|[mfMF])[ \t]+(?=[^\W\d_])")
_NOT_BEFORE_AGE = frozenset("/.,-")  # "1/2m", "3.5f": no age
# where a clause or a list item opens, and its first word: the text's start (``_TEXT_OPEN``), a
# line's, after a stop or a comma (a pattern that opens with a character class is scanned for
# fast, one that opens with a lookbehind is tried at every position)
_OPEN_REST = r"[ \t]*(?:[-*•]+[ \t]*)?(?=[^\W\d_])(" + _W + ")"
_TEXT_OPEN = re.compile(_OPEN_REST)
_CLAUSE_OPEN = re.compile(r"(?:[.;,!?][ \t]+|\n)" + _OPEN_REST)


def _clause_end(text: str, pos: int) -> int:
    """The end of the clause at ``pos``: a stop or a line break (at most 200 characters on)."""
    limit = min(len(text), pos + 200)
    m = _CLAUSE_STOP.search(text, pos, limit)
    return m.start() if m else limit


# a service, a test or a test's result named for a disease is no mention of it ("TB clinic", "HF
# team", "tb screen neg", "HCV antibody and HBsAg negative", "hbv neg")
# (the tests themselves, "HIV test", every candidate is checked for: ``_TEST_AFTER``)
_SERVICE_AFTER = re.compile(r"[ \t]+(?i:clinic|service|team|program|programme|center|centre"
                            r"|screen|screening"
                            r"|ab|antibody|antibodies|ag|antigen|rna|dna|viral[ \t]+load|vl"
                            r"|neg|negative|nonreactive|non-reactive)\b")


def _clause_openings(text: str, taken: _Taken, diseases: set[int],
                     out: list[tuple[int, int]]) -> None:
    """The lists (in notes) that a symptom opens at the start of a clause or a list item, when
    no noun follows it ("... pending.\noliguric", "last drink 1d ago, tremulous, diaphoretic",
    ", more confused"; not "Agitated saline study")."""
    n = len(text)
    first = SYMPTOMS.first
    m = _TEXT_OPEN.match(text)
    openings = _CLAUSE_OPEN.finditer(text, m.end() if m else 0)
    for m in chain((m,), openings) if m else openings:
        at = m.start(1)
        word = m.group(1).lower()
        if word in _SKIPPED:  # ", more confused", ". mild dysuria"
            at = _skip_words(text, at, n)
            w = _WORD.match(text, at)
            word = w.group().lower() if w else ""
        if word in first and word not in _AMBIGUOUS:
            stop = _clause_end(text, m.start(1))
            end = SYMPTOMS.match(text, at, stop)
            nxt = _NEXT_WORD.match(text, end) if end > 0 else None
            if end > 0 and (nxt is None or  # "x2": a count goes on as "x 2" does
                            nxt.group(1).lower().rstrip("0123456789") in _CLAUSE_GOES_ON) and \
                    not _TABLE_ROW_AFTER.match(text, end):
                _list_findings(text, m.start(1), stop, taken, diseases, True, out)


def _candidates(doc: Doc, taken: _Taken, diseases: set[int], note: bool,
                chemicals: frozenset[int]) -> list[tuple[int, int]]:
    text = doc.text
    n = len(text)
    out: list[tuple[int, int]] = []
    keyed: set[int] = set()  # starts of "Key:" keys (an abbreviation there is a heading)
    if note:
        _layout_candidates(text, taken, diseases, out, keyed)
    low = text.lower()
    if len(low) != n:  # a character whose lower case is longer: scan as written
        low = text
    starts = []
    runs = word_runs(doc)
    for first, k, table, run, mark in _CUE_LIST:  # cue words, found with str.find (fast)
        if run and run not in runs:
            continue
        i = low.find(first)
        while i >= 0:
            j = i + k
            if (i == 0 or not low[i - 1].isalnum()) and (j >= n or mark or not low[j].isalnum()):
                starts.append((i, j, table, mark))
            i = low.find(first, j)
    starts.sort(key=lambda x: x[0])
    for i, j, table, mark in starts:
        for kind, rest in table:
            end = j
            if rest is not None:
                r = rest.match(low, end)
                if r is None:
                    continue
                end = r.end()
            if kind != "lex" and not note:
                break
            if kind == "dose" and not _DOSE_BEFORE.search(
                    text, max(0, text.rfind("\n", 0, i) + 1, i - 80), i):
                break  # "for" names an indication only after a dose ("20 mg daily for")
            if end < n and (text[end] in " \t" or rest is None and mark and text[end].isalpha()) \
                    and not _heading_line(text, i):
                start = end
                while start < n and text[start] in " \t":
                    start += 1
                _list_findings(text, start, _clause_end(text, start), taken, diseases, note, out)
            break
    if note:
        _clause_openings(text, taken, diseases, out)
        for m in _AGE_SEX.finditer(text):  # "45f graves disease", "44m acute pancreatitis"
            if m.start() == 0 or (text[m.start() - 1] not in _NOT_BEFORE_AGE and
                                  not _WORD_CHAR.match(text[m.start() - 1])):
                _list_findings(text, m.end(), _clause_end(text, m.end()), taken, diseases, True,
                               out)
    for start, end in list(taken.spans):  # lists continuing after a Disease
        if start in diseases and end < n and text[end] in " ,/\t":
            sep = _SEPARATOR.match(text, end, min(n, end + 8))
            if sep is None and (count := _COUNT_AFTER.match(text, end)):  # "ADENOMA X2 AND"
                sep = _SEPARATOR.match(text, count.end(), min(n, count.end() + 8))
            if sep:
                _list_findings(text, sep.end(), _clause_end(text, sep.end()), taken, diseases,
                               note, out)
    if low is text or "abete" in low:  # (a, b, e and t have no other case forms)
        out.extend(_typed_diabetes(text, low))  # the model hesitates over "type 2" and drops it
    if not note:
        return out
    for s, e in _abbreviation_forms(doc):  # "HTN", "AFib", and "htn", "n/v/d"
        word = text[s:e]
        if not (s in keyed and text.startswith(":", e)) and word not in _defined(doc) and not (
                word in _UNIT_LIKE and _AFTER_NUMBER.search(text, max(0, s - 4), s)) and \
                not _SERVICE_AFTER.match(text, e) and not _vaccine(text, e):  # "hep B vaccine"
            out.append((s, e))
    for s, e in _TREATED_FORMS.occurrences(doc):  # "RA on MTX": a disease a drug treats
        m = _ON_DRUG.match(text, e)
        if m is not None and m.end() in chemicals and text[s:e] not in _defined(doc):
            out.append((s, e))
    for unit in ("mm", "cm"):  # "a 4 mm stone", "1.4 cm left adrenal nodule"
        i = low.find(unit)
        while i >= 0:
            j = i + 2
            if j < n and text[j] in " \t" and i >= 2 and (
                    text[i - 1].isdigit() or (text[i - 1] in " \t" and text[i - 2].isdigit())):
                while j < n and text[j] in " \t":
                    j += 1
                span = _measured(text, j)
                if span:
                    out.append(span)
            i = low.find(unit, i + 2)
    if not _DISORDER_RUNS.isdisjoint(runs):  # "opioid overdose", "polysubstance abuse"
        out.extend(m.span() for m in _CLASS_DISORDER.finditer(low))
    if b"fall" in runs or b"falls" in runs:  # "fall precautions", "2 falls in 3 mo"
        out.extend(m.span(m.lastindex) for m in _FALLS.finditer(low))
    if not _FUSED_RUNS.isdisjoint(runs):  # "ckd3b": the stage goes, as "CKD stage 3b"'s does
        out.extend(m.span(m.lastindex) for m in _FUSED.finditer(low))
    for s, e in _states_before_person(text, low):  # "Pleasant, obese man", "diaphoretic woman"
        if text[s:e].lower() in SYMPTOMS.phrases:
            out.append((s, e))
    return out


def _states_before_person(text: str, low: str) -> list[tuple[int, int]]:
    """What ``re.finditer(r"\\b([^\\W\\d_]{4,})[ \\t]+" + _PERSONS, text, re.I)`` captures: a word
    of four letters or more before a person word; found from the person words back, since that
    pattern, tried at every word, was a tenth of this step's time. ``low`` is ``text`` lower-cased
    (or ``text`` itself where that changes its length)."""
    out: list[tuple[int, int]] = []
    last = 0
    for end, after in _person_words(text, low):
        start = end
        while start > 0 and _STATE_CHAR.match(text[start - 1]):
            start -= 1
        if end - start >= 4 and start >= last and not (start and _WORD_CHAR.match(text[start - 1])):
            out.append((start, end))
            last = after
    return out


def _person_words(text: str, low: str) -> list[tuple[int, int]]:
    """The spans of ``_PERSON.finditer(text)`` (spaces, then a person word), in order; looked
    up with ``str.find`` in ``low`` unless a character's lower case is not one character or is
    dotless i, which ``re.IGNORECASE`` matches to i."""
    if low is text or "\u0131" in text:
        return [m.span() for m in _PERSON.finditer(text)]
    n = len(low)
    spans = []
    for word in _PERSON_WORDS:
        i = low.find(word)
        while i >= 0:
            j = i + len(word)
            if i and low[i - 1] in " \t" and not (j < n and _WORD_CHAR.match(low[j])):
                s = i - 1
                while s > 0 and low[s - 1] in " \t":
                    s -= 1
                spans.append((s, j))
            i = low.find(word, j)
    spans.sort()
    return spans


# a stage or a class fused to its abbreviation ("ckd3b" is CKD, "A1GDM" GDM), and the word runs
# it can be
_FUSED = re.compile(r"\b(?:(ckd)[1-5][ab]?|a[12](gdm))\b")
_FUSED_RUNS = frozenset([f"ckd{n}{x}".encode() for n in "12345" for x in ("", "a", "b")]
                        + [b"a1gdm", b"a2gdm"])
# a fall guarded against ("fall precautions", "high fall risk": hypothetical, by the assertion
# step), falls counted ("2 falls in 3 mo", "falls x3", "recurrent falls") and a fall as an event
# ("a fall at home", "mechanical fall from standing") are the Disease "fall"
_FALLS = re.compile(
    r"\b(falls?)[ \t]+(?:precautions|risk|prevention)\b"
    r"|\b(?:\d+|two|three|four|five|several|multiple|recurrent|frequent|repeated)[ \t]+(falls)\b"
    r"|\b(falls)[ \t]*x[ \t]?\d"
    r"|\b(?:a|mechanical|ground-level|unwitnessed|witnessed)[ \t]+(fall)"
    r"(?=[ \t]+(?:at|from|with|while|on|down|in[ \t]+(?:19|20)\d\d|last[ \t]+(?:week|month|year)))")
_TYPED_DIABETES = re.compile(
    r"type[ \t-]*(?:1|2|i{1,2}|one|two)[ \t]+diabetes(?:[ \t]+mellitus)?\b", re.IGNORECASE)


def _typed_diabetes(text: str, low: str) -> list[tuple[int, int]]:
    """The spans of "type 2 diabetes" and its kin as whole words, tried only where ``low``
    (``text`` lower-cased, or ``text`` itself where that changes its length) has "type"."""
    if low is text:
        return [m.span() for m in _TYPED_DIABETES.finditer(text)
                if not (m.start() and _WORD_CHAR.match(text[m.start() - 1]))]
    out = []
    i = low.find("type")
    while i >= 0:
        m = None if i and _WORD_CHAR.match(text[i - 1]) else _TYPED_DIABETES.match(text, i)
        if m:
            out.append(m.span())
        i = low.find("type", m.end() if m else i + 1)
    return out
# a symptom adjective that describes the patient on examination (``_states_before_person``)
_PERSON_WORDS = ("man", "woman", "male", "female", "gentleman", "lady", "patient", "boy", "girl",
                 "child", "infant", "toddler")
_PERSONS = "(?:" + "|".join(_PERSON_WORDS) + r")\b"
_PERSON = re.compile(r"[ \t]+" + _PERSONS, re.IGNORECASE)
_STATE_CHAR = re.compile(r"[^\W\d_]")
_WORD_CHAR = re.compile(r"\w")


def _heading_line(text: str, pos: int) -> bool:
    """Is the line at ``pos`` a heading ("HISTORY OF PRESENT ILLNESS")?"""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:end if end >= 0 else len(text)].strip()
    return line.isupper() and not line.endswith(".") and line.count(" ") <= 5


def _measured(text: str, pos: int) -> tuple[int, int] | None:
    """The pathology noun (with its organ words) within three words after a size."""
    limit = min(len(text), pos + 60)
    for _ in range(4):
        m = _WORD.match(text, pos, limit)
        if not m:
            return None
        low = m.group().lower()
        if low in IMAGING_HEADS:
            start = m.start()
            b = word_before(text, start, pos - 1)
            if b and b[1].lower().endswith(("al", "ic")) and b[1].lower() not in POSITIONS \
                    and b[1].lower() not in SIDES:
                start = b[0]  # "renal calculus", "periappendiceal abscess"
            return start, m.end()
        nxt = m.end()
        while nxt < limit and text[nxt] in " \t":
            nxt += 1
        if nxt == m.end() or low in FUNCTION:
            return None
        pos = nxt
    return None


_KEY = re.compile(r"[^\W\d_][\w /&'’-]{0,40}")
_KEY_PAREN = re.compile(r"[ \t]*\([^()]{0,20}\)[ \t]*$")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, its line break (and a CR) left out."""
    out, pos, n = [], 0, len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        out.append((pos, end - 1 if end > pos and text[end - 1] == "\r" else end))
        if nl < 0:
            break
        pos = nl + 1
    return out


def _layout_candidates(text: str, taken: _Taken, diseases: set[int],
                       out: list[tuple[int, int]], keyed: set[int]) -> None:
    lines = _lines(text)
    section = None  # the problem or allergy heading whose items follow
    for ls, le in lines:
        if ls == le or not text[ls:le].strip():
            section = None
            continue
        colon = text.find(":", ls, le)
        if colon >= 0 and text.find(". ", ls, le) >= 0:
            _inline_problems(text, ls, le, taken, diseases, out)
        item = _ITEM.match(text, ls, le).end()
        if section is not None and (item > ls or colon < 0 or section in ALLERGY_KEYS):
            if section in ALLERGY_KEYS:
                _reactions(text, item, le, taken, diseases, out)
            else:
                _list_findings(text, item, le, taken, diseases, True, out)
            if colon < 0:
                continue
        if colon < 0 or colon - item > 45:
            heading = _key(text[item:le].rstrip(": \t#")) if le - item < 50 else ""
            if heading.startswith(("allergies", "allergy")):
                heading = "allergies"  # "ALLERGIES / INTOLERANCES"
            section = heading if heading in PROBLEM_SECTIONS or heading in ALLERGY_KEYS else \
                None
            continue
        raw = text[item:colon]
        paren = _KEY_PAREN.search(raw)
        if paren:
            raw = raw[:paren.start()]
        raw = raw.rstrip(" \t")
        if not raw or not _KEY.fullmatch(raw):
            continue
        ks, ke = item, item + len(raw)
        vs, ve = colon + 1, le
        while vs < ve and text[vs] in " \t":
            vs += 1
        if item == ls:  # "PE: well appearing" is an exam heading; "5. GERD: diet" an item
            keyed.add(ks)
        key = _key(raw)
        words = key.split()
        if vs == ve:  # "PAST MEDICAL HISTORY:" heads the lines that follow
            if words[0] in ("allergies", "allergy"):
                key = "allergies"
            section = key if key in PROBLEM_SECTIONS or key in ALLERGY_KEYS else None
            continue
        if key in ALLERGY_KEYS or words[0] in ("allergies", "allergy"):
            _reactions(text, vs, ve, taken, diseases, out)
        elif key in SYSTEMS or words[0] in ("exam", "examination") or \
                any(w in IMAGING_KEYS for w in words) or \
                _anatomy_only(words, _SIDE_POSITION_OR_FUNCTION):
            _findings_line(text, vs, ve, out)
            if any(w in IMAGING_KEYS for w in words):  # a study's reading opens with its
                _list_findings(text, vs, _clause_end(text, vs), taken, diseases, True, out)
        elif (SYMPTOMS.match(text, ks, ke) == ke or (
                len(words) > 1 and words[-1] in SITE_HEADS and _anatomy_only(words[:-1], SIDES)
        )) and _ANSWER.match(text, vs, ve):  # "Chills: no", "Hip pain: yes"
            out.append((ks, ke))
        elif key in PROBLEM_SECTIONS or key in RELATIVES or words[0] in RELATIVES:
            _list_findings(text, vs, ve, taken, diseases, True, out)


# a heading after a sentence on the same line: "OPERATIVE NOTE. POSTOPERATIVE DIAGNOSIS: ..."
_INLINE_KEY = re.compile(r"[.;][ \t]+([^\W\d_][^.;:\r\n]{0,40}):(?![\d/])")


def _inline_problems(text: str, ls: int, le: int, taken: _Taken, diseases: set[int],
                     out: list[tuple[int, int]]) -> None:
    """The findings listed after a diagnosis or problem heading that follows a sentence on its
    line, up to the next such heading."""
    keys = list(_INLINE_KEY.finditer(text, ls, le))
    for k, m in enumerate(keys):
        if _key(m.group(1)) in PROBLEM_SECTIONS:
            end = keys[k + 1].start() + 1 if k + 1 < len(keys) else le
            start = m.end()
            while start < end and text[start] in " \t":
                start += 1
            _list_findings(text, start, end, taken, diseases, True, out)


_REACTION_DASH = re.compile(r"[ \t]+[-–—][ \t]+|[ \t]*->[ \t]*")


def _reactions(text: str, vs: int, ve: int, taken: _Taken, diseases: set[int],
               out: list[tuple[int, int]]) -> None:
    """Reactions in an allergy line: "penicillin (hives, 1988)", "Ciprofloxacin: tendon pain",
    "Keflex - anaphylaxis; sulfa - rash"."""
    colon = text.find(":", vs, ve)
    start = vs if colon < 0 else colon + 1 + (text[colon + 1:colon + 2] == " ")
    _list_findings(text, start, ve, taken, diseases, True, out)
    for m in _REACTION_DASH.finditer(text, start, ve):  # each allergen's own reaction
        stop = text.find(";", m.end(), ve)
        _list_findings(text, m.end(), ve if stop < 0 else stop, taken, diseases, True, out)
    at = text.find("(", vs, ve)
    while at >= 0:
        close = text.find(")", at, ve)
        if close < 0:
            return
        _list_findings(text, at + 1, close, taken, diseases, True, out)
        at = text.find("(", close, ve)


def _defined(doc: Doc) -> frozenset[str]:
    """Short forms the document defines ("benign prostatic hyperplasia (BPH)")."""
    def make(text: str) -> frozenset[str]:
        from medner_cli.link.abbreviations import abbreviations
        return frozenset(text[a.short[0]:a.short[1]] for a in abbreviations(doc))
    return doc.derived("findings_defined", make)


NOTE_MIN_LINE_BREAKS = 4
SHORT_TEXT = 500  # characters: a sentence or a line, whose genre its words must tell
_ACADEMIC = _entries("findings_genre_academic.txt")
_SHARED = _entries("findings_genre_shared.txt")
_CLINICAL = _entries("findings_genre_clinical.txt")
_ABSTRACT_KEYS = _entries("findings_genre_keys.txt")
_GENRE_WORD = re.compile(r"[a-z][a-z/\-]*|x\d")
_LEADING_KEY = re.compile(_ITEM.pattern + r"([A-Za-z][A-Za-z /&-]{0,30}):")


def _dictated(text: str) -> bool:
    """Is ``text`` a dictation that speaks its punctuation ("... cough comma fever period"), which
    runs on in one paragraph as an abstract does? No abstract says "comma"."""
    low = text.lower()
    return (" comma " in low or "new paragraph" in low) and low.count(" period") >= 2


def note_layout(text: str) -> bool:
    """Is ``text`` clinical note text rather than an abstract? The notes gold departs from
    BC5CDR on span conventions (kept chronicity and type words, body sites, lab analytes), so
    those rules follow the document's genre. A note has several lines; an abstract is one long
    paragraph. A short text (a note cut into sentences or lines has no layout left) is note
    text when it starts with a list marker or a "Key:" that is no abstract heading, is written
    in capitals, or has more words of notes than of research prose (words both use count
    half), or none of the latter. A long text is note text when it is a dictation."""
    if text.count("\n") >= NOTE_MIN_LINE_BREAKS:
        return True
    if len(text) >= SHORT_TEXT:
        return _dictated(text)
    key = _LEADING_KEY.match(text)
    if key is not None:
        return " ".join(key.group(1).lower().split()) not in _ABSTRACT_KEYS
    if _ITEM.match(text).group().strip():  # a list marker leads
        return True
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        return True
    academic, clinical = _genre_words(text)
    return academic == 0 or clinical > academic


def _genre_words(text: str) -> tuple[float, int]:
    """(words of research prose, words of notes) in ``text``; a word both use counts half."""
    words = _GENRE_WORD.findall(text.lower())
    academic = sum(w in _ACADEMIC for w in words) + 0.5 * sum(w in _SHARED for w in words)
    return academic, sum(w in _CLINICAL for w in words)


def research_prose(text: str) -> bool:
    """Is ``text`` surely an abstract: a long paragraph without note layout whose words are
    more of research prose than of notes? A note exported as one line has the length and no
    layout, but not the words."""
    if len(text) < SHORT_TEXT or note_layout(text):
        return False
    academic, clinical = _genre_words(text)
    return academic > clinical


_AFTER_NUMBER = re.compile(r"(?<![/\d.])\d+(?:\.\d+)?[ \t]+$")  # not "2/2" (secondary to)
# shorthand heads of notes: "bipolar d/o" (disorder), "prostate ca" (cancer), "bone mets"
# (metastases), "hip fx" (fracture), not before a value ("Ca 8.9", "CA 19-9")
_SHORTHAND_HEADS = WholeForms(("d/o", "ca", "Ca", "CA", "mets", "Mets", "METS", "fx", "Fx", "FX"),
                              not_before="_/-")
_VALUE_AFTER = re.compile(r"[ \t]*[:=]?[ \t]*[\d<>]")
_HEAD_STOP = _ITEM_STOP_WORDS | _DETERMINERS | frozenset(("hx", "pmh", "known", "of"))


def _shorthand_heads(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` with each shorthand head and what it is of as one Disease: one or two words
    before "d/o" ("etoh use d/o"), a body site or a site adjective before "ca" or "mets",
    any word before "fx"; entities inside the span give way ("seizure d" of "seizure d/o", a
    Chemical "etoh" of "etoh use d/o"), one reaching past it keeps it."""
    text = doc.text
    out = list(found)
    for hs, he in _SHORTHAND_HEADS.find(doc):
        if _VALUE_AFTER.match(text, he):
            continue
        head = text[hs:he].lower()
        start, at = None, hs
        for _ in range(2 if head == "d/o" else 1):
            before = word_before(text, at, 0)
            if before is None:
                break
            k, word = before
            low = word.lower()
            if len(word) < 2 or not word.isalpha() or low in _HEAD_STOP or (
                    head in ("ca", "mets") and low not in ANATOMY.words and
                    not _MODIFIER.fullmatch(word)):
                break
            start = at = k
        if start is None:
            continue
        before = word_before(text, start, 0)
        if before is not None and before[1].lower() in KEEP_BEFORE:
            start = before[0]  # "metastatic pancreatic ca", "recurrent bladder ca"
        end = he
        over = [e for e in out if e.start < end and start < e.end]
        if any(e.start < start or e.end > end + 2 for e in over):
            continue
        gone = {id(e) for e in over}
        out = [e for e in out if id(e) not in gone]
        out.append(doc.span(start, end, "Disease", score=1.0, source="rule"))
    out.sort(key=lambda e: (e.start, e.end))
    return out


# --- the step -----------------------------------------------------------------------------

def note_findings(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` with the model's Disease spans cut, trimmed, dropped or extended, its
    Chemicals cleaned, and symptom, sign and condition mentions added in clinical contexts
    (see the module docstring); no entity overlaps another."""
    text = doc.text
    note = doc.derived("note_layout", note_layout)
    fixed: list[Entity] = []
    others = sorted((e for e in found if e.source != "model" or e.label != "Chemical"),
                    key=lambda e: e.start)
    starts = [e.start for e in others]
    chemical_starts = frozenset(e.start for e in found if e.label == "Chemical")
    joined: set[int] = set()  # ids of the entities a combination took in
    for ent in found:
        if id(ent) in joined:
            continue
        if ent.source != "model" or ent.label not in ("Disease", "Chemical"):
            fixed.append(ent)
        elif ent.label == "Chemical":
            i = bisect_left(starts, ent.end)
            nxt = others[i] if i < len(others) else None
            pieces = _line_pieces(doc, ent) if note and "\n" in ent.text else [ent]
            if note and ("comma" in ent.text or ent.text[:6].lower() == "colon "):
                # a dictation's list: "tiotropium comma albuterol"; "colon codeine"
                pieces = [doc.span(s, e, ent.label, score=ent.score, source=ent.source)
                          for p in pieces for s, e in _spoken_commas(p) if e > s]
            for piece in pieces:
                new = _chemical(doc, piece, note, nxt, chemical_starts)
                if new is not None:
                    fixed.append(new)
                    if nxt is not None and new.end == nxt.end and new.start < nxt.start:
                        joined.add(id(nxt))
        elif not (note and (_person(text, ent) or _table_header(text, ent) or
                            _TEST_AFTER.match(text, ent.end) or _vaccine(text, ent.end) or
                            _vaccine_field(text, ent.start) or _labor_unit(text, ent))):
            for s, e in _pieces(text, ent, note):
                span = _clean(text, s, e, 0, note)
                if span is None:
                    continue
                if span == (ent.start, ent.end):
                    fixed.append(ent)
                else:
                    fixed.append(doc.span(*span, "Disease", score=ent.score, source=ent.source))
    fixed.sort(key=lambda e: (e.start, e.end))
    fixed = _coordinated(doc, fixed)
    if note:
        fixed = _merge_and_extend(doc, fixed)
        if "/" in text:
            fixed = _slash_shorthands_whole(doc, fixed)
        fixed = _shorthand_heads(doc, fixed)
        fixed = _substance_disorders(doc, fixed)
    spans = [(e.start, e.end) for e in fixed]
    diseases = {e.start for e in fixed if e.label == "Disease"}
    taken = _Taken(list(spans))
    added = []
    chemicals = frozenset(e.start for e in fixed if e.label == "Chemical") if note else frozenset()
    for s, e in _candidates(doc, taken, diseases, note, chemicals):
        if e > s and taken.free(s, e) and not (note and _TEST_AFTER.match(text, e)):
            taken.add(s, e)
            added.append((s, e))
    if not added:
        return _slash_pairs_whole(doc, fixed) if note and "/" in text else fixed
    out = list(fixed)
    bounds = taken.spans
    for s, e in added:
        if note:
            i = bisect_left(taken.starts, s)
            lo = bounds[i - 1][1] if i else 0
            hi = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
            s, e = _extend(text, s, e, lo, hi)
        out.append(doc.span(s, e, "Disease", score=1.0, source="rule"))
    out.sort(key=lambda e: (e.start, e.end))
    return _slash_pairs_whole(doc, out) if note and "/" in text else out


def _slash_pairs_whole(doc: Doc, ents: list[Entity]) -> list[Entity]:
    """``ents`` (in order) with Diseases joined by a bare slash in lower case made one span, as
    a note's shorthand item ("fever/chills", "cp/sob", "melena/hematemesis", as "n/v/d" is);
    written with a capital the two stay apart ("Nausea/vomiting", "DVT/PE"), but for two symptoms
    in capitals ("NAUSEA/VOMITING")."""
    text = doc.text
    out: list[Entity] = []
    for ent in ents:
        prev = out[-1] if out else None
        if prev is not None and ent.label == prev.label == "Disease" and \
                text[prev.end:ent.start] == "/" and (text[prev.start:ent.end].islower() or (
                    text[prev.start:ent.end].isupper() and _symptom(text, prev) and
                    _symptom(text, ent))):  # "NAUSEA/VOMITING" of a note in capitals
            source = prev.source if prev.source == ent.source else "rule"
            out[-1] = doc.span(prev.start, ent.end, "Disease", score=min(prev.score, ent.score),
                               source=source)
            continue
        out.append(ent)
    return out


# an adjective by its ending, as the modifiers that share a disease head are ("renal",
# "hepatic", "cardiac", "tubular", "venous", "respiratory", "subarachnoid"); a singular body
# part is one too ("leg and back pain", "breast or ovarian cancer")
_MODIFIER = re.compile(r"[^\W\d_]{2,}(?:al|ic|ac|ar|ory|ous|oid|ive)", re.IGNORECASE)
_CONJUNCTION_BEFORE = re.compile(r"(?:[ \t]*,)?[ \t]+(?:and|or|and/or)[ \t]+$")
_COMMA_BEFORE = re.compile(r"[ \t]*,[ \t]*$")
# adjectives that say how a case went or was seen, not the site or kind of the disease
_CASE_ADJECTIVES = DESCRIPTORS | frozenset((
    "clinical", "subclinical", "experimental", "typical", "atypical", "general", "total",
    "normal", "abnormal", "potential", "initial", "usual", "unusual", "original", "final",
    "physical", "fatal", "nonfatal", "non-fatal", "lethal", "nonlethal", "serious", "similar",
    "positive", "negative", "additional", "individual", "statistical", "symptomatic",
    "asymptomatic", "sporadic"))


def _modifier(word: str) -> bool:
    """Is ``word`` a modifier that coordinated mentions may share a head after?"""
    low = word.lower()
    singular_part = low in ANATOMY.phrases and not (low[-1:] == "s" and low[:-1] in ANATOMY.phrases)
    return ((_MODIFIER.fullmatch(word) is not None or singular_part)
            and low not in _CASE_ADJECTIVES and not _conditionish(word))


# after a substance, what makes it a disorder: the notes guideline's one Disease ("EtOH use
# disorder", "etoh withdrawal", "cocaine intoxication")
_DISORDER_AFTER = re.compile(
    r"[ \t]+(?:use[ \t]+(?:disorder|d/o)|abuse|dependence|withdrawal|intoxication|overdose"
    r"|deficiency|def)\b",  # a nutrient's lack: "vit D deficiency", "iron def anemia"
    re.IGNORECASE)


# substances and their classes before a disorder word, with or without a model entity to start
# from: "opioid overdose", "benzodiazepine withdrawal", "tobacco use disorder"
_SUBSTANCE_CLASSES = frozenset(v for base in (
    "alcohol", "opioid", "opiate", "benzodiazepine", "benzo", "stimulant", "cannabis",
    "polysubstance", "substance", "drug", "amphetamine", "methamphetamine", "cocaine", "heroin",
    "tobacco", "nicotine") for v in (base, base + "s"))
_CLASS_BEFORE = re.compile(r"([^\W\d_]+)[ \t]+$")
_DISORDER_RUNS = frozenset((b"overdose", b"withdrawal", b"abuse", b"dependence",
                            b"intoxication", b"disorder"))
_CLASS_DISORDER = re.compile(  # in lower-cased note text
    r"(?<![\w-])(?:" + "|".join(sorted(_SUBSTANCE_CLASSES, key=len, reverse=True)) + ")"
    + _DISORDER_AFTER.pattern)


def _class_before(text: str, start: int, lo: int) -> int | None:
    """Where the class of substances ending one space or tab before ``start`` begins (not
    before ``lo``), or None."""
    m = _CLASS_BEFORE.search(text, max(lo, start - 20), start)
    if m is None or m.start(1) > 0 and text[m.start(1) - 1].isalpha():
        return None
    word = m.group(1).lower()
    return m.start(1) if word in _SUBSTANCE_CLASSES or word in DRUG_CLASSES else None


def _substance_disorders(doc: Doc, ents: list[Entity]) -> list[Entity]:
    """A Chemical (of any step) with a disorder word after it ("EtOH use disorder") made one
    Disease with it; entities inside the words after it ("withdrawal") go into it. A Disease
    that is the disorder word alone takes in the substance class before it ("opioid
    overdose")."""
    text = doc.text
    out: list[Entity] = []
    end = -1  # where the last disorder made here ends
    for ent in ents:
        if ent.label == "Disease" and _DISORDER_AFTER.fullmatch(" " + ent.text):
            at = _class_before(text, ent.start, out[-1].end if out else 0)
            if at is not None:
                ent = doc.span(at, ent.end, "Disease", score=ent.score, source=ent.source)
        if ent.start < end:
            if ent.end > end:  # "withdrawal seizures": the disorder takes in the rest
                end = ent.end
                out[-1] = doc.span(out[-1].start, end, "Disease", score=out[-1].score,
                                   source="rule")
            continue
        m = _DISORDER_AFTER.match(text, ent.end) if ent.label == "Chemical" else None
        if m is None:
            out.append(ent)
            continue
        end = m.end()
        out.append(doc.span(ent.start, end, "Disease", score=ent.score, source="rule"))
    return out


def _coordinated(doc: Doc, ents: list[Entity]) -> list[Entity]:
    """A model Disease that begins with a modifier, extended left over the modifiers
    coordinated with it: the model tags "hepatic toxicity" of "renal or hepatic toxicity",
    "peripheral neuropathy" (and "optic") of "optic and peripheral neuropathy", and the
    guideline's composite mention is the whole. A modifier the model tagged alone is taken in;
    any other entity stops the extension."""
    text = doc.text
    out: list[Entity] = []
    for ent in ents:
        first = _WORD.match(ent.text) if (ent.label, ent.source) == ("Disease", "model") else None
        if first is None or _WORD.search(ent.text, first.end()) is None or \
                not _modifier(first.group()):
            out.append(ent)
            continue
        start, conjunction = ent.start, _CONJUNCTION_BEFORE
        while True:
            # not past the entity before, unless it is a model Disease that may be taken in
            lo = 0 if not out else out[-1].start if (out[-1].label, out[-1].source) == (
                "Disease", "model") else out[-1].end
            m = conjunction.search(text, max(lo, start - 12), start)
            if m is None:
                break
            k = m.start()
            while k > lo and (text[k - 1].isalnum() or text[k - 1] in "-'’"):
                k -= 1
            if not _modifier(text[k:m.start()]):
                break
            if out and out[-1].end > k:  # the modifier is an entity: only a model Disease alone
                alone = out[-1]
                if (alone.label, alone.source, alone.start, alone.end) != \
                        ("Disease", "model", k, m.start()):
                    break
                out.pop()
            start, conjunction = k, _COMMA_BEFORE  # "myoclonic, atonic, and ...": commas on
        out.append(ent if start == ent.start else
                   doc.span(start, ent.end, "Disease", score=ent.score, source="model"))
    return out


def _abbreviation_forms(doc: Doc) -> list[tuple[int, int]]:
    """The disease abbreviations of the document (``_ABBREVIATION_FORMS``), found once."""
    return doc.derived("disease_abbreviation_forms", lambda _: _ABBREVIATION_FORMS.find(doc))


def _slash_shorthands_whole(doc: Doc, ents: list[Entity]) -> list[Entity]:
    """``ents`` less the model Diseases inside a slash shorthand ("si" of "si/hi", copied
    there from "+si"), so that the shorthand is found whole."""
    text = doc.text
    forms = [(s, e) for s, e in _abbreviation_forms(doc) if "/" in text[s:e]]
    if not forms:
        return ents
    return [x for x in ents if not (x.label == "Disease" and x.source == "model" and any(
        s <= x.start and x.end <= e and e - s > x.end - x.start for s, e in forms))]


def _symptom(text: str, ent: Entity) -> bool:
    return SYMPTOMS.match(text, ent.start, ent.end) == ent.end


def _eponym_end(mention: str) -> bool:
    """Does ``mention`` end in a capitalised name ("secondary Sjogren", "Hashimoto")?"""
    last = mention.rsplit(None, 1)[-1].rsplit("-", 1)[-1]
    return len(last) > 2 and last[0].isupper() and last[1:].islower()


_RELATED_GAP = re.compile(r"-(?:related|associated)[ \t]+", re.IGNORECASE)


def _merge_and_extend(doc: Doc, ents: list[Entity]) -> list[Entity]:
    """Model Disease spans one space apart merged (unless both are symptoms), or joined by
    "-related" or "-associated" ("cancer-related pain"), then each extended (``_extend``)."""
    text = doc.text
    merged: list[Entity] = []
    for ent in ents:
        if merged and ent.start < merged[-1].end:  # a cut piece met its neighbour
            if ent.source == "model" and ent.label != "Dosage":
                continue
            if merged[-1].source == "model" and merged[-1].label != "Dosage":
                merged.pop()
        if merged and ent.label == "Disease" and ent.source == "model":
            prev = merged[-1]
            if prev.label == "Disease" and prev.source == "model" and \
                    _RELATED_GAP.fullmatch(text, prev.end, ent.start):
                merged[-1] = doc.span(prev.start, ent.end, "Disease", score=min(
                    prev.score, ent.score), source="model")  # "cancer-related pain"
                continue
            if prev.label == "Disease" and prev.source == "model" and \
                    text[prev.end:ent.start] in (" ", "’ ", "' ") and not (
                    _symptom(text, prev) and _symptom(text, ent) and  # "fevers chills": two
                    not _ADJECTIVE_END.search(text, prev.start, prev.end)):
                merged[-1] = doc.span(prev.start, ent.end, "Disease", score=min(
                    prev.score, ent.score), source="model")
                continue
        merged.append(ent)
    out: list[Entity] = []
    for i, ent in enumerate(merged):
        if ent.label != "Disease" or ent.source != "model":
            out.append(ent)
            continue
        lo = out[-1].end if out else 0
        hi = merged[i + 1].start if i + 1 < len(merged) else len(text)
        s, e = _extend(text, ent.start, ent.end, lo, hi)
        if text[e:e + 2] in ("'s", "’s") and e + 2 <= hi and not _WORD_CHAR.match(
                text, e + 2) and _eponym_end(text[s:e]):
            e += 2  # an eponym's possessive: "secondary Sjogren's"
        out.append(ent if (s, e) == (ent.start, ent.end) else
                   doc.span(s, e, "Disease", score=ent.score, source=ent.source))
    return out
