"""Load ``triggers.json`` and compile every rule into one regular expression.

The lexicon is data so that a user can add a trigger without touching code; this module is the
only place that knows the file's schema (docs/assertion.md). It checks the file strictly (an
unknown key or category is an error, not a silently ignored rule) because a typo in a lexicon
otherwise shows up only as a quietly wrong flag.

Speed is the reason for the shape of the compiled patterns: all literals go into one
trie-shaped alternation (shared prefixes are tried once) that is anchored on the non-word
character before a word, so the ``re`` engine skips from word start to word start in C, and a
sentence is scanned in one pass whatever the number of triggers; the few regex rules are one
more pass. The patterns run on the lower-cased text, so literals and regexes are written in
lower case.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

CATEGORIES = ("negated", "uncertain", "historical", "hypothetical", "family")
DIRECTIONS = ("forward", "backward", "bidirectional")
KINDS = ("trigger", "pseudo", "termination")
DEFAULT_PATH = Path(__file__).with_name("triggers.json")

TRIGGER, PSEUDO, TERMINATION = 0, 1, 2
_RULE_KEYS = {"literal", "regex", "kind", "category", "categories", "direction", "max_scope",
              "labels", "preceded_by", "not_preceded_by", "followed_by", "stop_at", "terminates",
              "note"}
_TOP_KEYS = {"about", "version", "labels", "categories", "chain_fillers", "vars", "sections",
             "rules"}
_SECTION_KEYS = {"headings", "category", "labels", "first_only", "one_sentence", "note"}
_VAR = re.compile(r"\{([a-z_]+)\}")


class LexiconError(ValueError):
    """``triggers.json`` does not follow the schema; the message names the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One trigger, pseudo-trigger or termination term, as written in the file."""

    index: int  # position in the file's "rules" list, for messages
    kind: int  # TRIGGER, PSEUDO or TERMINATION
    categories: tuple[str, ...]  # what a trigger sets, or what a termination ends
    forward: bool
    backward: bool
    max_scope: int | None  # in words; None: to the end of the sentence
    labels: frozenset[str] | None  # entity labels it applies to; None: all target labels
    preceded_by: re.Pattern[str] | None  # must match the sentence text before the cue (search)
    not_preceded_by: re.Pattern[str] | None  # must not match it
    followed_by: re.Pattern[str] | None  # must match the sentence text after the cue (match)
    stop_at: tuple[str, ...]  # strings that end this rule's scope (a comma for post-modifiers)
    terminates: frozenset[str]  # categories whose scopes this trigger ends in any case


@dataclass(frozen=True, slots=True)
class Section:
    """A section heading's effect: ``category`` (None: an ordinary section that resets)."""

    category: str | None
    labels: frozenset[str] | None
    first_only: bool = False  # only the first such entity of a list item or sentence
    one_sentence: bool = False  # an inline heading governs its own sentence only


@dataclass(frozen=True)
class Lexicon:
    """The compiled file: the pattern, what each match means, and the section headings."""

    words: re.Pattern[str]  # the literals that start with a word character, after a non-word one
    first: re.Pattern[str]  # the same literals, at the very start of the scanned text
    others: re.Pattern[str] | None  # the literals that start with punctuation (";")
    regex: re.Pattern[str] | None  # every regex rule, as one alternation
    literals: dict[str, tuple[Rule, ...]]  # normalised matched text -> its rules
    regexes: tuple[tuple[re.Pattern[str], tuple[Rule, ...]], ...]  # each pattern, its rules
    labels: frozenset[str]
    terminated_by: dict[str, frozenset[str]]
    chain_fillers: frozenset[str]
    headings: dict[str, Section]  # normalised heading name -> its section
    rules: tuple[Rule, ...]
    path: str

    def matches(self, low: str, start: int, end: int) -> list[tuple[int, int, tuple[Rule, ...]]]:
        """Non-overlapping matches in ``low[start:end]``: leftmost first, then longest; the
        rules of a literal and a regex that match the same words all apply.

        Literals are found by a scan of one trie-shaped pattern that starts at a non-word
        character, so the regex engine skips ahead in C to the starts of words; regex rules
        are one more scan. A regex match that starts inside a word is not a match.
        """
        lits = self.literals
        found = []
        if start == 0 or _is_word(low[start - 1]):
            m = self.first.match(low, start, end)
            if m is not None:
                g = m.group()
                found.append((start, m.end(), lits.get(g) or lits.get(" ".join(g.split()), ())))
            scan = m.end() if m is not None else start
        else:
            scan = start - 1
        for m in self.words.finditer(low, scan, end):
            g = m.group(1)
            found.append((m.start(1), m.end(), lits.get(g) or lits.get(" ".join(g.split()), ())))
        extra = False
        if self.others is not None:
            for m in self.others.finditer(low, start, end):
                found.append((m.start(), m.end(), lits.get(m.group(), ())))
                extra = True
        if self.regex is not None:
            pos = start
            while (m := self.regex.search(low, pos, end)) is not None:
                a, b = m.span()
                if a > 0 and _is_word(low[a]) and _is_word(low[a - 1]):
                    pos = a + 1  # not a match, and the text it took may hold one: "coumad|in
                    continue  # 2008" must not hide "2008-2020"
                pos = max(b, a + 1)
                for rx, rules in self.regexes:
                    if rx.match(low, a, end) is not None:
                        found.append((a, b, rules))
                        extra = True
                        break
        if not extra:
            return found
        found.sort(key=lambda x: (x[0], x[0] - x[1]))
        out: list[tuple[int, int, tuple[Rule, ...]]] = []
        last = -1
        for item in found:
            if out and item[:2] == out[-1][:2]:  # a regex and a literal on the same words
                out[-1] = (item[0], item[1], out[-1][2] + item[2])
            elif item[0] >= last:
                out.append(item)
                last = item[1]
            elif item[1] > last and (rest := _apart(out[-1][2], item[2])):
                out.append((item[0], item[1], rest))
                last = item[1]
        return out


