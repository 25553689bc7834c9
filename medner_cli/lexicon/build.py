"""Build the drug lexicon (``drugs.tsv.gz`` + ``drugs.LICENSE.txt``) of a model folder.

    python -m medner_cli.lexicon.build --out models/minilm-l4-bc5cdr

The names come from the PyPI package ``drug-named-entity-recognition`` (MIT, Fast Data Science):
its data file ``drug_ner_dictionary.pkl.bz2`` maps ~107,000 lower-cased name variants to ~20,000
canonical drugs with DrugBank and MeSH ids. The package is needed here only, at build time (``pip
install drug-named-entity-recognition``); its code is never imported, its data file is read.

What is derived (docs/lexicon.md has the reasons and the figures):

- every variant, and every canonical name that is no variant of its own ("iron", "caffeine"),
  lower-cased, white space collapsed, and ``SUPPLEMENT``: 92 common US and UK brands the
  package lacks ("Keflex", "Norco", the sedative "Versed", contrast agents, skin antiseptics,
  combination inhalers, eye drops), mapped by hand to the package's drugs;
- the canonical name; the DrugBank id as it is; the MeSH id only when no other drug of the
  package carries it: the package's "mesh_id" is most often the drug's pharmacological-action
  class (furosemide -> D049994 "Sodium Potassium Chloride Symporter Inhibitors", shared by 5
  drugs), which would mislead linking (measured against the BC5CDR gold ids, docs/lexicon.md);
- less the collision guard, in this order:
  1. form: two characters or fewer, no letter, scraped markup, MeSH inverted entry terms
     ("acid, bile"), no word run of three characters (lab codes, "at-10"), a function word
     first ("and emtricitabine)");
  2. ``HAND_STOP``, a short hand list;
  3. the BC5CDR training annotators' verdict: a variant found at least ``BC5CDR_MIN`` times in
     the training abstracts and inside a gold Chemical less than half of those times ("mRNA"
     0/31, "prolactin" 0/30, "NMDA receptor");
  4. unless BC5CDR attests it as a Chemical (a gold mention, or the verdict above at least half)
     or ``HAND_KEEP`` holds it: a class or macromolecule (a MeSH tree number under
     ``CLASS_TREES``, none under ``SMALL_TREES``, no DrugBank id: "antibiotics", "creatine
     kinase"); a name ending in a ``HEAD_NOUNS`` word ("dopamine receptor"); a one-word variant
     that is a whole word of the model's WordPiece vocabulary (the ~30,000 commonest word pieces
     of general English: "today", "milk", "peanut"); a synonym (not the name of a DrugBank drug)
     found ``BIOMED_MIN`` times or more in the unlabelled biomedical sentences ("rela",
     "tnf-alpha").
"""

from __future__ import annotations

import argparse
import bz2
import collections
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import pickle
import re
import sys
import textwrap
from pathlib import Path
from typing import Iterable, Iterator

from medner_cli.lexicon.match import HEADER, DrugLexicon, key_of
from medner_cli.model import shipped_model_dir

PACKAGE = "drug-named-entity-recognition"
MODULE = "drug_named_entity_recognition"
DATA_FILE = "drug_ner_dictionary.pkl.bz2"
DATA = Path("../shared/data")
BC5CDR_TRAIN = DATA / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
BIOMED = DATA / "biomed-text" / "sentences.txt"
BIOMED_MIN = 10  # occurrences in 2.4M words (about 4 a million)
BC5CDR_MIN = 2  # occurrences before the annotators' verdict counts
# MeSH trees of what BC5CDR does not annotate as a Chemical: macromolecular substances, enzymes,
# amino acids/peptides/proteins, nucleic acids, biological products (vaccines), biological
# factors, and the pharmacological-action classes ("Antidepressive Agents, Tricyclic")
CLASS_TREES = frozenset(("D05", "D08", "D12", "D13", "D20", "D23", "D27"))
# ... unless it is also filed as a small molecule or a hormone (inorganic, organic, heterocyclic,
# polycyclic compounds, hormones, and the amino acids D12.125: "adenosine monophosphate",
# "chorionic gonadotropin", "NMDA")
SMALL_TREES = frozenset(("D01", "D02", "D03", "D04", "D06"))
# last words of a name that make it no chemical (the last word of "NMDA receptor")
HEAD_NOUNS = frozenset("""receptor receptors antigen antigens antibody antibodies vaccine
vaccines therapy therapies drops blocker blockers inhibitor inhibitors agonist agonists antagonist
antagonists diuretic diuretics antidepressant antidepressants hormone hormones steroid steroids
factor factors protein proteins channel channels cell cells gene genes level levels
solostar kwikpen flexpen flextouch handihaler diskus respimat ellipta inhaler inhalers
autoinjector penfill syringe syringes cartridge vial hfa patch patches tablet tablets capsule
capsules injection injectable solution cream ointment gel lotion suspension syrup elixir
suppository suppositories""".split())
# (device and formulation words: the notes guideline leaves them out of a drug's name)

