"""Lookup keys for mentions: an exact key, and morphological variants for unseen spellings.

``key`` is what the dictionary is indexed by: case folded, white space collapsed. The variant
keys are progressively looser, and each is applied to the dictionary's own mentions too, so a
query and an entry meet when they differ only by:

- ``morph_key``: case; Greek letters ("β-carotene" / "beta-carotene"); possessives
  ("Parkinson's disease" / "Parkinson disease"); hyphens, slashes and spacing ("beta-blocker" /
  "beta blocker"); regular plurals ("seizures" / "seizure", "arrhythmias", "therapies");
  British spellings ("haemorrhage", "oedema", "tumour", "sulphate", "aluminium");
- ``order_key``: the word order of a 2-3 word mention ("failure renal" / "renal failure");
- ``squash_key``: the separators altogether ("5-FU" / "5FU", "betablocker" / "beta blocker");
- ``stem_key``, for diseases only: the derivational ending of the last word ("ischemic" /
  "ischemia", "hypertensive" / "hypertension", "epileptic" / "epilepsy").

They are kept deliberately conservative: no stemming beyond regular plurals, no edit distance,
no token dropping; a variant index built from them drops a variant that two different concepts
share (``medner_cli.link`` does that), so an unresolved mention is preferred to a wrong id.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ω": "omega", "τ": "tau", "θ": "theta",
}
_GREEK_RE = re.compile("|".join(_GREEK))
_POSSESSIVE = re.compile(r"(?<=\w)['’]s?\b")
_TOKENS = re.compile(r"[^\W_]+")
# British -> American, applied inside words (both sides get the same, so a rare false rewrite
# only matters if it makes two different entries collide, and the index drops collisions)
_SPELLING = (
    ("sulph", "sulf"), ("aemi", "emi"), ("haem", "hem"), ("oedem", "edem"), ("oesoph", "esoph"),
    ("oestr", "estr"), ("diarrhoea", "diarrhea"), ("foet", "fet"), ("paed", "ped"),
    ("aetiol", "etiol"), ("leucocyt", "leukocyt"), ("aluminium", "aluminum"),
    ("caesium", "cesium"), ("anaesth", "anesth"),
)
_OUR = re.compile(r"(?<=[a-z]{3})our\b")  # tumour, humour, behaviour
_IZE = re.compile(r"(?<=[a-z]{3})is(e|ed|ation)\b")  # hospitalised, immunisation


def key(text: str) -> str:
    """The exact dictionary key: case folded, runs of white space made one space."""
    return _SPACE.sub(" ", text.casefold()).strip()


def _singular(token: str) -> str:
    """A regular plural made singular; short tokens, numbers and Latin/Greek endings are kept."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("oses"):  # thromboses, stenoses
        return token[:-4] + "osis"
    if token.endswith("itides"):
        return token[:-6] + "itis"
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "xes", "ches", "shes", "uses")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _spelling(token: str) -> str:
    for british, american in _SPELLING:
        if british in token:
            token = token.replace(british, american)
    token = _OUR.sub("or", token)
    return _IZE.sub(r"iz\1", token)


def morph_tokens(text: str) -> list[str]:
    """The tokens of ``morph_key``."""
    text = _GREEK_RE.sub(lambda m: _GREEK[m.group()], text.casefold())
    text = _POSSESSIVE.sub("", text)
    return [_spelling(_singular(t)) for t in _TOKENS.findall(text)]


def morph_key(text: str) -> str:
    """Case, Greek letters, possessives, separators, plurals and British spellings folded."""
    return " ".join(morph_tokens(text))


def order_key(tokens: list[str]) -> str | None:
    """The sorted tokens of a 2-3 token mention; None for other lengths."""
    return " ".join(sorted(tokens)) if 2 <= len(tokens) <= 3 else None


def squash_key(tokens: list[str]) -> str | None:
    """The tokens run together; None when that adds nothing (one token)."""
    return "".join(tokens) if len(tokens) > 1 else None


# derivational endings of a disease word, tried longest first: "ischemic" / "ischemia",
# "hypertensive" / "hypertension", "epileptic" / "epilepsy", "toxicity" / "toxic"
_ENDINGS = ("icity", "ical", "ity", "ism", "ive", "ion", "ic", "ia", "is", "y", "e")


def stem(token: str) -> str:
    """A disease word without its derivational ending ("-tic" becomes "-s": "psychotic" and
    "psychosis" give "psychos"); words of 5 letters or fewer are kept."""
    if len(token) <= 5 or not token.isalpha():
        return token
    for ending in _ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            base = token[:-len(ending)]
            if ending in ("ic", "ical", "icity") and base.endswith("t"):
                base = base[:-1] + "s"
            return base
    return token


def stem_key(tokens: list[str]) -> str | None:
    """The mention with its last word stemmed; None when stemming changes nothing."""
    if not tokens or (last := stem(tokens[-1])) == tokens[-1]:
        return None
    return " ".join(tokens[:-1] + [last])


def variants(text: str, label: str | None = None) -> list[tuple[str, str]]:
    """``(kind, variant)`` from the closest to the loosest: morph, order, squash, then (for a
    Disease) stem.

    ``kind`` names the index a variant is looked up in; an empty mention has none.
    """
    tokens = morph_tokens(text)
    if not tokens:
        return []
    morph = " ".join(tokens)
    out = [("morph", morph)]
    if order := order_key(tokens):  # kept even when it equals morph: "failure renal"
        out.append(("order", order))
    out.append(("squash", squash_key(tokens) or tokens[0]))
    if label == "Disease" and (stemmed := stem_key(tokens)):
        out.append(("stem", stemmed))
    return out