def _apart(first: tuple[Rule, ...], later: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rules of a trigger that overlaps ``first`` and goes on past it which apply to other
    labels than ``first``'s, so that they stand beside it ("tamoxifen was stopped in 2022 for
    hot flashes": "was stopped" makes the drug historical, "stopped in 2022 for" the reason)."""
    if any(r.labels is None for r in first):
        return ()
    taken = frozenset().union(*(r.labels for r in first))
    return tuple(r for r in later if r.labels is not None and taken.isdisjoint(r.labels))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def normalise(text: str) -> str:
    """Lower case, single spaces: the form in which literals and headings are compared."""
    return " ".join(text.lower().split())


_JOINER = re.compile(r" ?([/&]) ?")


def heading_key(text: str) -> str:
    """``normalise`` without spaces around "/" and "&": "ALLERGIES / INTOLERANCES" is the
    heading "allergies/intolerances"."""
    return _JOINER.sub(r"\1", normalise(text))


def _fail(where: str, message: str) -> LexiconError:
    return LexiconError(f"triggers file: {where}: {message}")


def _str_list(value: Any, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise _fail(where, f"{key!r} must be a string or a non-empty list of strings")
    return list(value)


def _check_lower(pattern: str, where: str) -> None:
    bare = re.sub(r"\\.", "", pattern)
    if any(c.isupper() for c in bare):
        raise _fail(where, f"{pattern!r}: write patterns in lower case (they run on lower-cased "
                           "text)")


def _expand(text: str, variables: dict[str, list[str]], where: str) -> list[str]:
    """``text`` with each ``{name}`` replaced by every value of ``variables[name]``."""
    names = _VAR.findall(text)
    if not names:
        return [text]
    for name in names:
        if name not in variables:
            raise _fail(where, f"unknown variable {{{name}}} (known: {', '.join(variables)})")
    pieces = _VAR.split(text)  # literal, name, literal, name, ...
    out = []
    for values in itertools.product(*(variables[n] for n in pieces[1::2])):
        parts = [pieces[0]]
        for value, tail in zip(values, pieces[2::2]):
            parts += [value, tail]
        out.append("".join(parts))
    return out


def _regex_vars(pattern: str, variables: dict[str, list[str]], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in variables:
            raise _fail(where, f"unknown variable {{{m.group(1)}}}")
        values = sorted((v for v in variables[m.group(1)] if v), key=len, reverse=True)
        return "(?:" + "|".join(r"\s+".join(map(re.escape, v.split())) for v in values) + ")"
    return _VAR.sub(sub, pattern)


def _compile_condition(value: Any, where: str, key: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, f"{key!r} must be a regex string")
    _check_lower(value, where)
    try:
        return re.compile(value)
    except re.error as e:
        raise _fail(where, f"{key!r} does not compile: {e}") from None


def _make_rule(index: int, raw: dict[str, Any], label_set: frozenset[str]) -> Rule:
    where = f"rule {index}"
    kind_name = raw.get("kind", "trigger")
    if kind_name not in KINDS:
        raise _fail(where, f"kind {kind_name!r} is not one of {', '.join(KINDS)}")
    kind = KINDS.index(kind_name)
    if kind == TRIGGER:
        if "category" not in raw:
            raise _fail(where, "a trigger needs a 'category'")
        categories = tuple(_str_list(raw["category"], where, "category"))
    elif kind == TERMINATION:
        categories = tuple(_str_list(raw.get("categories", list(CATEGORIES)), where, "categories"))
    else:
        categories = ()
    for c in categories:
        if c not in CATEGORIES:
            raise _fail(where, f"category {c!r} is not one of {', '.join(CATEGORIES)}")
    if kind != TRIGGER:
        extra = {"category", "direction", "max_scope", "labels", "preceded_by", "followed_by",
                 "not_preceded_by", "stop_at", "terminates"} & raw.keys()
        if kind == TERMINATION:  # a term may be no term after some words ("discharged on")
            extra.discard("not_preceded_by")
        if extra:
            raise _fail(where, f"{', '.join(sorted(extra))} only apply to triggers"
                        + (" (a termination takes not_preceded_by)" if kind == TERMINATION
                           else ""))
    direction = raw.get("direction", "forward")
    if direction not in DIRECTIONS:
        raise _fail(where, f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    max_scope = raw.get("max_scope")
    if max_scope is not None and (not isinstance(max_scope, int) or isinstance(max_scope, bool)
                                  or max_scope < 1):
        raise _fail(where, "max_scope must be a positive number of words")
    labels = None
    if "labels" in raw:
        labels = frozenset(_str_list(raw["labels"], where, "labels"))
        if not labels <= label_set:
            raise _fail(where, f"labels {sorted(labels - label_set)} are not target labels "
                               f"{sorted(label_set)}")
    terminates = frozenset(_str_list(raw["terminates"], where, "terminates")) \
        if "terminates" in raw else frozenset()
    if not terminates <= set(CATEGORIES):
        raise _fail(where, f"terminates: unknown categories {sorted(terminates - set(CATEGORIES))}")
    stop_at = tuple(_str_list(raw["stop_at"], where, "stop_at")) if "stop_at" in raw else ()
    return Rule(index, kind, categories, direction != "backward", direction != "forward",
                max_scope, labels, _compile_condition(raw.get("preceded_by"), where, "preceded_by"),
                _compile_condition(raw.get("not_preceded_by"), where, "not_preceded_by"),
                _compile_condition(raw.get("followed_by"), where, "followed_by"), stop_at,
                terminates)


def _literal_regex(text: str) -> str:
    return r"\s+".join(re.escape(part) for part in text.split(" "))


def _trie_regex(literals: Iterable[str]) -> str:
    """An alternation equivalent to ``literals`` that prefers the longest one at a position.

    A literal ending in a word character must not continue into a word ("no" in "none").
    """
    trie: dict[str, Any] = {}
    for lit in literals:
        node = trie
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = lit
    def emit(node: dict[str, Any]) -> str:
        branches = []
        for key in sorted(k for k in node if k):
            token = r"\s+" if key == " " else re.escape(key)
            branches.append(token + emit(node[key]))
        if "" in node:
            lit = node[""]
            end = r"(?!\w)" if lit[-1].isalnum() or lit[-1] == "_" else ""
            branches.append(end)  # the shortest alternative goes last: longest match first
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"
    return emit(trie)


def compile_lexicon(data: dict[str, Any], path: str = "<data>") -> Lexicon:
    """Check ``data`` (the parsed file) and build the matcher."""
    if not isinstance(data, dict):
        raise _fail("top level", "must be a JSON object")
    unknown = data.keys() - _TOP_KEYS
    if unknown:
        raise _fail("top level", f"unknown keys {sorted(unknown)}")
    label_set = frozenset(_str_list(data.get("labels", ["Chemical", "Disease"]), "top", "labels"))
    variables = {}
    for name, values in data.get("vars", {}).items():
        if not re.fullmatch(r"[a-z_]+", name):
            raise _fail("vars", f"name {name!r}: use lower-case letters and _")
        variables[name] = [v.lower() for v in _str_list(values, f"vars.{name}", name)]

    terminated_by: dict[str, frozenset[str]] = {c: frozenset() for c in CATEGORIES}
    for cat, conf in data.get("categories", {}).items():
        if cat not in CATEGORIES:
            raise _fail("categories", f"unknown category {cat!r}")
        if not isinstance(conf, dict) or conf.keys() - {"terminated_by", "note"}:
            raise _fail(f"categories.{cat}", "only 'terminated_by' and 'note' are allowed")
        by = frozenset(conf.get("terminated_by", []))
        if not by <= set(CATEGORIES) or cat in by:
            raise _fail(f"categories.{cat}", "terminated_by lists other categories")
        terminated_by[cat] = by

    rules: list[Rule] = []
    literals: dict[str, list[Rule]] = {}
    regexes: list[tuple[str, Rule]] = []
    for index, raw in enumerate(data.get("rules", [])):
        where = f"rule {index}"
        if not isinstance(raw, dict):
            raise _fail(where, "must be an object")
        unknown = raw.keys() - _RULE_KEYS
        if unknown:
            raise _fail(where, f"unknown keys {sorted(unknown)}")
        if ("literal" in raw) == ("regex" in raw):
            raise _fail(where, "needs exactly one of 'literal' or 'regex'")
        rule = _make_rule(index, raw, label_set)
        rules.append(rule)
        if "literal" in raw:
            for lit in _str_list(raw["literal"], where, "literal"):
                for text in _expand(lit, variables, where):
                    key = normalise(text)
                    if not key:
                        raise _fail(where, "an empty literal")
                    same = literals.setdefault(key, [])
                    if same and same[0].kind != rule.kind:
                        raise _fail(where, f"{key!r} is already a {KINDS[same[0].kind]} "
                                           f"(rule {same[0].index})")
                    if rule not in same:
                        same.append(rule)
        else:
            pattern = raw["regex"]
            if not isinstance(pattern, str) or "(?i" in pattern:
                raise _fail(where, "regex must be a string, without an inline flag")
            _check_lower(pattern, where)
            pattern = _regex_vars(pattern, variables, where)
            try:
                compiled = re.compile(pattern)
            except re.error as e:
                raise _fail(where, f"regex does not compile: {e}") from None
            if compiled.match(""):
                raise _fail(where, "regex matches the empty string")
            regexes.append((pattern, rule))

    word = sorted(k for k in literals if _is_word(k[0]))
    other = sorted(k for k in literals if not _is_word(k[0]))
    trie = _trie_regex(word) if word else r"(?!)"
    headings: dict[str, Section] = {}
    for i, raw in enumerate(data.get("sections", [])):
        where = f"section {i}"
        if not isinstance(raw, dict) or raw.keys() - _SECTION_KEYS or "headings" not in raw:
            raise _fail(where, f"needs 'headings'; allowed keys {sorted(_SECTION_KEYS)}")
        category = raw.get("category")
        if category is not None and category not in CATEGORIES:
            raise _fail(where, f"category {category!r} is not one of {', '.join(CATEGORIES)}")
        labels = frozenset(_str_list(raw["labels"], where, "labels")) if "labels" in raw else None
        if labels is not None and not labels <= label_set:
            raise _fail(where, f"labels {sorted(labels - label_set)} are not target labels")
        flags = {}
        for key in ("first_only", "one_sentence"):
            flags[key] = raw.get(key, False)
            if not isinstance(flags[key], bool):
                raise _fail(where, f"{key} must be true or false")
        section = Section(category, labels, **flags)
        for name in _str_list(raw["headings"], where, "headings"):
            key = heading_key(name)
            if key in headings:
                raise _fail(where, f"heading {key!r} is listed twice")
            headings[key] = section

    return Lexicon(
        words=re.compile(r"\W(" + trie + ")"),
        first=re.compile(trie),
        others=re.compile(_trie_regex(other)) if other else None,
        regex=re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(p for p, _ in regexes)))
        if regexes else None,
        literals={k: tuple(v) for k, v in literals.items()},
        regexes=tuple((re.compile(p), tuple(r for q, r in regexes if q == p))  # a shared
                      for p in dict.fromkeys(p for p, _ in regexes)),  # pattern: every rule
        labels=label_set,
        terminated_by=terminated_by,
        chain_fillers=frozenset(normalise(f) for f in data.get("chain_fillers", [])),
        headings=headings,
        rules=tuple(rules),
        path=path,
    )


@lru_cache(maxsize=8)
def load_lexicon(path: str | Path = DEFAULT_PATH) -> Lexicon:
    """The compiled lexicon of ``path``, read and compiled once per process and path."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LexiconError(f"cannot read triggers file {path}: {e}") from None
    return compile_lexicon(data, str(path))