# Common US brands the package lacks: brand -> ingredients (each a canonical of the package). A
# one-ingredient brand takes that drug's ids; a combination gets a name and no ids, as the
# package's own combinations ("trimethoprim/sulfamethoxazole") have none.
SUPPLEMENT: dict[str, tuple[str, ...]] = {
    "keflex": ("cephalexin",),
    "norco": ("hydrocodone", "acetaminophen"),
    "vicodin": ("hydrocodone", "acetaminophen"),
    "lortab": ("hydrocodone", "acetaminophen"),
    "percocet": ("oxycodone", "acetaminophen"),
    "roxicodone": ("oxycodone",),
    "ultracet": ("tramadol", "acetaminophen"),
    "tylenol with codeine": ("acetaminophen", "codeine"),
    "tylenol #3": ("acetaminophen", "codeine"),
    "fiorinal": ("butalbital", "aspirin", "caffeine"),
    "demerol": ("meperidine",),
    "ms contin": ("morphine",),
    "augmentin": ("amoxicillin", "clavulanic acid"),
    "z-pak": ("azithromycin",),
    "z-pack": ("azithromycin",),
    "zpak": ("azithromycin",),
    "dilantin": ("phenytoin",),
    "sinemet": ("carbidopa", "levodopa"),
    "imdur": ("isosorbide mononitrate",),
    "hyzaar": ("losartan", "hydrochlorothiazide"),
    "vytorin": ("ezetimibe", "simvastatin"),
    "jantoven": ("warfarin",),
    "lomotil": ("diphenoxylate", "atropine"),
    "levsin": ("hyoscyamine",),
    "kcl": ("potassium chloride",),
    "k-tab": ("potassium chloride",),
    "urocit-k": ("potassium citrate",),
    "slow fe": ("ferrous sulfate",),
    "renvela": ("sevelamer",),
    "zemplar": ("paricalcitol",),
    "neulasta": ("pegfilgrastim",),
    "yaz": ("drospirenone", "ethinyl estradiol"),
    "tylenol no. 3": ("acetaminophen", "codeine"),
    "versed": ("midazolam",),
    "gadavist": ("gadobutrol",),
    "definity": ("perflutren",),
    "visipaque": ("iodixanol",),
    "magnevist": ("gadopentetic acid",),
    "betadine": ("povidone-iodine",),
    "hibiclens": ("chlorhexidine",),
    # added 2026-12-07: of 426 common US brands checked against the lexicon, these were missing
    # (combination and long-acting inhalers, eye drops, fixed-dose combinations, newer products)
    "trelegy": ("fluticasone furoate", "umeclidinium", "vilanterol"),
    "breo": ("fluticasone furoate", "vilanterol"),
    "anoro": ("umeclidinium", "vilanterol"),
    "incruse": ("umeclidinium",),
    "stiolto": ("tiotropium", "olodaterol"),
    "dulera": ("mometasone furoate", "formoterol"),
    "bevespi": ("glycopyrronium", "formoterol"),
    "wixela": ("fluticasone", "salmeterol"),
    "arnuity": ("fluticasone furoate",),
    "lonhala": ("glycopyrronium",),
    "perforomist": ("formoterol",),
    "pred forte": ("prednisolone acetate",),
    "vigamox": ("moxifloxacin",),
    "zymaxid": ("gatifloxacin",),
    "zaditor": ("ketotifen",),
    "ilevro": ("nepafenac",),
    "systane": ("polyethylene glycol", "propylene glycol"),
    "janumet": ("sitagliptin", "metformin"),
    "jentadueto": ("linagliptin", "metformin"),
    "kazano": ("alogliptin", "metformin"),
    "lotrel": ("amlodipine", "benazepril"),
    "ziac": ("bisoprolol", "hydrochlorothiazide"),
    "aldactazide": ("spironolactone", "hydrochlorothiazide"),
    "caduet": ("amlodipine", "atorvastatin"),
    "bidil": ("isosorbide dinitrate", "hydralazine"),
    "primaxin": ("imipenem", "cilastatin"),
    "envarsus": ("tacrolimus",),
    "kayexalate": ("sodium polystyrene sulfonate",),
    "curosurf": ("poractant alfa",),
    "solu-cortef": ("hydrocortisone",),
    "golytely": ("polyethylene glycol",),
    "sprintec": ("norgestimate", "ethinyl estradiol"),
    "senna-s": ("senna", "docusate"),
    "nab-paclitaxel": ("paclitaxel",),
    "nexplanon": ("etonogestrel",),
    "climara": ("estradiol",),
    "uceris": ("budesonide",),
    "zenpep": ("pancrelipase",),
    "voquezna": ("vonoprazan",),
    "librax": ("chlordiazepoxide", "clidinium"),
    "levbid": ("hyoscyamine",),
    "donnatal": ("phenobarbital", "hyoscyamine", "atropine", "scopolamine"),
    "mitigare": ("colchicine",),
    "velsipity": ("etrasimod",),
    # added 2026-12-07 (sixth session): UK laxative, calcium and vitamin D brands, an HIV
    # combination, the digoxin antidote and "dextrose", which the package has only as glucose
    "laxido": ("polyethylene glycol",),
    "movicol": ("polyethylene glycol",),
    "adcal-d3": ("calcium carbonate", "cholecalciferol"),
    "calcichew": ("calcium carbonate",),
    "fultium": ("cholecalciferol",),
    "descovy": ("emtricitabine", "tenofovir alafenamide"),
    "digifab": ("digoxin immune fab",),
    "dextrose": ("glucose",),
}

