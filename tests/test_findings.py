"""The note-aware finding rules (medner_cli/rules/findings.py), one table per rule.

Each case is a short text written for the test, the model's entities in it (as substrings) and
the entities expected after the step. Texts of several lines are laid out as notes; a one-line
text reads as an abstract, where only the genre-neutral rules run.
"""

from __future__ import annotations

import re

import pytest

from medner_cli.doc import Doc, Entity
from medner_cli.pipeline import Pipeline
from medner_cli.rules import findings
from medner_cli.rules.findings import note_findings, note_layout

HEADER = "CLINIC NOTE\nPatient: (synthetic)\nDate: 01/01/2025\n\n"  # makes a text a note


def _locate(text: str, needle: str, nth: int = 0) -> int:
    at = -1
    for _ in range(nth + 1):
        at = text.find(needle, at + 1)
        assert at >= 0, f"{needle!r} not in the case text"
    return at


def _doc(text: str, model: list[tuple], source: str = "model") -> Doc:
    doc = Doc("case", text)
    for item in model:
        needle, label = item[0], item[1]
        start = _locate(text, needle, item[2] if len(item) > 2 else 0)
        doc.entities.append(doc.span(start, start + len(needle), label, source=source))
    return doc


def _run(text: str, model: list[tuple]) -> tuple[Doc, list[Entity]]:
    doc = _doc(text, model)
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    return doc, out


def _check_invariants(doc: Doc, out: list[Entity]) -> None:
    for ent in out:
        assert doc.text[ent.start:ent.end] == ent.text
        assert ent.start < ent.end
    ordered = sorted(out, key=lambda e: (e.start, e.end))
    for a, b in zip(ordered, ordered[1:]):
        assert a.end <= b.start, f"overlap: {a} / {b}"
    before = {(e.start, e.end, e.text, e.source) for e in doc.entities if e.label == "Dosage"}
    after = {(e.start, e.end, e.text, e.source) for e in out if e.label == "Dosage"}
    assert before == after


def _texts(out: list[Entity], label: str = "Disease") -> list[str]:
    return [e.text for e in sorted(out, key=lambda e: e.start) if e.label == label]


# --- model Disease spans: drop ---------------------------------------------------------

DROP = [
    # (text, model Disease entities, expected Disease texts)
    (HEADER + "Exam: the prostate was smooth and the scrotum normal.\n",
     ["prostate", "scrotum"], []),
    (HEADER + "Throat: tonsils 1+ without exudate.\n", ["tonsils"], ["exudate"]),
    (HEADER + "Anesthesia: dorsal penile nerve block with lidocaine.\n",
     ["dorsal penile nerve block"], []),
    (HEADER + "The wound was closed after hemostasis with bipolar cautery.\n",
     ["hemostasis", "bipolar cautery"], []),
    (HEADER + "She has used timolol eye drops for years.\n", ["eye drops"], []),
    (HEADER + "No latex allergy. Drug allergies: none.\n", ["latex allergy"], []),
    (HEADER + "Blood cultures grew MRSA on day two.\n", ["MRSA"], []),
    (HEADER + "ECG showed ST depressions in the lateral leads.\n", ["ST depressions"], []),
    # a condition before the procedure head: the head is cut off
    (HEADER + "Hip fracture repair was done in 2019.\n", ["Hip fracture repair"],
     ["Hip fracture"]),
    (HEADER + "Started VTE prophylaxis today.\n", ["VTE prophylaxis"], ["VTE"]),
    # a lab test, an eponymous anatomical structure
    (HEADER + "Rising PSA; repeat free PSA in 3 months.\n", ["PSA", "PSA"], []),
    (HEADER + "Carried through Scarpa's fascia to the external oblique aponeurosis.\n",
     ["Scarpa's fascia", "aponeurosis"], []),
    # an immunity status, labour as a ward or a plan
    (HEADER + "Rh positive, rubella immune.\n", ["rubella"], []),
    (HEADER + "She declined trial of labor; placenta to labor and delivery.\n",
     ["labor", "labor"], []),
]

KEEP = [  # the same words where they are findings: the drop rule must not fire
    (HEADER + "Biopsy confirmed prostate cancer.\n", ["prostate cancer"], ["prostate cancer"]),
    (HEADER + "ECG: complete heart block.\n", ["heart block"], ["heart block"]),
    (HEADER + "Cultures: MRSA bacteremia persists.\n", ["MRSA bacteremia"], ["MRSA bacteremia"]),
    (HEADER + "He reports a very dry mouth at night.\n", ["dry mouth"], ["dry mouth"]),
    (HEADER + "Admitted in preterm labor.\n", ["preterm labor"], ["preterm labor"]),
]


@pytest.mark.parametrize("text,model,expected", DROP + KEEP)
def test_drop_rule(text, model, expected):
    _, out = _run(text, [(m, "Disease") for m in model])
    assert _texts(out) == expected


# --- model Disease spans: trim and cut ---------------------------------------------------

TRIM = [
    (HEADER + "1. STAGE IIIA NON-SMALL CELL LUNG CANCER\n", "STAGE IIIA NON-SMALL CELL LUNG CANCER",
     ["NON-SMALL CELL LUNG CANCER"]),
    (HEADER + "lungs with wheezing comma no crackles\n", "wheezing comma",
     ["wheezing", "crackles"]),
    (HEADER + "He has left knee pain after a fall.\n", "left knee pain", ["knee pain"]),
    (HEADER + "Exam: R hemiparesis, good tone.\n", "R hemiparesis", ["hemiparesis"]),
    (HEADER + "Lt knee pain for 2 wks.\n", "Lt knee pain", ["knee pain"]),
    (HEADER + "L5 radiculopathy noted.\n", "L5 radiculopathy", ["L5 radiculopathy"]),
    (HEADER + "CXR: right lower lobe consolidation.\n", "right lower lobe consolidation",
     ["consolidation"]),
    (HEADER + "Admitted with severe headache.\n", "severe headache", ["headache"]),
    (HEADER + "No hemodynamically significant stenosis.\n", "hemodynamically significant stenosis",
     ["stenosis"]),
    (HEADER + "Seen for a COPD exacerbation.\n", "COPD exacerbation", ["COPD"]),
    (HEADER + "Eczema flaring again.\n", "Eczema flaring", ["Eczema"]),
    (HEADER + "hx cataract sx 2019.\n", "cataract sx", ["cataract"]),
    (HEADER + "early AMD OD.\n", "AMD OD", ["AMD"]),  # the eye goes
    (HEADER + "h/o acute chest syndrome.\n", "acute", ["acute chest syndrome"]),  # a lone "acute"
    # names nothing, and the history's list finds the syndrome
    (HEADER + "Pt with hx gestational diabetes.\n", "hx gestational diabetes",
     ["gestational diabetes"]),
    (HEADER + "CXR: rll pneumonia.\n", "rll pneumonia", ["pneumonia"]),  # a lobe goes
    (HEADER + "Exam: 2+ edema BLE.\n", "edema BLE", ["edema"]),  # the limb region goes
    (HEADER + "CT: a 5 mm left UVJ stone.\n", "UVJ stone", ["stone"]),  # a sub-location goes
    (HEADER + "CTA: right M1 occlusion.\n", "M1 occlusion", ["occlusion"]),  # an artery's segment
    (HEADER + "prior ectopic pregnancy.\n", "ectopic", ["ectopic pregnancy"]),
    (HEADER + "c/o incisional pain.\n", "pain", ["incisional pain"]),  # a kept type word
    (HEADER + "1+ le edema bilat.\n", "edema bilat", ["edema"]),  # and a side after it
    (HEADER + "now crampy llq pain x2 wk.\n", "crampy llq", ["llq pain"]),  # a site takes its pain
    (HEADER + "Known CKD stage 3a, stable.\n", "CKD stage 3a", ["CKD"]),
    (HEADER + "She has osteoarthritis of both hips.\n", "osteoarthritis of", ["osteoarthritis"]),
    (HEADER + "No evidence of metastatic disease.\n", "evidence of metastatic disease",
     ["metastatic disease"]),
    (HEADER + "Impression: 6 mm left renal stone.\n", "6 mm left renal stone", ["renal stone"]),
    # fixed names keep their side word: the trim must not fire
    (HEADER + "Echo: left ventricular hypertrophy.\n", "left ventricular hypertrophy",
     ["left ventricular hypertrophy"]),
    (HEADER + "Abdomen: right lower quadrant pain.\n", "right lower quadrant pain",
     ["right lower quadrant pain"]),
    (HEADER + "Signs of right heart failure today.\n", "right heart failure",
     ["right heart failure"]),
]


