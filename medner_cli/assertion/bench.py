"""Measure the assertion step on synthetic notes: ``python -m medner_cli.assertion.bench``.

The step runs on every document ``medner annotate`` writes, so its cost is a budget (about
0.3 ms for a 2,000-character note with 10 entities). The notes are built here from clinical
phrases (headings, fields, lists, wrapped prose, triggers of every category) so the figure can
be reproduced anywhere without data; each timed call gets a fresh ``Doc``, so sentence and
section bounds are computed inside the measurement, as in ``annotate``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from medner_cli.assertion import Assertion
from medner_cli.doc import Doc

# (text with [entity|Label] marks)
_PIECES = [
    "CHIEF COMPLAINT: [Chest pain|Disease] x 2 hours\n",
    "HISTORY OF PRESENT ILLNESS\n58 y/o female with [hypertension|Disease] and obesity presenting "
    "with substernal pressure that began while carrying groceries up two flights of stairs. "
    "Pain radiates to the left arm and is associated with diaphoresis and nausea. No vomiting. "
    "Denies recent travel, [leg swelling|Disease], hemoptysis, or prior DVT/PE. EMS gave "
    "[nitroglycerin|Chemical] 0.4 mg SL x2 with partial relief.\n\n",
    "PMH: HTN, HLD, [T2DM|Disease] (A1c 7.9% in 03/2024), GERD, osteoarthritis of both knees.\n",
    "Home medications: [lisinopril|Chemical] 20 mg daily, atorvastatin 40 mg nightly, "
    "metformin 1000 mg BID.\n",
    "Allergies: Sulfa ([rash|Disease]), shellfish (hives).\n",
    "FAMILY HISTORY\nFather died of a [myocardial infarction|Disease] at 66. Mother had type 2 "
    "diabetes and stroke.\n\n",
    "REVIEW OF SYSTEMS: Positive as per HPI. Negative for [fever|Disease], cough, abdominal "
    "pain, melena, dysuria and focal weakness. All other systems reviewed and negative.\n\n",
    "Fever: none\nChills: none\n[Rash|Disease]: no\nEdema: absent\n",
    "PHYSICAL EXAM\nGeneral: anxious, diaphoretic, in moderate distress.\nCV: tachycardic, "
    "regular rhythm, no murmurs, rubs or gallops.\nLungs: faint bibasilar crackles, no "
    "wheezes.\nExt: no [edema|Disease], calves non-tender.\n\n",
    "ASSESSMENT AND PLAN\n1. Possible [acute coronary syndrome|Disease] vs musculoskeletal pain; "
    "serial troponins, aspirin 324 mg now.\n2. [Pneumonia|Disease] unlikely, chest x-ray clear.\n"
    "3. Stopped [metformin|Chemical] before contrast; resume in 48 hours.\n",
    "Discharge instructions: return to the ED if [chest pain|Disease], shortness of breath or "
    "[syncope|Disease] occur. Avoid [ibuprofen|Chemical] and other NSAIDs.\n",
    "RECENTLY DISCONTINUED\n- [Glipizide|Chemical] 10 mg PO BID: stopped 02/2025 "
    "(hypoglycemia)\n- Omeprazole 20 mg daily: switched to [pantoprazole|Chemical]\n\n",
]


def _parse(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    out, spans, i = [], [], 0
    pos = 0
    while True:
        j = marked.find("[", i)
        if j < 0:
            out.append(marked[i:])
            break
        out.append(marked[i:j])
        pos += j - i
        bar, close = marked.index("|", j), marked.index("]", j)
        word, label = marked[j + 1:bar], marked[bar + 1:close]
        spans.append((pos, pos + len(word), label))
        out.append(word)
        pos += len(word)
        i = close + 1
    return "".join(out), spans


def synthetic_notes(n: int, seed: int = 0, size: int = 2000, entities: int = 10
                    ) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``n`` notes of about ``size`` characters, each with ``entities`` marked entities."""
    rng = random.Random(seed)
    notes = []
    for _ in range(n):
        text, spans = "", []
        while len(text) < size:
            piece, marks = _parse(rng.choice(_PIECES))
            spans += [(a + len(text), b + len(text), lab) for a, b, lab in marks]
            text += piece
        text = text[:size]
        spans = [s for s in spans if s[1] <= len(text)]
        rng.shuffle(spans)
        notes.append((text, sorted(spans[:entities])))
    return notes


def measure(n: int = 300, repeat: int = 15, seed: int = 0) -> dict[str, float]:
    """CPU milliseconds per note of ``Assertion()`` (best and median of ``repeat`` passes).

    The best pass is the figure (as with ``timeit``): slower passes measure the other
    processes that share the CPU caches, not the step.
    """
    step = Assertion()
    notes = synthetic_notes(n, seed)
    passes = []
    for _ in range(repeat):
        docs = []
        for text, spans in notes:
            doc = Doc("bench", text)
            docs.append((doc, [doc.span(a, b, lab) for a, b, lab in spans]))
        gc.disable()  # as timeit does: a collection of the prepared documents is not the step's
        try:
            start = time.process_time()  # CPU time: other jobs on the machine do not count
            for doc, ents in docs:
                step(doc, ents)
            passes.append((time.process_time() - start) * 1000 / n)
        finally:
            gc.enable()
    chars = statistics.mean(len(t) for t, _ in notes)
    ents = statistics.mean(len(s) for _, s in notes)
    return {"ms_per_note_median": statistics.median(passes), "ms_per_note_best": min(passes),
            "notes": n, "chars_per_note": chars, "entities_per_note": ents}


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop, to compare the machine a figure came from."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    r = measure(args.notes, args.repeat, args.seed)
    print(f"{r['ms_per_note_best']:.3f} CPU ms per note (best of {args.repeat} passes; median "
          f"{r['ms_per_note_median']:.3f}) over {r['notes']} synthetic notes of "
          f"{r['chars_per_note']:.0f} characters and {r['entities_per_note']:.1f} entities; "
          f"calibration: a 3-million-step Python loop took {calibration():.2f} CPU s")

if __name__ == "__main__":
    main()