# Variants that are words of notes or abstracts in another sense (the automatic rules miss them):
# receptor subtypes ("beta-2" is isoetharine), "pt 9" (betahistine; "pt 9 days post-op"), foods
HAND_STOP = frozenset(["water", "caps", "alpha-1", "alpha-2", "beta-1", "beta-2", "pt 9", "pt-9",
                       "af 2", "af-2", "kale", "oat", "oats", "beet", "whey", "hops", "soot",
                       "low-dose aspirin", "low dose aspirin", "ldl cholesterol", "hdl cholesterol",
                       "ldl-cholesterol", "hdl-cholesterol"])
FUNCTION_WORDS = frozenset("and or the of with for in on at to by no not per from".split())
# Names whose first run of 2+ characters has two, kept all the same
SHORT_KEYS = frozenset(["5-fu", "6-mp"])
# Drugs that the vocabulary rule (common English words) or the class rule (proteins) would drop
HAND_KEEP = frozenset(["insulin", "heroin", "marijuana", "opium", "cocaine", "nicotine", "zinc",
                       "copper", "arsenic", "epoetin alfa"])
_SALT_WORDS = frozenset("""hydrochloride hcl hydrobromide sulfate sulphate succinate tartrate
bitartrate maleate mesylate citrate phosphate acetate besylate bromide chloride fumarate hyclate
carbonate propionate dipropionate furoate valerate gluconate lactate sodium potassium calcium
magnesium disodium""".split())