@pytest.mark.parametrize("text,model,expected", TRIM)
def test_trim_rule(text, model, expected):
    _, out = _run(text, [(model, "Disease")])
    assert _texts(out) == expected


CUT = [
    # a line break that starts a "Key:" line ends a mention; the anatomy piece goes
    (HEADER + "Hip pain: yes - right hip\nBack pain: no\n", "right hip\nBack pain",
     ["Hip pain", "Back pain"]),
    # coordinated mentions that each have a head are two
    (HEADER + "He developed suprapubic pain and bladder spasms overnight.\n",
     "suprapubic pain and bladder spasms", ["suprapubic pain", "bladder spasms"]),
    (HEADER + "There is no leg swelling / heart failure today.\n",
     "leg swelling / heart failure", ["leg swelling", "heart failure"]),
    # a dictation's spoken comma cuts, its spoken colon after a heading goes
    (HEADER + "she reports photophobia comma phonophobia period\n", "photophobia comma phonophobia",
     ["photophobia", "phonophobia"]),
    (HEADER + "past medical history colon essential hypertension period\n",
     "colon essential hypertension", ["essential hypertension"]),
    (HEADER + "family history colon cancer period\n", "colon cancer", ["colon cancer"]),
    # symptoms side by side are each one
    (HEADER + "He has had fevers chills for a week.\n", "fevers chills", ["fevers", "chills"]),
    (HEADER + "Admitted with neutropenic fever.\n", "neutropenic fever", ["neutropenic fever"]),
    # a composite mention with one head stays whole: the cut must not fire
    (HEADER + "CT: small pleural or pericardial effusion.\n", "pleural or pericardial effusion",
     ["pleural or pericardial effusion"]),
    # a line break without a "Key:" line after it is wrapped prose
    (HEADER + "History of congestive heart\nfailure in 2019.\n", "congestive heart\nfailure",
     ["congestive heart\nfailure"]),
]


@pytest.mark.parametrize("text,model,expected", CUT)
def test_cut_rule(text, model, expected):
    _, out = _run(text, [(model, "Disease")])
    assert _texts(out) == expected


COORDINATED = [
    # the model tags the last conjunct; the modifiers before it share its head (abstracts too)
    ("Rats given it showed renal or hepatic toxicity.", ["hepatic toxicity"],
     ["renal or hepatic toxicity"]),
    ("A list: cardiac, renal, and respiratory failure.", ["respiratory failure"],
     ["cardiac, renal, and respiratory failure"]),
    # a singular body part is a modifier too
    ("No family history of breast or ovarian cancer.", ["ovarian cancer"],
     ["breast or ovarian cancer"]),
    (HEADER + "CC: leg and back pain for 2 weeks\n", ["back pain"], ["leg and back pain"]),
    ("Seen in renal and heart failure.", ["heart failure"], ["renal and heart failure"]),
    # a body part in the plural heads a finding of its own; a bare comma lists mentions
    ("Found with pinpoint pupils and respiratory depression.", ["respiratory depression"],
     ["pinpoint pupils", "respiratory depression"]),
    ("Echo: sparkling myocardium, biatrial enlargement.", ["biatrial enlargement"],
     ["biatrial enlargement"]),
    # a modifier the model tagged alone is taken in
    ("It caused optic and peripheral neuropathy.", ["optic", "peripheral neuropathy"],
     ["optic and peripheral neuropathy"]),
    (HEADER + "Hx: subarachnoid and cerebral hemorrhage in 2019.\n",
     ["subarachnoid", "cerebral hemorrhage"], ["subarachnoid and cerebral hemorrhage"]),
    # a mention of its own before the conjunction, a word that is not a modifier, or a word
    # that qualifies the case rather than the disease: no extension
    ("He had fever and renal failure.", ["fever", "renal failure"], ["fever", "renal failure"]),
    ("It rose with age and renal impairment.", ["renal impairment"], ["renal impairment"]),
    ("No clinical or renal toxicity was seen.", ["renal toxicity"], ["renal toxicity"]),
    ("Severe and hepatic toxicity", ["hepatic toxicity"], ["hepatic toxicity"]),
    # the entity must start with a modifier and have a head after it
    ("Both ischemic and hemorrhagic were seen.", ["hemorrhagic"], ["hemorrhagic"]),
    ("Seen with renal and Crohn disease.", ["Crohn disease"], ["Crohn disease"]),
]


@pytest.mark.parametrize("text,model,expected", COORDINATED)
def test_coordinated_modifiers_rule(text, model, expected):
    _, out = _run(text, [(m, "Disease") for m in model])
    assert _texts(out) == expected


