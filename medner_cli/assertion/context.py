"""The ConText algorithm (Harkema et al. 2009) with NegEx scoping (Chapman et al. 2001).

In one sentence: every match of the lexicon is a pseudo-trigger (skipped, and never a
trigger: "no change", "gram negative"), a termination term ("but", "which", ";") or a trigger.
A trigger's scope runs in its direction to the end of the sentence, or to its ``max_scope``
words, and stops earlier at

* a termination term that ends its category (not a ":" right after the trigger: "Denies: fever");
* another trigger of the same category: the closer trigger takes over (its cue is reported);
* a trigger of a category listed in ``terminated_by`` ("no fever, possible pneumonia": the
  uncertain trigger ends the negation), unless the two triggers are adjacent ("questionable
  history of", "not any possible": they chain, and both apply), or a trigger whose rule
  ``terminates`` the category ("mother denies": the denial is the mother's report about the
  patient);
* a string in the rule's ``stop_at`` (post-modifiers such as "unlikely" reach back only to the
  last comma).

When the trigger that ends a forward scope looks backward ("no fever, pneumonia unlikely"),
the forward scope ends where that backward scope begins, so "pneumonia" is uncertain but not
negated; when the forward trigger is itself inside that backward scope ("no other autoimmune
disease in the family"), both apply. Commas and "or" do not end scopes: "denies fever, chills
or night sweats" negates all three. Triggers that overlap a target entity are part of its name
and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medner_cli.assertion.rules import PSEUDO, TERMINATION, Lexicon, Rule

_CHAIN_BREAK = re.compile(r"[,;.:]")
_TOKEN = re.compile(r"[^\s\w]*\w\S*")


@dataclass(slots=True)
class Cue:
    """A trigger found in a sentence, with its scope once computed."""

    start: int
    end: int
    category: str
    rule: Rule
    fwd_end: int = -1  # entities starting in end..fwd_end are in scope
    bwd_block: int = -1  # ... or starting at or after bwd_block and ending by start
    blocker: "Cue | Term | None" = None  # what set bwd_block, if anything
    skip: tuple[int, int] | None = None  # an aside the forward scope passes over


@dataclass(slots=True)
class Term:
    """A termination term found in a sentence."""

    start: int
    end: int
    categories: frozenset[str]


def find(lex: Lexicon, low: str, s: int, e: int,
         spans: list[tuple[int, int]]) -> tuple[list[Cue], list[Term]]:
    """The triggers and termination terms of ``low[s:e]`` outside the entity ``spans``."""
    cues: list[Cue] = []
    terms: list[Term] = []
    for a, b, rules in lex.matches(low, s, e):
        if not rules:
            continue
        for x, y in spans:
            if x < b and a < y:
                break
        else:
            if any(r.kind == PSEUDO for r in rules):
                continue
            # a word may end some scopes and start another ("start" ends a history and, after
            # "if ...,", starts a hypothetical drug)
            ending = [r for r in rules if r.kind == TERMINATION and (  # (its line before it)
                r.not_preceded_by is None or r.not_preceded_by.search(
                    low, low.rfind("\n", 0, a) + 1, a) is None)]
            if ending:
                terms.append(Term(a, b, frozenset(c for r in ending for c in r.categories)))
            for r in rules:
                if r.kind == TERMINATION:
                    continue
                if r.preceded_by is not None and r.preceded_by.search(low[s:a]) is None:
                    continue
                if r.not_preceded_by is not None and r.not_preceded_by.search(low[s:a]) is not None:
                    continue
                if r.followed_by is not None and r.followed_by.match(low[b:e]) is None:
                    continue
                for c in r.categories:
                    cues.append(Cue(a, b, c, r))
    return cues, terms


def _blocks(lex: Lexicon, item: Cue | Term, cue: Cue) -> bool:
    if isinstance(item, Term):
        return cue.category in item.categories
    if item.start == cue.start and item.end == cue.end:
        return False  # another category or variant of the same cue
    a, b = item.rule.labels, cue.rule.labels
    if a is not None and b is not None and not a & b:
        return False  # a rule for Chemicals does not end a scope over Diseases
    return (item.category == cue.category or cue.category in item.rule.terminates
            or item.category in lex.terminated_by[cue.category])


def _adjacent(low: str, first: Cue | Term, second: Cue | Term) -> bool:
    """A ":" right next to the trigger ends nothing of it: "Denies: fever". A ";" still
    does ("was given and then stopped; digoxin level 0.9"), and so does a word term ("most
    likely due to a virus")."""
    term = first if isinstance(first, Term) else second
    return (isinstance(term, Term) and low[term.start:term.end] == ":"
            and not low[first.end:second.start].strip())


def _chained(lex: Lexicon, low: str, cue: Cue, item: Cue) -> bool:
    """Adjacent triggers of different categories apply together ("no family history of")."""
    if item.category == cue.category or cue.category in item.rule.terminates:
        return False
    gap = low[cue.end:item.start]
    if _CHAIN_BREAK.search(gap):
        return False
    return all(w in lex.chain_fillers for w in gap.split())


def _within_chain(lex: Lexicon, low: str, cue: Cue, later: Cue) -> bool:
    """The backward scope of ``later`` was stopped by ``cue`` or by a trigger chained to it
    ("questionable prior TIA in 2019"): the two scopes cover the same words, so both apply."""
    blocker = later.blocker
    return blocker is cue or (isinstance(blocker, Cue) and blocker.start >= cue.end
                              and _chained(lex, low, cue, blocker))


def scope(lex: Lexicon, low: str, s: int, e: int, cues: list[Cue], terms: list[Term]) -> None:
    """Set the scope of every cue of the sentence ``s..e`` (word limits are checked later)."""
    items: list[Cue | Term] = sorted([*cues, *terms], key=lambda x: x.start) if terms or \
        len(cues) > 1 else cues
    for cue in cues:  # backward first: a forward scope may end where a backward one starts
        rule = cue.rule
        if not rule.backward:
            continue
        block = s
        for item in reversed(items):
            if item.end <= cue.start and _blocks(lex, item, cue) and not _adjacent(low, item, cue):
                block, cue.blocker = item.end, item
                break
        for stop in rule.stop_at:
            p = low.rfind(stop, block, cue.start)
            if p != -1 and not (stop == "(" and ")" in low[p:cue.start]):
                block = p + len(stop)  # a closed "(...)" ends no scope: "Pneumonia (RLL) is likely"
                cue.blocker = None
        cue.bwd_block = block

    for cue in cues:
        rule = cue.rule
        if not rule.forward:
            continue
        end = e
        aside = _aside_end(low, s, cue.start, e)
        if aside != -1:
            end = aside  # a trigger inside "( ... )" governs the aside only
        for item in items:
            if item.start < cue.end or not _blocks(lex, item, cue) or _adjacent(low, cue, item):
                continue
            if isinstance(item, Cue) and _chained(lex, low, cue, item):
                continue
            if aside == -1 and isinstance(item, Cue) and item.category != cue.category and \
                    cue.skip is None and (close := _aside_end(low, cue.end, item.start, e)) != -1:
                # an aside's trigger of another kind ends no scope outside it, only in it: "pmh
                # migraine (sumatriptan prn), htn"
                cue.skip = (low.rfind("(", cue.end, item.start), close)
                continue
            end = min(end, item.start)
            if (isinstance(item, Cue) and item.category != cue.category
                    and item.rule.backward and not _within_chain(lex, low, cue, item)):
                claim = item.bwd_block
                if item.rule.max_scope:
                    claim = max(claim, word_start_before(low, item.start, item.rule.max_scope))
                if claim >= cue.end:  # else the cue is inside that backward scope: both apply
                    end = min(end, claim)
            break
        for stop in rule.stop_at:
            p = low.find(stop, cue.end, end)
            if p != -1:
                end = p
        cue.fwd_end = end


def _aside_end(low: str, s: int, pos: int, e: int) -> int:
    """Where the parenthesis open at ``pos`` (opened after ``s``) closes before ``e``; -1 if
    ``pos`` is in none."""
    p = low.rfind("(", s, pos)
    if p == -1 or ")" in low[p:pos]:
        return -1
    return low.find(")", pos, e)


def word_start_before(low: str, pos: int, words: int) -> int:
    """The start of the ``words``-th word before ``pos`` (0 if there are fewer)."""
    starts = [m.start() for m in _TOKEN.finditer(low, max(0, pos - 40 * words), pos)]
    return starts[-words] if len(starts) >= words else 0


def covering(cues: list[Cue], low: str, start: int, end: int, label: str) -> dict[str, Cue]:
    """For each category, the closest cue whose scope holds the entity ``start..end``.

    ``max_scope`` counts words (runs of non-space holding a letter or digit, so "s/p" and
    "daily:" are one word each and a lone "-" none): the entity's first word (forward) or last
    word (backward) must be one of the ``max_scope`` words next to the cue.
    """
    best: dict[str, tuple[int, Cue]] = {}
    for cue in cues:
        rule = cue.rule
        if rule.labels is not None and label not in rule.labels:
            continue
        if cue.fwd_end >= 0 and cue.end <= start < cue.fwd_end and not (
                cue.skip and cue.skip[0] < start < cue.skip[1]):
            if rule.max_scope and len(_TOKEN.findall(low, cue.end, start)) >= rule.max_scope:
                continue
            distance = start - cue.end
        elif cue.bwd_block >= 0 and end <= cue.start and start >= cue.bwd_block:
            if rule.max_scope and len(_TOKEN.findall(low, end, cue.start)) >= rule.max_scope:
                continue
            distance = cue.start - end
        else:
            continue
        held = best.get(cue.category)
        if held is None or distance < held[0]:
            best[cue.category] = (distance, cue)
    return {c: v[1] for c, v in best.items()}


def ended(cues: list[Cue], terms: list[Term], category: str, start: int, end: int) -> bool:
    """Whether a term in ``start..end`` ends ``category`` (it then overrides a section flag).

    "RECENTLY DISCONTINUED: ibuprofen (CKD risk, on aspirin)": "on" brings aspirin back to the
    present although the section is one of stopped drugs.
    """
    for t in terms:
        if start <= t.start and t.end <= end and category in t.categories:
            return True
    for q in cues:
        if start <= q.start and q.end <= end and category in q.rule.terminates:
            return True
    return False