def package_info() -> dict:
    """Where the package's data file is, its version, its licence text, the file's sha256."""
    spec = importlib.util.find_spec(MODULE)  # finds the package without running its code
    if spec is None or spec.origin is None:
        raise SystemExit(f"{PACKAGE} is not installed: pip install {PACKAGE}")
    path = Path(spec.origin).parent / DATA_FILE
    dist = importlib.metadata.distribution(PACKAGE)
    licence = next((f.read_text(encoding="utf-8") for f in dist.files or ()
                    if f.name.upper().startswith("LICEN")), None)
    return {"path": path, "version": dist.version, "licence": licence or dist.metadata["License"],
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def entries(data: dict) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """``variant -> (name, mesh, drugbank)`` of the package and the supplement, and ``variant ->
    canonical`` (for the class rule). MeSH ids carried by more than one canonical are dropped."""
    v2c: dict = data["drug_variant_to_canonical"]
    c2d: dict = data["drug_canonical_to_data"]
    mesh_use = collections.Counter(d.get("mesh_id") for d in c2d.values() if d.get("mesh_id"))

    def concept(canonical: str) -> tuple[str, str, str]:
        d = c2d.get(canonical, {})
        mesh = d.get("mesh_id") or ""
        return (d.get("name") or canonical, mesh if mesh_use[mesh] == 1 else "",
                d.get("drugbank_id") or "")

    out: dict[str, tuple[str, str, str]] = {}
    canon: dict[str, str] = {}
    for variant, canonicals in v2c.items():
        v = _norm(variant)
        if v and v not in out:
            out[v], canon[v] = concept(canonicals[0]), canonicals[0]
    for canonical in c2d:
        v = _norm(canonical)
        if v and v not in out:
            out[v], canon[v] = concept(canonical), canonical
    for brand, parts in SUPPLEMENT.items():
        if brand in out:
            continue
        missing = [p for p in parts if p not in c2d]
        if missing:
            raise SystemExit(f"supplement {brand!r}: {missing} not in the package")
        if len(parts) == 1:
            out[brand], canon[brand] = concept(parts[0]), parts[0]
        else:
            names = [concept(p)[0] for p in parts]
            out[brand] = ("/".join([names[0]] + [n.lower() for n in names[1:]]), "", "")
            canon[brand] = ""
    return out, canon


def pubtator(path: Path) -> Iterator[tuple[str, list[tuple[int, int, str, str]]]]:
    """(text, [(start, end, label, mention)]) of each document of a PubTator file."""
    text, mentions = None, []
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = re.match(r"^\d+\|([ta])\|(.*)$", line)
        if m:
            if m[1] == "t":
                if text is not None:
                    yield text, mentions
                text, mentions = m[2], []
            else:
                text += " " + m[2]
            continue
        p = line.split("\t")
        if len(p) >= 6 and p[1].isdigit():
            mentions.append((int(p[1]), int(p[2]), p[4], p[3]))
    if text is not None:
        yield text, mentions


def bc5cdr_evidence(lex: DrugLexicon, path: Path) -> tuple[dict[str, list[int]], set[str]]:
    """``variant -> [occurrences, inside a gold Chemical]`` in a BC5CDR file ("NMDA receptor" is
    not inside the gold "NMDA"), and the lower-cased gold Chemical mentions."""
    stats: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    gold_names: set[str] = set()
    for text, mentions in pubtator(path):
        chem = [(s, e) for s, e, label, _ in mentions if label == "Chemical"]
        gold_names.update(_norm(m) for _, _, label, m in mentions if label == "Chemical")
        for hit in lex.find(text):
            x = stats[hit.variant]
            x[0] += 1
            x[1] += any(s <= hit.start and hit.end <= e for s, e in chem)
    return dict(stats), gold_names


def _spaced(variant: str) -> str:
    return " ".join(re.findall(r"\w+|[^\w\s]", variant))


def biomed_counts(variants: Iterable[str], path: Path) -> collections.Counter:
    """How often each variant occurs in the tokenized sentences (one a line, tokens spaced)."""
    spaced: dict[str, str] = {}
    for v in variants:
        spaced.setdefault(_spaced(v), v)
    lex = DrugLexicon((s, s, "", "") for s in spaced)
    counts: collections.Counter = collections.Counter()
    with path.open(encoding="utf-8") as f:
        while True:
            chunk = f.readlines(1 << 16)
            if not chunk:
                break
            for hit in lex.find("".join(chunk)):
                counts[spaced[hit.variant]] += 1
    return counts


def vocab_words(tokenizer: Path) -> set[str]:
    """Whole words of a WordPiece vocabulary (no "##" pieces, letters only, 3+ characters)."""
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    return {w for w in vocab if len(w) >= 3 and w.isalpha()}


def _structural(v: str, name: str) -> str | None:
    if len(v) <= 2:
        return "short"
    if re.search(r"[&{}<>|\[\]]", v) or re.match(r"(?:template|draft|category|file):", name, re.I):
        return "markup"  # scraped from Wikipedia: "&lt;ref&gt;...", "Template:Infobox drug/..."
    if ", " in v and v != name.lower():
        return "inverted"  # MeSH entry terms ("acid, bile", "12, po") that no text writes
    if not re.search(r"[^\W\d_]", v):
        return "no-letter"
    k = key_of(v)  # the run the matcher looks for first
    if k is None or (len(k[0]) < 3 and v not in SHORT_KEYS):
        return "short-key"  # lab codes ("at-10", "mg-utp"); "mg" is in every note
    if k[0] in FUNCTION_WORDS:
        return "function-word"  # "and emtricitabine)", "per and polyfluoroalkyl ..."
    return None


def _generic(variant: str, row: tuple[str, str, str]) -> bool:
    """Whether a variant is the name of a DrugBank drug, or that name and a salt word
    ("chloramphenicol", "fluticasone propionate"), not a synonym of it ("rela", "vp16")."""
    name = row[0].lower()
    return bool(row[2]) and (variant == name or variant.startswith(name + " ")
                             and variant[len(name) + 1:] in _SALT_WORDS)


def _class_like(c2d: dict, canonical: str) -> bool:
    d = c2d.get(canonical) or {}
    # amino acids (D12.125: "NMDA", "L-NAME") are small molecules in the protein tree
    trees = {"D01" if t.startswith("D12.125") else t[:3] for t in d.get("mesh_tree") or ()}
    return not d.get("drugbank_id") and bool(trees & CLASS_TREES) and not trees & SMALL_TREES


# canonical names of vaccines, toxoids and immune globulins ("Pneumococcal conjugate vaccine"
# for "Prevnar 20", "Hepatitis B immune globulin" for "HBIG", "Pertussis Vaccine" for "bordetella
# pertussis"), which the notes guideline leaves out with blood products; the anti-thymocyte and
# anti-lymphocyte globulins are immunosuppressant drugs and stay
_BIOLOGICAL = re.compile(r"\b(?:vaccines?|toxoids?|immune globulins?|immunoglobulins?)\b", re.I)
_ANIMAL_ANTIBODIES = re.compile(r"thymocyte|lymphocyte", re.I)


def _head_noun(v: str) -> bool:
    """A name of several words whose last word names no chemical: "NMDA receptor", "creatine
    kinase", "hepatitis B e antigen" (the step would take "NMDA" into it)."""
    words = v.split()
    if len(words) < 2:
        return False
    last = re.split(r"[-/]", words[-1])[-1]
    return last in HEAD_NOUNS or (len(last) > 5 and re.search(r"ases?$", last) is not None)


def build(bc5cdr: Path, biomed: Path, tokenizer: Path, data: dict) -> tuple[dict, dict, dict]:
    """(kept ``variant -> row``, dropped ``variant -> reason``, figures)."""
    rows, canon = entries(data)
    c2d = data["drug_canonical_to_data"]
    dropped: dict[str, str] = {}
    for v in list(rows):
        reason = _structural(v, rows[v][0]) or ("hand" if v in HAND_STOP else None)
        if reason:
            dropped[v] = reason
            del rows[v]
    # the corpus evidence is taken with what is left, twice: a variant that hid a shorter one
    # where it matched may be dropped in the first round
    for _ in range(2):
        lex = DrugLexicon((v, *r) for v, r in rows.items())
        stats, gold = bc5cdr_evidence(lex, bc5cdr)
        for v, (n, ok) in stats.items():
            if n >= BC5CDR_MIN and ok / n < 0.5:
                dropped[v] = f"bc5cdr {ok}/{n}"
                del rows[v]
    attested = gold | {v for v, (n, ok) in stats.items() if ok and ok / n >= 0.5}
    words = vocab_words(tokenizer)
    counts = biomed_counts(rows, biomed)
    for v in list(rows):
        if v in SUPPLEMENT or v in HAND_KEEP:
            continue
        if _class_like(c2d, canon.get(v, "")):
            dropped[v] = "class"  # a class even where BC5CDR tags it ("statins"): notes do not
        elif _head_noun(v):
            dropped[v] = "head-noun"
        elif v in attested:
            continue
        elif _BIOLOGICAL.search(rows[v][0]) and not _ANIMAL_ANTIBODIES.search(rows[v][0]):
            dropped[v] = "biological"  # the notes guideline: vaccines and blood products
        elif " " not in v and v in words:
            dropped[v] = "english"
        elif counts[v] >= BIOMED_MIN and not _generic(v, rows[v]):
            dropped[v] = f"biomed {counts[v]}"
        else:
            continue
        del rows[v]
    reasons = collections.Counter(r.split()[0] for r in dropped.values())
    figures = {"variants_in": len(rows) + len(dropped), "kept": len(rows),
               "dropped": dict(sorted(reasons.items())), "supplement": len(SUPPLEMENT),
               "concepts": len(set(rows.values())),
               "with_mesh": sum(1 for r in rows.values() if r[1]),
               "with_drugbank": sum(1 for r in rows.values() if r[2])}
    return rows, dropped, figures


def write(out: Path, rows: dict, info: dict, figures: dict, gz: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    body = HEADER + "\n" + "".join(f"{v}\t{n}\t{m}\t{d}\n" for v, (n, m, d) in sorted(rows.items()))
    raw = body.encode("utf-8")
    if gz:
        path = out / "drugs.tsv.gz"
        path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
        (out / "drugs.tsv").unlink(missing_ok=True)
    else:
        path = out / "drugs.tsv"
        path.write_bytes(raw)
        (out / "drugs.tsv.gz").unlink(missing_ok=True)
    dropped = ", ".join(f"{k} {n}" for k, n in figures["dropped"].items())
    derived = textwrap.fill(
        f"What was derived: one row per name variant (lower-cased, white space collapsed): the "
        f"variant, the canonical name, the MeSH id (only where no other drug of the package "
        f"carries it; the package's MeSH id is mostly a pharmacological-action class) and the "
        f"DrugBank id. Canonical names that are no variant of their own were added, and "
        f"{figures['supplement']} common US and UK brand names that the package lacks were added by "
        f"hand (medner, SUPPLEMENT in build.py), mapped to the package's drugs. Variants that "
        f"collide with common English, clinical or biomedical words, classes and proteins were "
        f"left out ({dropped}). Rows: {figures['kept']} variants of {figures['concepts']} "
        f"concepts, {figures['with_mesh']} with a MeSH id, {figures['with_drugbank']} with a "
        f"DrugBank id.", width=96)
    (out / "drugs.LICENSE.txt").write_text(f"""\
{path.name}: the drug name lexicon of medner

Source: the PyPI package {PACKAGE} {info['version']} by Fast Data Science Ltd
(https://github.com/fastdatascience/drug_named_entity_recognition), MIT licence, reproduced
below. Derived from its data file {DATA_FILE}
(sha256 {info['sha256']})
by `python -m medner_cli.lexicon.build --out DIR` (medner_cli/lexicon/build.py, docs/lexicon.md).
The package's README names the sources of its dictionary: DrugBank (open data vocabulary), MeSH,
MedlinePlus, the NHS website, PubChem and Wikipedia.

{derived}

---- {PACKAGE} {info['version']}: licence ----

{info['licence'].strip()}
""", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m medner_cli.lexicon.build", description=__doc__
                                 .split("\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="folder for drugs.tsv.gz and "
                    "drugs.LICENSE.txt (a model folder)")
    ap.add_argument("--bc5cdr", type=Path, default=BC5CDR_TRAIN, help="BC5CDR training PubTator")
    ap.add_argument("--biomed", type=Path, default=BIOMED, help="tokenized biomedical sentences")
    ap.add_argument("--tokenizer", type=Path, default=shipped_model_dir() / "tokenizer.json",
                    help="a WordPiece tokenizer.json whose whole words count as common English")
    ap.add_argument("--plain", action="store_true", help="write drugs.tsv, not drugs.tsv.gz")
    ap.add_argument("--dropped", type=Path, help="also write the dropped variants and why (TSV)")
    args = ap.parse_args(argv)
    info = package_info()
    with bz2.open(info["path"], "rb") as f:
        data = pickle.load(f)  # the package's own data file (dicts of strings)
    rows, dropped, figures = build(args.bc5cdr, args.biomed, args.tokenizer, data)
    path = write(args.out, rows, info, figures, gz=not args.plain)
    if args.dropped:
        args.dropped.write_text("".join(f"{v}\t{r}\n" for v, r in sorted(dropped.items())),
                                encoding="utf-8")
    figures.update(source=f"{PACKAGE} {info['version']}", sha256=info["sha256"],
                   file=str(path), bytes=path.stat().st_size)
    json.dump(figures, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