def test_coordinated_modifiers_stop_at_another_entity():
    text = "Treated with renal and hepatic toxicity drugs."
    doc = _doc(text, [("renal", "Chemical"), ("hepatic toxicity", "Disease")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert _texts(out) == ["hepatic toxicity"] and _texts(out, "Chemical") == ["renal"]


# --- model Disease spans: extend and merge (notes only) -----------------------------------

EXTEND = [
    (HEADER + "1. Chronic kidney disease, stable\n", ["kidney disease"],
     ["Chronic kidney disease"]),
    (HEADER + "2. Type 2 diabetes mellitus\n", ["diabetes mellitus"],
     ["Type 2 diabetes mellitus"]),
    (HEADER + "3. Paroxysmal atrial fibrillation\n", ["atrial fibrillation"],
     ["Paroxysmal atrial fibrillation"]),
    (HEADER + "She has acute on chronic heart failure.\n", ["chronic heart failure"],
     ["acute on chronic heart failure"]),
    (HEADER + "Woke with left flank pain at 2 AM.\n", ["pain"], ["flank pain"]),
    (HEADER + "Imaging: 8 mm renal calculus.\n", ["calculus"], ["renal calculus"]),
    (HEADER + "Diagnosis: neurofibromatosis type 1.\n", ["neurofibromatosis"],
     ["neurofibromatosis type 1"]),
    (HEADER + "Biopsy: carcinoma in situ of the bladder.\n", ["carcinoma"],
     ["carcinoma in situ"]),
    # two organ words, not a third; a noun after a disease adjective; lexicalised "sounds"
    (HEADER + "CT: 4.2 cm infrarenal abdominal aortic aneurysm.\n", ["aneurysm"],
     ["abdominal aortic aneurysm"]),
    (HEADER + "Admitted with hypertensive urgency.\n", ["hypertensive"],
     ["hypertensive urgency"]),
    (HEADER + "Lungs: decreased breath sounds at the right base.\n", ["decreased breath"],
     ["decreased breath sounds"]),
    # two model spans one space apart are one mention
    (HEADER + "4. Iron deficiency anemia\n", ["Iron deficiency", "anemia"],
     ["Iron deficiency anemia"]),
    # an organism (with its genus initial) is part of the infection's name
    (HEADER + "Sepsis secondary to E. coli bacteremia.\n", ["coli bacteremia"],
     ["E. coli bacteremia"]),
    (HEADER + "Biopsies showed H. pylori gastritis.\n", ["gastritis"], ["H. pylori gastritis"]),
    (HEADER + "Cultures grew staph; pneumonia improved.\n", ["pneumonia"], ["pneumonia"]),
    # type words of a name are kept; an organ adjective names a hypertension
    (HEADER + "Known nonischemic cardiomyopathy.\n", ["cardiomyopathy"],
     ["nonischemic cardiomyopathy"]),
    # a site comes next to its head, a sub-location is none
    (HEADER + "assessment colon essential hypertension.\n", ["hypertension"],
     ["essential hypertension"]),
    (HEADER + "MRI: L4-5 FORAMINAL STENOSIS.\n", ["STENOSIS"], ["STENOSIS"]),
    (HEADER + "Ascites from portal hypertension.\n", ["hypertension"],
     ["Ascites", "portal hypertension"]),
]

NO_EXTEND = [  # one-line abstracts follow BC5CDR: the extension must not fire
    ("Patients developed acute renal failure after cisplatin.", ["renal failure"],
     ["renal failure"]),
    ("We report a case of chronic urticaria after aspirin use.", ["urticaria"], ["urticaria"]),
    ("Type 2 diabetes mellitus was an exclusion criterion.", ["diabetes mellitus"],
     ["diabetes mellitus"]),
]


@pytest.mark.parametrize("text,model,expected", EXTEND + NO_EXTEND)
def test_extend_rule(text, model, expected):
    _, out = _run(text, [(m, "Disease") for m in model])
    assert _texts(out) == expected


# --- new findings -------------------------------------------------------------------------

ADD = [
    # review-of-systems lines with negations
    (HEADER + "Constitutional: fevers; no chills or night sweats.\n", [],
     ["fevers", "chills", "night sweats"]),
    (HEADER + "GU: urgency and nocturia; no dysuria.\n", [], ["urgency", "nocturia", "dysuria"]),
    # exam lines, symptom adjectives and signs
    (HEADER + "General: febrile and diaphoretic.\nCV: regular; no murmurs, rubs or gallops.\n"
     "Extremities: no clubbing or cyanosis.\nNeck: no JVD.\n", [],
     ["febrile", "diaphoretic", "murmurs", "rubs", "gallops", "clubbing", "cyanosis", "JVD"]),
    (HEADER + "Right ankle: mild effusion and crepitus.\n", [], ["effusion", "crepitus"]),
    # form answers
    (HEADER + "Nausea: no\nNocturia: 2-3 times nightly\nWeak stream: yes\n", [],
     ["Nausea", "Nocturia", "Weak stream"]),
    # a list after a negation or report cue, and after another Disease
    (HEADER + "He denies hesitancy, straining or a weak stream.\n", [],
     ["hesitancy", "straining", "weak stream"]),
    (HEADER + "She reports dysuria, frequency and urgency since Monday.\n", ["dysuria"],
     ["dysuria", "frequency", "urgency"]),
    (HEADER + "Oxycodone 5 mg PO q6h PRN pain.\n", [], ["pain"]),
    # problem lists, history and family history
    (HEADER + "PAST MEDICAL HISTORY\n- Gout, last attack 2019\n- Inguinal hernia repair 2015\n"
     "- Osteoarthritis of the right hip\n", [], ["Gout", "Inguinal hernia", "Osteoarthritis"]),
    (HEADER + "He has a history of nephrolithiasis and gout.\n", [],
     ["nephrolithiasis", "gout"]),
    (HEADER + "Father: coronary artery disease, died at 70.\n", [],
     ["coronary artery disease"]),
    # allergy reactions
    (HEADER + "Allergies: penicillin (hives), codeine (nausea)\n", [], ["hives", "nausea"]),
    # disease abbreviations
    (HEADER + "PMH: HTN, HLD and T2DM; prior DVT/PE.\n", [],
     ["HTN", "HLD", "T2DM", "DVT", "PE"]),
    (HEADER + "Plan: spinal (obesity; DM2), then SIADH workup.\n", [], ["DM2", "SIADH"]),
    (HEADER + "Denies SI/HI. Codeine (N/V).\n", [], ["SI/HI", "N/V"]),
    (HEADER + "Onc: TNBC, MGUS; cards: HCM with NSVT; renal: FSGS, NAGMA.\n", [],
     ["TNBC", "MGUS", "HCM", "NSVT", "FSGS", "NAGMA"]),
    # ... and as a note in lower case writes them; a symptom shorthand is one span
    (HEADER + "pt w/ hx htn, dm2, afib/chf. c/o sob, no cp, no n/v/d. esrd 2/2 dm.\n", [],
     ["htn", "dm2", "afib/chf", "sob", "cp", "n/v/d", "esrd", "dm"]),
    (HEADER + "Shock 2/2 pyelo, on cefepime.\n", [], ["pyelo"]),
    (HEADER + "A/P: hyperK, hypoMg - replete.\n", [], ["hyperK", "hypoMg"]),
    # shorthand heads of notes, with what they are of; a model span cut at "/" gives way
    (HEADER + "PMH: hx bipolar d/o, etoh use d/o, prostate ca, bone mets and L hip fx.\n", [],
     ["bipolar d/o", "etoh use d/o", "prostate ca", "bone mets", "hip fx"]),
    (HEADER + "Seen for seizure d/o follow-up.\n", ["seizure d"], ["seizure d/o"]),
    (HEADER + "91F w/ confusion, more somnolent.\n", [], ["confusion", "somnolent"]),
    # a numbered problem's title before its plan is no heading's key
    (HEADER + "A/P:\n2. Hyperkalemia: patiromer.\n3. Volume overload: increase furosemide.\n",
     ["Hyperkalemia"], ["Hyperkalemia", "Volume overload"]),
    # falls counted or a fall as an event; not the season or the verb
    (HEADER + "88F, 2 falls in 3 mo; a fall at home in May. Arexvy in the fall. Cannot fall "
     "back asleep.\n", [], ["falls", "fall"]),
    (HEADER + "Face: inflammatory papules and pustules, comedones. No scarring.\n", [],
     ["papules", "pustules", "comedones", "scarring"]),
    (HEADER + "COMPLICATIONS: None. No laryngospasm, no foot drop.\n", [],
     ["laryngospasm", "foot drop"]),
    (HEADER + "Shoulder: subluxation. No bleeding or dark stools.\n", [],
     ["subluxation", "bleeding", "dark stools"]),
    (HEADER + "Cath showed a 90 percent stenosis. Denies chills or wt loss.\n", [],
     ["stenosis", "chills", "wt loss"]),
    (HEADER + "She appears dehydrated and became lethargic.\n", [], ["dehydrated", "lethargic"]),
    # a finding marked present or absent, an exam, a state of the patient; not a grade
    (HEADER + "wt up 3 lb, + orthopnea, 2+ edema. (-) chills; (+) palpitations.\n", ["edema"],
     ["orthopnea", "edema", "chills", "palpitations"]),
    (HEADER + "on exam lethargic. pt anxious, has been agitated, still forgetful.\n", [],
     ["lethargic", "anxious", "agitated", "forgetful"]),
    (HEADER + "endorses si, denies hi or avh; no si/hi today.\n", [], ["si", "hi", "avh", "si/hi"]),
    (HEADER + "trop + d-dimer sent; pt tolerated diet.\n", [], []),
    (HEADER + "He reports chills and was sweating at work.\n", [], ["chills", "sweating"]),
    (HEADER + "81f dementia from snf, more confused. hx vt s/p icd.\n", ["dementia"],
     ["dementia", "confused", "vt"]),
    (HEADER + "45f graves disease. cialis 5 daily for ed. w/ mod hydro. sib dx aom. watch for "
     "retention. intermittently confused.\n", [],
     ["graves disease", "ed", "hydro", "aom", "retention", "confused"]),
    (HEADER + "+si w/ plan; today denies si/hi.\n", ["si", "si"], ["si", "si/hi"]),
    # ambiguous short forms in capitals after a cue; a year after one is no measure
    (HEADER + "h/o SBP 2024 -> cipro ppx. Hx VT s/p ICD 2022. SBP 142 today. VT 450 mL.\n"
     "rifaximin 550 BID for HE. h/o PPD after G1. HE stain negative.\n", [],
     ["SBP", "VT", "HE", "PPD"]),
    # a psychiatric review of systems, sensory and gait findings
    (HEADER + "No manic symptoms: denies decreased need for sleep, racing thoughts or "
     "pressured speech. Reports poor concentration.\nExam: antalgic gait, decreased sensation "
     "in the L5 dermatome.\n", [],
     ["decreased need for sleep", "racing thoughts", "pressured speech", "poor concentration",
      "antalgic gait", "decreased sensation"]),
    # a plus mark opens a list with no space, not a grade's; clipped rhythms in a system line
    (HEADER + "pt w/chest pain, w/o dysuria.\n", [], ["chest pain", "dysuria"]),
    (HEADER + "+HA, no blurry vision. (-)ha, 2+edema.\nCV: HR 118 SINUS TACH.\n", [],
     ["HA", "blurry vision", "ha", "SINUS TACH"]),
    # a differential and its "vs"; an infection named by its virus; a treatment ends an item;
    # a fall guarded against; a genus initial without its period
    (HEADER + "ddx primary syphilis vs recurrent hsv. h/o syphilis tx w/ bicillin. fall "
     "precautions. 2/2 e coli pyelo.\n", [],
     ["primary syphilis", "recurrent hsv", "syphilis", "fall", "e coli pyelo"]),
    # a table row's label is no clause ("Emesis (mL)   0   0")
    (HEADER + "Urine (mL)    850    600\nEmesis (mL)    0    0\nemesis x2 overnight.\n", [],
     ["emesis"]),
    # a dictated heading's spoken colon; a state while treated; a named form after a symptom
    (HEADER + "Assessment colon community acquired pneumonia period hold methotrexate while "
     "febrile period h/o anorexia nervosa.\n", [],
     ["community acquired pneumonia", "febrile", "anorexia nervosa"]),
    # a fused stage goes; eponyms without "disease"; a condition after "if"; kept type words
    (HEADER + "pmh htn, ckd3b. fh: mother w/ hashimoto's. if tics worsen, stop. no falls."
     "\ngestational htn, pulm htn.\n", [],
     ["htn", "ckd", "hashimoto's", "tics", "falls", "gestational htn", "pulm htn"]),
    # a cue is no part of the item after it, nor a verb before it; a kept type word before a
    # shorthand head; a genus initial needs its species ("ML/H. DIARRHEA" has none)
    (HEADER + "r/o malaria, ddx dengue. apap prn fever, avoid nsaids until dengue excluded.\n"
     "63m metastatic pancreatic ca. UOP 45 ML/H. DIARRHEA X3.\n", ["DIARRHEA"],
     ["malaria", "dengue", "fever", "metastatic pancreatic ca", "DIARRHEA"]),
    # clipped symptoms join a slash pair; "doses" has a disease ending and names none; kept
    # type words; a state cued by "found"
    (HEADER + "c/o cp/palp. ?uti vs missed doses. no h/o varices.\n", [],
     ["cp/palp", "uti", "varices"]),
    # a lower-case slash pair is one shorthand item; written with a capital the two stay apart
    (HEADER + "c/o fever/chills, denies cp/sob. prn pain/fever.\nNausea/vomiting resolved.\n",
     ["pain", "fever", "Nausea", "vomiting"],
     ["fever/chills", "cp/sob", "pain/fever", "Nausea", "vomiting"]),
    # infections named by their virus, not their tests; a code's condition; a dictated list
    (HEADER + "29m hiv on biktarvy. hx hcv. hbv neg, HCV antibody negative. code stroke.\n", [],
     ["hiv", "hcv", "stroke"]),
    (HEADER + "now with headache comma scotomata period likely optic neuritis comma possible ms\n",
     ["headache"], ["headache", "scotomata", "optic neuritis", "ms"]),
    (HEADER + "73M with primary open-angle glaucoma OU. 3 VOCs this year. also sicca.\n", [],
     ["primary open-angle glaucoma", "VOCs", "sicca"]),
    # a telegraphic clause or list item that is a symptom; not an adjective before its noun
    (HEADER + "bcx pending.\noliguric. febrile to 38.9. last drink 1d ago, tremulous.\n"
     "Agitated saline study negative.\n", [], ["oliguric", "febrile", "tremulous"]),
    # a query, a cause, a list going on past an abbreviation, capitals of a mixed-case form
    (HEADER + "? ileus. topiramate caused paresthesias. hx mdd, gad. CV: AFIB, HYPOK.\n", [],
     ["ileus", "paresthesias", "mdd", "gad", "AFIB", "HYPOK"]),
    # lower-case short forms that name a disease only after a condition cue; a murmur's grade
    (HEADER + "r/o pe, c/b pph ~900 ml, ceftriaxone 1 g for sbp. pe: exam 2/6 systolic murmur.\n",
     [], ["pe", "pph", "sbp", "murmur"]),
    (HEADER + "p/w hematemesis x2 + melena; fever w/ rigors.\n", [],
     ["hematemesis", "melena", "fever", "rigors"]),
    # a pathology noun after a size
    (HEADER + "US showed a 1.2 cm simple cyst in the liver.\n", [], ["cyst"]),
    # a list after a long qualifier, a verb inside the list, a cause, a patient's state
    (HEADER + "He reports urgency, frequency every 1 to 2 hours during the day, hesitancy, "
     "and denies dysuria or flushing.\n", [],
     ["urgency", "frequency", "hesitancy", "dysuria", "flushing"]),
    (HEADER + "He stopped it because of nasal congestion.\n", [], ["nasal congestion"]),
    (HEADER + "GENERAL: Pleasant, obese man in no distress.\n", [], ["obese"]),
    (HEADER + "Weak stream, with post-void dribbling.\n", ["Weak stream"],
     ["Weak stream", "post-void dribbling"]),
    # the condition a study's reading opens with
    (HEADER + "CT ABDOMEN/PELVIS: ACUTE APPENDICITIS WITH FAT STRANDING; NO ABSCESS.\n", [],
     ["ACUTE APPENDICITIS", "ABSCESS"]),
    (HEADER + "XR LEFT WRIST: ACUTE NONDISPLACED FRACTURE OF THE DISTAL RADIUS.\n", [],
     ["FRACTURE"]),
    # a typed diabetes the model hesitated over, in a note and in an abstract
    (HEADER + "1. Type 2 diabetes mellitus with hyperglycemia\n", ["hyperglycemia"],
     ["Type 2 diabetes mellitus", "hyperglycemia"]),
    ("Patients with type II diabetes were enrolled.", [], ["type II diabetes"]),
]

NO_ADD = [  # clinical-looking words outside a clinical context: nothing may be added
    (HEADER + "Frequency: twice daily with meals\n", [], []),
    (HEADER + "Lungs: clear to auscultation bilaterally.\n", [], []),
    (HEADER + "Code status: full. Afebrile, non-tender abdomen.\n", [], []),
    (HEADER + "HISTORY OF PRESENT ILLNESS\nShe is here for follow-up.\n", [], []),
    (HEADER + "PE: well appearing\n", [], []),  # an exam heading, not pulmonary embolism
    (HEADER + "HISTORY OF PRESENT ILLNESS: The patient is a 54-year-old woman.\n", [], []),
    (HEADER + "Dextromethorphan (DM) was stopped; DM levels were low.\n", [], []),
    (HEADER + "pe: well appearing. hearing aids; cap and pad given; htn-like.\n", [], []),
    (HEADER + "Ca 8.9, CA 19-9 pending; the ca was low; ran 5 mi; fx unknown.\n", [], []),
    ("In rats given htn-free chow the cp index rose.", [], []),  # an abstract: not a note
    ("We report a venlafaxine interaction in a 23-year-old man. " * 9 +  # an abstract:
     "Within 2 h he became confused with jerking movements.", [], []),  # no adjectives
    ("The frequency of sexual relations and the urgency of the study were assessed.", [], []),
]


@pytest.mark.parametrize("text,model,expected", ADD + NO_ADD)
def test_add_rule(text, model, expected):
    _, out = _run(text, [(m, "Disease") for m in model])
    assert _texts(out) == expected
    assert all(e.source == "rule" for e in out if e.text not in model)


# --- model Chemicals --------------------------------------------------------------------

CHEMICAL = [
    # no drug name is digits alone or a field's value; a relative's name is no drug
    ("Pharmacy: Main Street Pharmacy, (555) 013-4477", ["(555) 013-4477"], [], []),
    ("Tel: 01632 960 418", ["Tel: 01632 960 418"], [], []),
    ("Contact: daughter Marisol, (555) 014-2290.", ["Marisol"], [], []),
    ("SpO2 95% on RA.", ["SpO2", "RA"], [], []),
    ("Gave his wife the Lasix instructions.", ["Lasix"], ["Lasix"], []),
    ("Told his wife Lasix is to be taken daily.", ["Lasix"], ["Lasix"], []),  # a known drug
    # lab analytes reported as results go; given as therapy they stay
    (HEADER + "Labs: creatinine 1.4 mg/dL, potassium 3.2 mEq/L.\n", ["creatinine", "potassium"],
     [], []),
    (HEADER + "Potassium nadired at 3.0 on day 2.\n", ["Potassium"], [], []),
    (HEADER + "Ca 8.9, Mg 1.4, phos 2.1\n", ["Ca", "Mg", "phos"], [], []),
    # a model Chemical ends at a line break, unless a long line was wrapped inside the name
    (HEADER + "2. DM2 - hold metformin\nCa 8.9\n", ["metformin\nCa"], ["metformin"], []),
    (HEADER + "He was given " + "x" * 50 + " and potassium\nchloride 20 mEq.\n",
     ["potassium\nchloride"], ["potassium\nchloride"], []),
    (HEADER + "Give potassium chloride 20 mEq PO and magnesium 2 g IV.\n",
     ["potassium chloride", "magnesium"], ["potassium chloride", "magnesium"], []),
    # device and strength words after a name, combinations joined
    (HEADER + "- Albuterol HFA 2 puffs q4h PRN\n- Omnipaque 350, 100 mL IV\n",
     ["Albuterol HFA", "Omnipaque 350"], ["Albuterol", "Omnipaque"], []),
    (HEADER + "- Sacubitril-valsartan 24/26 mg BID\n", ["Sacubitril"], ["Sacubitril-valsartan"],
     []),
    # drug classes, tests, names, symptom words and disease abbreviations tagged Chemical
    (HEADER + "Avoid NSAIDs; check BMP in one week.\n", ["NSAIDs", "BMP"], [], []),
    (HEADER + "Seen by Dr Harlow Quenby today.\n", ["Quenby"], [], []),
    (HEADER + "- Febrile to 38.9 overnight\n- BPH on tamsulosin\n",
     ["Febrile", "BPH", "tamsulosin"], ["tamsulosin"], ["Febrile", "BPH"]),
    (HEADER + "4. Vitamin D deficiency, on replacement\n", ["Vitamin D"], [],
     ["Vitamin D deficiency"]),
    # analytes as results, whatever else the span holds; a finding's absence
    (HEADER + "Fingerstick glucose 42; D-dimer negative; serial troponins; afebrile.\n",
     ["Fingerstick glucose 42", "D-dimer", "troponins", "afebrile"], [], []),
    # a procedure's or a disease's morphology is no drug
    (HEADER + "Advanced under fluoroscopy; no hydrocele or varicocele.\n",
     ["fluoroscopy", "varicocele"], [], ["varicocele"]),
    # suture and mesh materials
    (HEADER + "Closed with running 3-0 Vicryl; Prolene mesh was sewn with Prolene sutures.\n",
     ["Vicryl", "Prolene", "Prolene"], [], []),
]


@pytest.mark.parametrize("text,model,chemicals,diseases", CHEMICAL)
def test_chemical_rules(text, model, chemicals, diseases):
    _, out = _run(text, [(m, "Chemical") for m in model])
    assert _texts(out, "Chemical") == chemicals
    assert [t for t in _texts(out) if t in diseases] == diseases


@pytest.mark.parametrize("line, model, lexicon, chemicals", [
    # the model's "Tylenol" joined to "/Motrin" would overlap the lexicon's "Motrin" and lose
    ("- Tylenol/Motrin alternating for fever", "Tylenol", "Motrin", ["Tylenol", "Motrin"]),
    # with a hyphen it is one product, and the join takes the drug in
    ("- hydrocodone-acetaminophen 5-325 mg prn", "hydrocodone", "acetaminophen",
     ["hydrocodone-acetaminophen"]),
])
def test_a_combination_join_and_a_drug_found_otherwise(line, model, lexicon, chemicals):
    text = HEADER + line + "\n"
    doc = _doc(text, [(model, "Chemical")])
    at = _locate(text, lexicon)
    doc.entities.append(doc.span(at, at + len(lexicon), "Chemical", source="lexicon"))
    out = note_findings(doc, sorted(doc.entities, key=lambda e: e.start))
    _check_invariants(doc, out)
    assert _texts(out, "Chemical") == chemicals


def test_a_substance_with_a_disorder_word_is_one_disease():
    text = HEADER + "Hx of EtOH use disorder; watch for etoh withdrawal seizures.\n"
    doc = _doc(text, [("EtOH", "Chemical"), ("etoh", "Chemical"), ("withdrawal seizures",
                                                                    "Disease")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert [(e.text, e.label) for e in out] == [("EtOH use disorder", "Disease"),
                                                 ("etoh withdrawal seizures", "Disease")]


def test_a_short_form_a_drug_treats_is_a_disease():
    """"RA" is room air in "95% on RA" but a disease before "on" and the drug that treats it."""
    text = HEADER + "Rheum: seropositive RA on MTX 20 mg weekly; UC (E3) on vedo. Sat 95% on RA.\n"
    _, out = _run(text, [("MTX", "Chemical"), ("vedo", "Chemical")])
    assert _texts(out) == ["seropositive RA", "UC"]


def test_a_substance_class_with_a_disorder_word_is_one_disease():
    _, out = _run(HEADER + "Found down: opioid overdose. Hx polysubstance abuse.\n",
                  [("overdose", "Disease")])
    assert _texts(out) == ["opioid overdose", "polysubstance abuse"]


def test_a_shorthand_letter_is_no_part_of_a_disease():
    _, out = _run(HEADER + "CT c/f appendicitis.\n", [("f appendicitis", "Disease")])
    assert _texts(out) == ["appendicitis"]


def test_a_cue_list_item_ends_before_behind():
    _, out = _run(HEADER + "septic shock 2/2 pyelo behind an obstructing ureteral stone.\n", [])
    assert "pyelo" in _texts(out) and all("behind" not in t for t in _texts(out))


def test_a_history_word_is_no_disease():
    _, out = _run(HEADER + "PMH: hx bipolar d/o.\n", [("hx", "Disease")])
    assert _texts(out) == ["bipolar d/o"]


def test_chemical_rules_do_not_fire_in_abstracts():
    # BC5CDR tags analytes, classes and tests as Chemical: an abstract's sentence keeps them
    text = ("Serum creatinine rose to 2.1 mg/dl and potassium increased significantly in "
            "patients given NSAIDs.")
    doc, out = _run(text, [("creatinine", "Chemical"), ("potassium", "Chemical"),
                           ("NSAIDs", "Chemical")])
    assert _texts(out, "Chemical") == ["creatinine", "potassium", "NSAIDs"]


# --- what the step leaves alone ------------------------------------------------------------

def test_dosage_and_other_sources_untouched():
    text = HEADER + "- Tamsulosin 0.4 mg nightly\nGU: urgency 0.4 mg; no dysuria.\n"
    doc = _doc(text, [("Tamsulosin", "Chemical")])
    dose_at = _locate(text, "0.4 mg nightly")
    dose = doc.span(dose_at, dose_at + len("0.4 mg nightly"), "Dosage", source="rule",
                    attrs={"drug": "Tamsulosin"})
    odd_at = _locate(text, "urgency 0.4 mg")  # a Dosage over a symptom word: it wins
    odd = doc.span(odd_at, odd_at + len("urgency 0.4 mg"), "Dosage", source="rule")
    doc.entities += [dose, odd]
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert [e for e in out if e.label == "Dosage"] == [dose, odd]
    assert all(a is b for a, b in zip([e for e in out if e.label == "Dosage"], [dose, odd]))
    assert _texts(out) == ["dysuria"]


def test_rule_and_lexicon_entities_are_kept_as_given():
    text = HEADER + "Exam: left knee tender.\n"
    doc = _doc(text, [("left knee", "Disease")], source="lexicon")
    out = note_findings(doc, list(doc.entities))
    assert out == doc.entities


def test_no_overlap_with_existing_entities():
    # "night sweats" is a symptom, but a model entity already covers "night"
    text = HEADER + "Constitutional: no night sweats.\n"
    doc, out = _run(text, [("night", "Chemical")])
    assert _texts(out) == [] and _texts(out, "Chemical") == ["night"]


def test_step_runs_in_a_pipeline():
    text = HEADER + "ROS: denies chills.\n"
    doc = _doc(text, [])
    out = Pipeline((("findings", note_findings),))(doc, [])
    assert _texts(out) == ["chills"]


ABSTRACT = ("Famotidine-associated delirium. A series of six cases. Famotidine is a histamine "
            "H2-receptor antagonist used in inpatient settings for prevention of stress ulcers "
            "and is showing increasing popularity because of its low cost. Although all of the "
            "currently available H2-receptor antagonists have shown the propensity to cause "
            "delirium, only two previously reported cases have been associated with famotidine. "
            "The authors report on six cases of famotidine-associated delirium in hospitalized "
            "patients who cleared completely upon removal of famotidine.")


@pytest.mark.parametrize("text, note", [
    (HEADER + "text\n", True),
    (ABSTRACT, False),  # one long paragraph
    ("Lungs: bibasilar crackles.", True),  # a note's line, cut out of it
    ("IMPRESSION: RIGHT LOWER LOBE PNEUMONIA.", True),
    ("- Gout, last flare 2019", True),
    ("He is febrile and tachycardic.", True),
    ("Denies chest pain; continue aspirin 81 mg daily.", True),
    ("METHODS: Forty-nine patients with advanced NSCLC were included.", False),
    ("We report a case of chronic urticaria after aspirin use.", False),
    ("Type 2 diabetes mellitus was an exclusion criterion.", False),
    # a dictation speaks its punctuation and runs on in one paragraph, as an abstract does
    (" ".join(["He presents with cough comma fever and chills period"] * 12), True),
    (ABSTRACT.replace("settings", "settings during the study period") + " In this period, ...",
     False),
])
def test_note_layout(text, note):
    """A sentence of a note is note text; a sentence of an abstract is not."""
    assert note_layout(text) is note


def test_resources_have_headers_and_entries():
    from importlib.resources import files
    folder = files("medner_cli.rules") / "resources"
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("findings_"))
    assert len(names) >= 6
    for name in names:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), name
        entries = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
        assert entries and len(entries) == len(set(entries)), name
    assert "prostate" in findings.ANATOMY and "urgency" in findings.SYMPTOMS


@pytest.mark.parametrize("text", [
    "Pleasant, obese man", "diaphoretic  woman and febrile\tchild", "3obese man", "x_ill man",
    "obese patient female", "obese man woman", "sick man² abcd girl", "ILL MALE", "ſick boy",
    "febrile gentlemanly", "lethargic infant, toddler", "man", "", "Weak  PATİENT",
    "sickly gırl", "obese\tWOMAN-like", " pale child"])
def test_states_before_person_match_a_full_scan(text):
    """The backward search finds what the pattern tried at every word finds, whether it looks
    the person words up in the lower-cased text or (the fallback) with the pattern."""
    scan = re.compile(r"\b([^\W\d_]{4,})[ \t]+" + findings._PERSONS, re.IGNORECASE)
    expected = [m.span(1) for m in scan.finditer(text)]
    low = text.lower()
    assert findings._states_before_person(text, low if len(low) == len(text) else text) == expected
    assert findings._states_before_person(text, text) == expected


def test_word_cache_stays_bounded(monkeypatch):
    """A worker annotates millions of notes: the per-word memo must not grow with them, and a
    word looked up after the memo was emptied gets the same answer."""
    monkeypatch.setattr(findings, "_CONDITIONISH", {})
    monkeypatch.setattr(findings, "_CONDITIONISH_MAX", 100)
    assert findings._conditionish("pneumonia")
    for i in range(250):
        findings._conditionish(f"zqx{i}word")
        assert len(findings._CONDITIONISH) <= 100
    assert findings._conditionish("pneumonia")
    assert not findings._conditionish("zqx1word")


def test_a_dictated_drug_list_is_cut_at_its_spoken_commas():
    text = HEADER + "Medications colon tiotropium comma albuterol as needed period\n"
    _, out = _run_chemical(text, ["tiotropium comma albuterol"])
    assert _texts(out, "Chemical") == ["tiotropium", "albuterol"]


def _run_chemical(text: str, model: list[str]) -> tuple[Doc, list[Entity]]:
    doc = _doc(text, [(m, "Chemical") for m in model])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    return doc, out


def test_a_substance_before_the_disease_it_caused_opens_the_item():
    doc = _doc(HEADER + "h/o etoh cirrhosis, cocaine use.\n", [("etoh", "Chemical"),
                                                               ("cocaine", "Chemical")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert _texts(out) == ["cirrhosis"]



def test_a_clipped_procedure_name_is_no_finding():
    _, out = _run(HEADER + "heparin stopped after cath. If PVR >300, start intermittent cath.\n",
                  [("cath", "Disease"), ("cath", "Disease", 1)])
    assert _texts(out) == []


def test_a_diseases_test_or_screen_result_is_no_mention_but_a_screening_is():
    text = HEADER + "Add etanercept if TB screen neg. HIV test sent. Colon cancer screening due.\n"
    _, out = _run(text, [("TB", "Disease"), ("HIV", "Disease"), ("Colon cancer", "Disease")])
    assert _texts(out) == ["Colon cancer"]


def test_a_list_of_vaccines_names_no_disease():
    text = HEADER + "Typhoid, yellow fever, hep A vaccines given. Fever, cough; flu vaccine today.\n"
    _, out = _run(text, [("Typhoid", "Disease"), ("yellow fever", "Disease"), ("Fever", "Disease"),
                         ("cough", "Disease")])
    assert _texts(out) == ["Fever", "cough"]


def test_a_count_after_a_mention_is_cut_and_the_list_goes_on_past_it():
    text = HEADER + "DIAGNOSIS: TUBULAR ADENOMA X2 AND HYPERPLASTIC POLYP. diarrhea x1wk, cr up.\n"
    _, out = _run(text, [("TUBULAR ADENOMA X2", "Disease"), ("diarrhea x1wk", "Disease")])
    assert _texts(out) == ["TUBULAR ADENOMA", "HYPERPLASTIC POLYP", "diarrhea"]


def test_an_eponyms_possessive_is_part_of_the_mention():
    text = HEADER + "58F RA w/ secondary Sjogren's, on MTX. The patient's asthma.\n"
    _, out = _run(text, [("secondary Sjogren", "Disease"), ("asthma", "Disease")])
    assert _texts(out) == ["RA", "secondary Sjogren's", "asthma"]  # "58F RA": a cued form


def test_cp_is_chest_pain_where_a_cue_lists_it():
    _, out = _run(HEADER + "Denies CP, SOB. C/O CP X 2 HRS. CP protocol.\n", [])
    assert _texts(out) == ["CP", "SOB", "CP"]


def test_each_allergens_reaction_after_a_dash():
    text = HEADER + "ALLERGIES: Keflex - anaphylaxis (2015); sulfa - rash; codeine -> N/V\n"
    _, out = _run(text, [("anaphylaxis", "Disease")])
    assert _texts(out) == ["anaphylaxis", "rash", "N/V"]


def test_a_model_chemical_that_is_a_lower_case_disease_short_form_is_a_disease():
    _, out = _run_chemical(HEADER + "2 breakthrough sz in Oct; Keppra 1500 mg BID.\n", ["sz", "Keppra"])
    assert _texts(out) == ["sz"] and _texts(out, "Chemical") == ["Keppra"]


def test_a_drugs_measured_level_is_the_drug():
    _, out = _run_chemical(HEADER + "Vanc AUC 520 on 1250 mg q12h; tac trough 8.\n",
                           ["Vanc AUC", "tac trough"])
    assert _texts(out, "Chemical") == ["Vanc", "tac"]


def test_a_place_of_care_is_no_finding_and_feeling_opens_a_symptom_list():
    text = HEADER + "79F from SNF. If you feel shaky or sweaty, take glucose. Feels well.\n"
    _, out = _run(text, [("SNF", "Disease")])
    assert _texts(out) == ["shaky", "sweaty"]


def test_a_class_fused_to_gdm_is_gdm_and_a_side_and_site_after_a_finding_go():
    text = HEADER + "H/o GDM; A1GDM this pregnancy. new blurry vision r eye x3d.\n"
    _, out = _run(text, [("blurry vision r eye", "Disease")])
    assert _texts(out) == ["GDM", "GDM", "blurry vision"]


def test_list_openers_and_bowel_movements_are_no_part_of_a_finding():
    text = HEADER + "RISKS INCL BLEEDING, INFECTION. Relistor if no BM in 48h. c/w thyroid storm.\n"
    _, out = _run(text, [("INCL BLEEDING", "Disease"), ("INFECTION", "Disease"), ("BM", "Disease")])
    assert _texts(out) == ["BLEEDING", "INFECTION", "thyroid storm"]


def test_a_relative_a_when_word_and_a_measured_pressure_are_no_part_of_a_finding():
    text = HEADER + "FH: father MI at 52. plan: hemiarthroplasty tmrw. hold metoprolol for sbp 88.\n"
    _, out = _run(text, [("father MI", "Disease"), ("hemiarthroplasty tmrw", "Disease")])
    assert _texts(out) == ["MI"]


def test_a_diet_named_for_what_it_limits_is_no_drug_unless_it_gives_the_amount():
    text = HEADER + "low sodium diet, potassium restriction. 2 g sodium diet.\n"
    doc = _doc(text, [("sodium", "Chemical"), ("potassium", "Chemical"), ("sodium", "Chemical", 1)])
    out = note_findings(doc, list(doc.entities))
    assert [e.start for e in out if e.label == "Chemical"] == [text.index("sodium diet.")]


def test_prior_and_d_t_in_lists_and_new_signs():
    text = HEADER + ("History of PTSD and one prior suicide attempt. charcoal not given d/t "
                     "aspiration risk. exam no pronator drift. ongoing passive SI.\n")
    _, out = _run(text, [("PTSD", "Disease")])
    assert _texts(out) == ["PTSD", "suicide attempt", "pronator drift", "SI"]


def test_a_diagnosis_heading_after_a_sentence_on_its_line_opens_a_list():
    text = HEADER + ("OPERATIVE NOTE. PREOPERATIVE DIAGNOSIS: SYMPTOMATIC CHOLELITHIASIS. "
                     "POSTOPERATIVE DIAGNOSIS: ACUTE CHOLECYSTITIS. PROCEDURE: CHOLECYSTECTOMY.\n")
    _, out = _run(text, [("CHOLELITHIASIS", "Disease")])
    assert _texts(out) == ["CHOLELITHIASIS", "ACUTE CHOLECYSTITIS"]


def test_a_drug_after_a_slash_that_is_a_chemical_of_its_own_is_not_joined():
    _, out = _run_chemical(HEADER + "ibuprofen/tylenol alternating; sacubitril-valsartan bid.\n",
                           ["ibuprofen", "tylenol", "sacubitril"])
    assert _texts(out, "Chemical") == ["ibuprofen", "tylenol", "sacubitril-valsartan"]


def test_a_nutrient_lack_a_named_variant_and_a_pain_score():
    text = HEADER + ("PMH: iron def anemia, vit D deficiency, migraine w/ aura, bipolar I d/o.\n"
                     "RN: c/o HA 8/10. hep B vaccine given; h/o hep C.\n")
    doc = _doc(text, [("iron", "Chemical"), ("def anemia", "Disease"), ("vit D", "Chemical"),
                      ("migraine", "Disease"), ("bipolar", "Disease")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert _texts(out) == ["iron def anemia", "vit D deficiency", "migraine w/ aura",
                           "bipolar I d/o", "HA", "hep C"]


def test_short_lines_time_words_capitals_vaccines_and_related_pain():
    text = HEADER + ("s/p l tka for oa\npain 4/10 at rest. last mania 2022. pt more forgetful.\n"
                     "#NAUSEA/VOMITING: ONDANSETRON PRN. LEFT VENTRICULAR HYPERTROPHY.\n"
                     "vaccines today: yellow fever, typhoid. cancer-related pain. ct: "
                     "centrilobular emphysema.\n")
    doc = _doc(text, [("oa\npain", "Disease"), ("last mania", "Disease"),
                      ("pt more forgetful", "Disease"), ("NAUSEA", "Disease"),
                      ("VOMITING", "Disease"), ("VENTRICULAR HYPERTROPHY", "Disease"),
                      ("yellow fever", "Disease"), ("typhoid", "Disease"), ("cancer", "Disease"),
                      ("pain", "Disease", 1), ("emphysema", "Disease")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert _texts(out) == ["oa", "pain", "mania", "forgetful", "NAUSEA/VOMITING",
                           "LEFT VENTRICULAR HYPERTROPHY", "cancer-related pain",
                           "centrilobular emphysema"]


def test_a_symptom_ends_its_line_before_a_capital():
    text = HEADER + ("no visual changes on ethambutol, no numbness\nHIV neg, per mom no "
                     "palpitations\nFHx dad ADHD\n")
    doc = _doc(text, [("numbness\nHIV", "Disease"), ("palpitations\nFHx", "Disease")])
    out = note_findings(doc, list(doc.entities))
    _check_invariants(doc, out)
    assert _texts(out, "Disease") == ["visual changes", "numbness", "HIV", "palpitations",
                                      "ADHD"]


def test_an_allergy_key_is_cut_from_a_model_chemical():
    _, out = _run_chemical(HEADER + "nitrofurantoin 100 bid; allergy sulfa (rash).\n",
                           ["allergy sulfa"])
    assert _texts(out, "Chemical") == ["sulfa"]


def test_a_count_after_a_model_chemical_is_cut():
    _, out = _run_chemical(HEADER + "post-tnk: no aspirin or heparin x24h.\n", ["heparin x24h"])
    assert _texts(out, "Chemical") == ["heparin"]
