r"""The LogScale regex dialect, translated to RE2 and run with pyre2.

``translate`` turns a LogScale regex -- the text between the slashes of a
``/pattern/flags`` literal (where ``\/`` means ``/``) or the string given to
``regex()`` -- into an RE2 pattern plus what a caller needs around it: the
field names of the named groups, the ``g`` (repeat) flag, and the pattern's
text when it is a plain literal (``literal``), anchored or not
(``literal_match``: the string test the compiler may run instead).
``compile_regex`` compiles that with pyre2 (never letting pyre2 fall back to
Python's ``re`` on its own) into a thread-safe ``CompiledRegex``; only the
backtracking constructs below go to a backtracking engine, deliberately.
``required_literals`` gives literal substrings one of which must occur in any
match, for prefilters.  Every rejected pattern raises ``RegexError`` (a
``ValueError``) with the construct's offset and length in the pattern; nothing
else is raised for any pattern string.

Matching semantics
------------------
* Field regexes are unanchored searches (``url=/login/`` means "contains");
  anchor with ``^``/``$`` or ``\A``/``\z``.
* ``.`` matches any character but ``\n`` unless flag ``d`` (``(?s)``).  Text
  is matched as Unicode code points (RE2 in UTF-8 mode): ``.`` matches an
  emoji as one character, where JitRex (engine v1) sees two UTF-16 units.
* ``i`` / ``(?i)`` is RE2's case folding: Unicode *simple* case folding, so
  ``k`` also matches KELVIN SIGN U+212A and ``s`` matches LONG S U+017F, while
  ``ß`` does not match ``SS`` (that needs full folding).  RE2 folds negated
  classes too: ``(?i)\W`` does not match U+212A.  Java's CASE_INSENSITIVE
  alone is ASCII-only, so this is a superset of it on ASCII-letter patterns.
* ``$`` is RE2's: end of text, or end of line under ``m``.  Java's ``$``
  without MULTILINE also matches before a final line terminator; JitRex's
  exact rule is not documented (UNCONFIRMED), RE2's is kept.
* ``\d``, ``\w``, ``\b`` are ASCII (``[0-9]``, ``[0-9A-Za-z_]``), as in the
  LogScale tables; ``\s`` is Java's ``[ \t\n\x0B\f\r]`` (RE2's own ``\s``
  lacks ``\x0B``).  Engine v1's ``\W`` quirk (``[^a-zA-Z]``) is not copied.
* ``regex()`` has ``m`` on by default and ``/.../`` does not
  (syntax-regex-flags page); callers pass the effective flags.

Flags: ``i`` -> ``(?i)``, ``m`` -> ``(?m)``, ``d`` -> ``(?s)``, ``g`` ->
``Translated.repeat`` (no change to the pattern), ``F`` (engine v2) -> no
change; any other flag is an error.  Inline ``(?ims-ims)`` and
``(?ims-ims:...)`` pass through; other inline flags are errors (``(?U)`` means
"ungreedy" in RE2 but "Unicode classes" in Java, ``(?x)``/``(?d)``/``(?u)``
have no RE2 spelling).

Translation (LogScale/Java spelling -> RE2)
-------------------------------------------
* ``(?<name>...)`` (and ``(?P<name>...)``) -> ``(?P<gN>...)``, N counting
  named groups from 1.  Field names may hold characters RE2 names cannot
  (``@timestamp``, ``source.ip``); ``group_fields[k]`` is the field of RE2
  group ``group_indexes[k]``.  Unnamed groups ``(...)`` become ``(?:...)``:
  they create no field, so RE2 need not track them.
* A repeated field name is allowed (``(?<ip>...)|(?<ip>...)``); extraction
  takes the lowest-numbered group that participated.
* Escapes for one character -- ``\xhh``, ``\x{h..h}``, ``\uhhhh`` (a
  ``\uD8xx\uDCxx`` surrogate pair is one code point), ``\0n``/``\0nn``/
  ``\0mnn`` octal, ``\cX``, ``\t \n \r \f \a``, ``\e`` (ESC, documented for
  engine v2), ``\b`` inside a class (backspace, as in JitRex), ``\Q...\E`` --
  become the character itself: ASCII as ``\xhh`` or an escaped/plain
  character, non-ASCII as the literal character.  (``\x{...}`` is *not*
  emitted although RE2 has it, see pyre2 below.)
* ``\Z`` (end, or before a final line terminator) -> ``(?:\n?\z)``.  It
  consumes the final ``\n`` instead of looking at it, which is the same for
  a search and for captures before it; only a pattern that goes on matching
  after ``\Z`` (``a\Z\n``) differs.  Line terminator means ``\n`` only, as
  in the LogScale ``.`` documentation.
* Character classes are re-emitted member by member: ``]`` first is a
  literal, ``^`` first negates, ``-`` first or last is a literal, ranges are
  checked, POSIX ``[[:alpha:]]`` / ``[[:^alpha:]]`` are kept (RE2 has them;
  note the v1 "unsupported" page lists ``[[:``).  ``\p{...}`` / ``\pL`` pass
  through when RE2 knows the name (Java-only names like ``\p{Lower}`` are
  errors).  A ``{`` that does not start ``{n}``, ``{n,}`` or ``{n,m}`` is a
  literal, as in RE2.

Backtracking (``Translated.backtracking``): look-ahead ``(?=...)`` and
``(?!...)`` (JitRex has look-ahead; engine v2 aims at PCRE and Java), atomic
groups ``(?>...)`` and possessive quantifiers ``*+ ++ ?+ {n,m}+`` (listed
as unsupported for engine v1, used by real queries with engine v2) are
accepted, but RE2 cannot run them.  Such a pattern is printed again from
the same tree in the syntax of Python's ``re`` (``python_pattern``, see
``_PythonEmitter``) and compiled by the ``regex`` package (that syntax,
ASCII classes, and a time limit per search; ``Backtracking``): the same
classes, anchors and group names, with one difference: under ``i`` only
ASCII letters fold (Java's CASE_INSENSITIVE; RE2 also folds ``k`` onto the
Kelvin sign).  A backtracking engine has no linear-time bound: the checker
warns (W350), the compiler runs such a regex outside the VM's regex sets,
and a search past ``limits.REGEX_BACKTRACK_SECONDS`` raises
``RegexGaveUp`` (the interpreter makes it W420).  Unicode classes and inline
flag groups other than leading ones cannot be combined with these
constructs (``re``'s syntax cannot spell them): RegexError.

Rejected (RegexError names the construct; sources: syntax-regex-unsupported
for v1, syntax-regex-engines for \h/\v, RE2 syntax wiki): back-references
``\1``-``\9``, ``\k<name>``, ``\g``, ``(?P=name)``; look-behind ``(?<=``
``(?<!`` (nothing found for look-behind in JitRex); conditionals ``(?(``; recursion and subroutines ``(?R)`` ``(?1)`` ``(?&n)``;
comments ``(?#``; branch reset ``(?|``; ``\G \R \X \C \N \K``, ``\b{...}``,
``\u{...}``; ``\h \H \v \V`` (their meaning differs between engine v1 and
v2 -- write ``\x0B``, ``[ \t]``...); class union ``[a-d[m-p]]`` and
intersection ``&&``; a quantifier on nothing or on another quantifier;
repetition counts above RE2's 1000; nesting deeper than 100 groups; lone
surrogates.  Whatever RE2 itself still rejects is reported by
``compile_regex`` with RE2's message (offset 0, the whole pattern).

pyre2 0.3.14
------------
* ``re2.compile`` falls back to Python's ``re`` *silently* by default
  (look-behind compiles to a ``re2.FallbackPattern``).  This module sets
  ``re2.set_fallback_notification(re2.FALLBACK_EXCEPTION)`` -- a process-wide
  setting -- and also refuses any result that is not a ``re2.Pattern``.
* pyre2 rewrites the pattern before RE2 sees it: for ``str`` patterns
  ``\d \w \s`` become Unicode classes (``\d`` would match ``'٣'``) unless
  ``re.ASCII`` is given, ``\Z`` becomes ``\z``, ``\b`` in a class becomes
  ``\010``, and outside a class ``\x`` without exactly two hex digits
  (``\x{263a}``) or a ``\digit`` is rejected as a "back-reference".  We
  compile with ``re2.ASCII`` and emit none of those spellings, so the
  rewrite is the identity on our output.
* ``re2.compile(pattern, flags, max_mem)`` caches on ``(pattern, flags)``
  only, so a second ``max_mem`` is ignored; we call ``re2._compile`` (no
  cache) and keep our own LRU.  ``max_mem`` is a C ``int`` there.
* ``Pattern.finditer`` steps one *byte* after an empty match, landing inside
  multi-byte characters and yielding duplicate spans on non-ASCII text;
  ``extract_all`` steps by characters itself.
* Text with lone surrogates cannot be encoded to UTF-8; such text is matched
  with each lone surrogate replaced by U+FFFD.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeAlias, cast

import re2

if TYPE_CHECKING:
    import regex as backtracking_re  # imported when first needed: 15 ms

from .. import limits
from ..limits import REGEX_MAX_EXPANDED, REGEX_MAX_MEM, REGEX_MAX_NESTING, REGEX_MAX_REPEAT
from ..records import Record, record
from .lazyre import lazy

__all__ = [
    "CASE_FOLDED_INTO_ASCII",
    "Backtracking",
    "CompiledRegex",
    "LiteralMatch",
    "RegexError",
    "RegexGaveUp",
    "RequiredLiterals",
    "Translated",
    "compile_regex",
    "compile_translated",
    "required_literals",
    "translate",
]


re2.set_fallback_notification(re2.FALLBACK_EXCEPTION)

#: A compiled pattern: RE2's, or the backtracking engine's (``Backtracking``).
Matcher: TypeAlias = "re2.Pattern | Backtracking"

_FLAG_PREFIX = {"i": "i", "m": "m", "d": "s"}  # LogScale flag -> RE2 inline flag
_KNOWN_FLAGS = frozenset("imdgF")
_RE2_META = frozenset("\\.+*?()|[]{}^$")
_CLASS_META = frozenset("\\]^-[")
_POSIX_NAMES = frozenset(
    {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph"}
    | {"lower", "print", "punct", "space", "upper", "word", "xdigit"}
)
_BRACE = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_INLINE_FLAGS = re.compile(r"\(\?([A-Za-z]*)(?:(-)([A-Za-z]*))?([:)])")
_POSIX = lazy(r"\[:(\^?)([A-Za-z]*):\]")
_UNICODE_CLASS = lazy(r"[pP](?:\{(\^?)([A-Za-z_ ]+)\}|([A-Za-z]))")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")

# Escapes that stand for one character.
_SIMPLE_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "a": 0x07, "e": 0x1B}
# Class escapes: (outside a class, inside a class).  \s is Java's [ \t\n\x0B\f\r].
_CLASS_ESCAPES = {
    "d": (r"\d", r"\d"),
    "D": (r"\D", r"\D"),
    "w": (r"\w", r"\w"),
    "W": (r"\W", r"\W"),
    "s": (r"[\t-\r ]", r"\t-\r\x20"),
    "S": (r"[^\t-\r ]", "[:^space:]"),
}
# Escapes no RE2 spelling can express, with the name the error gives them.
_UNSUPPORTED_ESCAPES = {
    "G": r"\G (end of the previous match)",
    "R": r"\R (any line-break sequence)",
    "X": r"\X (extended grapheme cluster)",
    "C": r"\C (a single byte)",
    "K": r"\K (reset match start)",
    "h": r"\h (horizontal whitespace; engine v1 and v2 disagree on it, write [ \t] or \x{..})",
    "H": r"\H (non-horizontal whitespace; engine v1 and v2 disagree on it)",
    "v": r"\v (vertical whitespace or vertical tab, depending on the engine; write \x0B or [\n\x0B\f\r])",
    "V": r"\V (non-vertical whitespace; engine v1 and v2 disagree on it)",
    "g": r"back-reference \g",
    "E": r"\E without a preceding \Q",
}


class RegexError(ValueError):
    """A LogScale regex that cannot be translated to RE2, or that RE2 rejects.

    ``offset`` and ``length`` locate the offending construct in the pattern as
    written (``\\/`` counts two characters); when ``in_flags`` is true they
    index the flags string instead.
    """

    def __init__(
        self,
        message: str,
        offset: int = 0,
        length: int = 1,
        *,
        pattern: str = "",
        in_flags: bool = False,
    ) -> None:
        self.message = message
        self.offset = offset
        self.length = length
        self.pattern = pattern
        self.in_flags = in_flags
        where = "flags" if in_flags else "pattern"
        super().__init__(f"{message} (at {where} offset {offset})")


class RegexGaveUp(ValueError):
    """A backtracking regex ran past ``limits.REGEX_BACKTRACK_SECONDS`` on one
    value (catastrophic backtracking); the caller decides what that means."""

    def __init__(self, pattern: str, length: int) -> None:
        self.pattern = pattern
        self.length = length
        seconds = limits.REGEX_BACKTRACK_SECONDS
        super().__init__(
            f"regex /{pattern}/ gave up after {seconds:g} s on a value of {length:,} characters"
        )

    @property
    def warning(self) -> tuple[str, str]:
        """The run-time warning (W420) for the values it gave up on, the same
        for every such value of this pattern (warnings are kept once)."""
        seconds = limits.REGEX_BACKTRACK_SECONDS
        return (
            "W420",
            f"regex /{self.pattern}/ needs the backtracking engine and gave up on a value "
            f"after {seconds:g} s (catastrophic backtracking); such values were taken as "
            "not matching it",
        )


@record
class Translated(Record):
    """A LogScale regex in RE2 form.

    ``re2_pattern`` includes the inline prefix for the flags (``(?i)``,
    ``(?m)``, ``(?s)``).  ``group_fields[k]`` is the field written by RE2
    group number ``group_indexes[k]`` (RE2 name ``group_names[k]``).
    ``case_insensitive`` is the case-insensitivity in force where the pattern
    starts: flag ``i``, adjusted by leading ``(?i)``/``(?-i)`` groups.
    ``literal`` is set when the whole pattern (after leading inline flag
    groups) is plain text: ``literal in text`` is then exactly the match when
    ``case_insensitive`` is false; when true the match is RE2 simple case
    folding (see the module notes), which ``str.lower()`` only approximates.
    ``literal_match`` is set when the match is exactly a string test (see
    ``LiteralMatch``): a plain text, anchored or not.
    ``backtracking`` names the first construct RE2 cannot run (look-ahead,
    an atomic group, a possessive quantifier); such a pattern is matched by
    the backtracking engine with ``python_pattern`` (and ``re2_pattern`` is
    not valid RE2).
    """

    pattern: str
    flags: str
    re2_pattern: str
    group_fields: tuple[str, ...]
    group_names: tuple[str, ...]
    group_indexes: tuple[int, ...]
    repeat: bool
    case_insensitive: bool
    multiline: bool
    dot_all: bool
    literal: str | None
    literal_match: LiteralMatch | None = None
    backtracking: str | None = None
    python_pattern: str | None = None


@record
class LiteralMatch(Record):
    """A regex whose search is a plain string test on the value: ``text``
    anywhere in it, at its start (``at_start``), at its end (``at_end``) or
    as the whole value (both).

    The pattern is, after its leading inline flag groups, an optional start
    anchor (``^`` without multiline, or ``\\A``), literal characters and an
    optional end anchor (``$`` without multiline, or ``\\z``: RE2's ``$``
    is the end of the text, not before a final newline).  With
    ``ignore_case`` (RE2's ``(?i)``) ``text`` is ASCII and a character of the
    value matches a letter of it when it is that letter in either case or,
    for ``k`` and ``s``, its character in ``CASE_FOLDED_INTO_ASCII``: RE2's
    simple case folding restricted to ASCII, exactly (``ß`` never matches
    ``ss``).  Anchored tests are ASCII too, so that text with lone
    surrogates (which RE2 sees as U+FFFD) compares the same way on the str
    as it is.  An unanchored case-sensitive test may be any text: it is
    ``literal``, which ``CompiledRegex.search`` itself tests with ``in``.
    """

    text: str
    at_start: bool
    at_end: bool
    ignore_case: bool


class RequiredLiterals:
    """Any match of the regex contains at least one of ``literals``.

    With ``ascii_case_insensitive`` the literals are in ASCII lower case and
    must be compared ignoring ASCII case (``bytes.lower()``, not
    ``str.lower()``/``casefold()``), with the Kelvin sign U+212A read as
    ``k`` and the long s U+017F as ``s``, as ``matches`` does.  That is exact
    for the case-insensitive parts they come from: those parts are ASCII,
    and the only non-ASCII characters RE2 folds onto ASCII letters are those
    two (``CASE_FOLDED_INTO_ASCII``; the tests check it against RE2).
    Non-ASCII letters under ``(?i)`` are left out by the analysis.
    """

    __slots__ = ("_encoded", "ascii_case_insensitive", "literals")

    literals: tuple[str, ...]
    ascii_case_insensitive: bool

    def __init__(self, literals: tuple[str, ...], ascii_case_insensitive: bool) -> None:
        put = object.__setattr__
        put(self, "literals", literals)
        put(self, "ascii_case_insensitive", ascii_case_insensitive)
        put(self, "_encoded", tuple(s.encode("utf-8", "surrogatepass").lower() for s in literals))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not RequiredLiterals:
            return NotImplemented
        return (self.literals, self.ascii_case_insensitive) == (
            other.literals,  # type: ignore[attr-defined]
            other.ascii_case_insensitive,  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((self.literals, self.ascii_case_insensitive))

    def __repr__(self) -> str:
        return (
            f"RequiredLiterals(literals={self.literals!r},"
            f" ascii_case_insensitive={self.ascii_case_insensitive!r})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        Record.__setattr__(self, name, value)  # (frozen: raises)

    def matches(self, text: str) -> bool:
        """True when ``text`` may match: it contains one of the literals."""
        if not self.ascii_case_insensitive:
            return any(lit in text for lit in self.literals)
        for other, letter in CASE_FOLDED_INTO_ASCII.items():
            text = text.replace(other, letter)
        folded = text.encode("utf-8", "surrogatepass").lower()
        return any(lit in folded for lit in self._encoded)


# --- the parse tree ---------------------------------------------------------------
# Small, private nodes: the parser builds them, `_emit` prints RE2 text from
# them and `_info` computes required literals from them.


class _Node:
    __slots__ = ()


class _Char(_Node):
    """One code point; ``ci`` is the case-insensitivity in force."""

    __slots__ = ("ci", "cp")

    def __init__(self, cp: int, ci: bool) -> None:
        self.cp = cp
        self.ci = ci


class _Set(_Node):
    """``.``, a class escape or a bracket class, already as RE2 text.  ``chars``
    lists its members when it is a small positive set of plain characters."""

    __slots__ = ("chars", "ci", "text")

    def __init__(self, text: str, chars: frozenset[str] | None = None, ci: bool = False) -> None:
        self.text = text
        self.chars = chars
        self.ci = ci


class _Assert(_Node):
    """A zero-width assertion (``^ $ \\b \\B \\A \\z``, and ``\\Z``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Flags(_Node):
    """An inline flag group ``(?i)``, in force to the end of its group."""

    __slots__ = ("ci_after", "text")

    def __init__(self, text: str, ci_after: bool) -> None:
        self.text = text
        self.ci_after = ci_after


class _Group(_Node):
    __slots__ = ("child", "opener")

    def __init__(self, opener: str, child: _Node) -> None:
        self.opener = opener
        self.child = child


class _Concat(_Node):
    __slots__ = ("items",)

    def __init__(self, items: list[_Node]) -> None:
        self.items = items


class _Alt(_Node):
    __slots__ = ("branches",)

    def __init__(self, branches: list[_Node]) -> None:
        self.branches = branches


class _Repeat(_Node):
    __slots__ = ("child", "hi", "lo", "start", "suffix")

    def __init__(self, child: _Node, lo: int, hi: int | None, suffix: str, start: int) -> None:
        self.child = child
        self.lo = lo
        self.hi = hi
        self.suffix = suffix  # the quantifier as RE2 text, with a lazy '?'
        self.start = start  # offset of the quantifier in the pattern


def _lit(cp: int) -> str:
    """RE2 text for one literal code point outside a class."""
    if cp >= 0x80:
        return chr(cp)
    ch = chr(cp)
    if ch in _RE2_META:
        return "\\" + ch
    if 0x20 <= cp < 0x7F:
        return ch
    return f"\\x{cp:02x}"


def _class_lit(cp: int) -> str:
    """RE2 text for one literal code point inside a class."""
    if cp >= 0x80:
        return chr(cp)
    ch = chr(cp)
    if ch in _CLASS_META:
        return "\\" + ch
    if 0x20 < cp < 0x7F:
        return ch
    return f"\\x{cp:02x}"


@lru_cache(maxsize=256)
def _re2_knows_unicode_class(text: str) -> bool:
    try:
        re2._compile(text, re2.ASCII)
    except Exception:
        return False
    return True


class _Parser:
    """Recursive descent over the LogScale pattern, building the tree.

    ``ci`` tracks case-insensitivity the way RE2 scopes inline flags: a
    ``(?i)`` holds to the end of its group, across later alternatives.
    """

    def __init__(self, pattern: str, ci: bool) -> None:
        self.s = pattern
        self.n = len(pattern)
        self.i = 0
        self.ci = ci
        self.fields: list[str] = []
        # constructs only a backtracking engine runs: (what, offset, length)
        self.backtracking: list[tuple[str, int, int]] = []

    def error(self, message: str, start: int, length: int = 1) -> RegexError:
        length = max(1, min(length, self.n - start)) if start < self.n else 1
        return RegexError(message, start, length, pattern=self.s)

    # -- structure ---------------------------------------------------------------

    def parse(self) -> _Node:
        node = self.alternation(0)
        if self.i < self.n:  # only a ')' stops the top level early
            raise self.error("unmatched ')'", self.i)
        return node

    def alternation(self, depth: int) -> _Node:
        branches = [self.sequence(depth)]
        while self.i < self.n and self.s[self.i] == "|":
            self.i += 1
            branches.append(self.sequence(depth))
        return branches[0] if len(branches) == 1 else _Alt(branches)

    def sequence(self, depth: int) -> _Node:
        s, items = self.s, []
        while self.i < self.n:
            c = s[self.i]
            if c in "|)":
                break
            if c == "(":
                items.append(self.group(depth))
            elif c == "[":
                items.append(self.char_class())
            elif c == "\\":
                items.extend(self.escape())
            elif c in "*+?":
                self.quantify(
                    items, self.i, self.i + 1, 1 if c == "+" else 0, 1 if c == "?" else None
                )
            elif c == "{" and (m := _BRACE.match(s, self.i)):
                lo, hi = self.brace_bounds(m)
                self.quantify(items, self.i, m.end(), lo, hi)
            elif c == ".":
                items.append(_Set("."))
                self.i += 1
            elif c in "^$":
                items.append(_Assert(c))
                self.i += 1
            else:
                items.append(_Char(self.raw_char(), self.ci))
        return items[0] if len(items) == 1 else _Concat(items)

    def brace_bounds(self, m: re.Match[str]) -> tuple[int, int | None]:
        start = m.start()
        lo_text, comma, hi_text = m.group(1), m.group(2), m.group(3)
        for text in (lo_text, hi_text):
            if text and (len(text) > 6 or int(text) > REGEX_MAX_REPEAT):
                raise self.error(
                    f"repetition count {text} in {m.group()} exceeds RE2's limit of {REGEX_MAX_REPEAT}",
                    start,
                    m.end() - start,
                )
        lo = int(lo_text)
        hi: int | None = lo if not comma else (int(hi_text) if hi_text else None)
        if hi is not None and hi < lo:
            raise self.error(
                f"repetition {m.group()} has its maximum below its minimum", start, m.end() - start
            )
        return lo, hi

    def quantify(self, items: list[_Node], start: int, end: int, lo: int, hi: int | None) -> None:
        s = self.s
        text = s[start:end]
        prev = items[-1] if items else None
        if isinstance(prev, _Repeat):
            raise self.error(
                f"quantifier {text} follows another quantifier; group the first one with (?:...)",
                start,
                end - start,
            )
        if prev is None or isinstance(prev, _Flags):
            raise self.error(f"quantifier {text} has nothing to repeat", start, end - start)
        suffix = text
        if end < self.n and s[end] == "?":
            suffix += "?"
            end += 1
        elif end < self.n and s[end] == "+":
            suffix += "+"
            self.backtracking.append((f"possessive quantifier {text}+", start, end + 1 - start))
            end += 1
        items[-1] = _Repeat(prev, lo, hi, suffix, start)
        self.i = end

    def group(self, depth: int) -> _Node:
        s, start = self.s, self.i
        if depth >= REGEX_MAX_NESTING:
            raise self.error(f"groups nest deeper than {REGEX_MAX_NESTING} levels", start)
        saved_ci = self.ci
        if not s.startswith("(?", start):
            opener = "(?:"
            self.i = start + 1
        else:
            opener = self.extended_group(start)
            if opener is None:  # an inline flag group such as (?i): no body
                return _Flags(s[start : self.i], self.ci)
        child = self.alternation(depth + 1)
        if self.i >= self.n or s[self.i] != ")":
            raise self.error("missing ')' for this group", start)
        self.i += 1
        self.ci = saved_ci
        return _Group(opener, child)

    def extended_group(self, start: int) -> str | None:
        """Handle ``(?...``; returns the RE2 opener, or None for ``(?flags)``."""
        s = self.s
        c = s[start + 2] if start + 2 < self.n else ""
        c2 = s[start + 3] if start + 3 < self.n else ""
        if c == ":":
            self.i = start + 3
            return "(?:"
        if c == "<" and c2 in "=!" and c2:
            kind = "look-behind" if c2 == "=" else "negative look-behind"
            raise self.error(f"{kind} (?<{c2}...) is not supported by RE2", start, 4)
        if c == "<" or (c == "P" and c2 == "<"):
            return self.named_group(start, start + (3 if c == "<" else 4))
        if c == "P" and c2 == "=":
            raise self.error("named back-reference (?P=name) is not supported by RE2", start, 4)
        if c == "P" and c2 == ">":
            raise self.error("subroutine call (?P>name) is not supported by RE2", start, 4)
        if c in "=!>" and c:
            kind = {"=": "look-ahead", "!": "negative look-ahead", ">": "atomic group"}[c]
            self.backtracking.append((f"{kind} (?{c}...)", start, 3))
            self.i = start + 3
            return f"(?{c}"
        if c == "(":
            raise self.error("conditional (?(...)...) is not supported by RE2", start, 3)
        if c == "#":
            raise self.error("comment group (?#...) is not supported by RE2", start, 3)
        if c == "|":
            raise self.error("branch reset group (?|...) is not supported by RE2", start, 3)
        if c == "'":
            raise self.error(
                "named group (?'name'...) is not supported; write (?<name>...)", start, 3
            )
        if c and (c in "R&+0123456789" or (c == "-" and c2.isdigit())):
            close = s.find(")", start)
            length = close + 1 - start if close > 0 else 3
            raise self.error(
                f"recursion or subroutine call {s[start : start + length]} is not supported by RE2",
                start,
                length,
            )
        if c.isalpha() or c == "-":
            return self.inline_flags(start)
        raise self.error(f"unknown group construct (?{c}", start, 3 if c else 2)

    def named_group(self, start: int, name_start: int) -> str:
        s = self.s
        close = s.find(">", name_start)
        if close < 0:
            raise self.error(
                "named group is missing the '>' after its name", start, name_start - start
            )
        name = s[name_start:close]
        bad = next(
            (ch for ch in name if ch == "<" or ord(ch) < 0x20 or 0xD800 <= ord(ch) < 0xE000), None
        )
        if not name or bad is not None:
            what = "an empty name" if not name else f"the character {bad!r} in its name"
            raise self.error(f"named group has {what}", start, close + 1 - start)
        self.fields.append(name)
        self.i = close + 1
        return f"(?P<g{len(self.fields)}>"

    def inline_flags(self, start: int) -> str | None:
        s = self.s
        m = _INLINE_FLAGS.match(s, start)
        if m is None:
            raise self.error("malformed inline flag group", start, 2)
        on, dash, off, end = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4)
        for k, ch in enumerate(on + dash + off):
            if ch not in "ims-":
                hint = (
                    " ((?U) is 'ungreedy' in RE2, 'Unicode classes' in Java)" if ch == "U" else ""
                )
                raise self.error(
                    f"inline flag '{ch}' is not supported (only i, m and s){hint}", start + 2 + k
                )
        if not on and not off:
            raise self.error("inline flag group sets no flag", start, m.end() - start)
        if dash and not off:
            raise self.error("inline flag group has no flag after '-'", start, m.end() - start)
        if "i" in on:
            self.ci = True
        if "i" in off:
            self.ci = False
        self.i = m.end()
        if end == ")":
            return None
        return m.group()

    # -- escapes outside classes -----------------------------------------------------

    def escape(self) -> list[_Node]:
        """``\\...`` outside a class: zero (for an empty \\Q\\E) or more nodes."""
        s, start = self.s, self.i
        if start + 1 >= self.n:
            raise self.error("trailing backslash", start)
        c = s[start + 1]
        if c in _CLASS_ESCAPES:
            self.i = start + 2
            return [_Set(_CLASS_ESCAPES[c][0])]
        if c in "bB":
            if c == "b" and s.startswith("{", start + 2):
                raise self.error(r"Unicode boundary \b{...} is not supported by RE2", start, 3)
            self.i = start + 2
            return [_Assert("\\" + c)]
        if c in "Az":
            self.i = start + 2
            return [_Assert("\\" + c)]
        if c == "Z":
            self.i = start + 2
            return [_Assert(r"(?:\n?\z)")]
        if c in "pP":
            self.i, text = self.unicode_class(start)
            return [_Set(text)]
        if c == "Q":
            end = s.find("\\E", start + 2)
            stop = self.n if end < 0 else end
            self.i = start + 2
            chars = []
            while self.i < stop:
                chars.append(_Char(self.raw_char(stop), self.ci))
            self.i = stop if end < 0 else end + 2
            return cast(list[_Node], chars)
        if c in "123456789":
            raise self.error(f"back-reference \\{c} is not supported by RE2", start, 2)
        if c == "k":
            close = s.find(">", start) if s.startswith("<", start + 2) else -1
            length = close + 1 - start if close > 0 else 2
            raise self.error(
                f"named back-reference {s[start : start + length]} is not supported by RE2",
                start,
                length,
            )
        if c == "N":
            if s.startswith("{", start + 2):
                raise self.error(r"named character \N{...} is not supported", start, 3)
            raise self.error(
                r"\N (any character but newline) is not supported; write [^\n]", start, 2
            )
        if c in _UNSUPPORTED_ESCAPES:
            raise self.error(f"{_UNSUPPORTED_ESCAPES[c]} is not supported", start, 2)
        return [_Char(self.char_escape(start, in_class=False), self.ci)]

    def unicode_class(self, start: int) -> tuple[int, str]:
        """``\\pL``, ``\\p{Greek}``, ``\\p{^Greek}``, ``\\P...``: kept when RE2
        knows the name."""
        m = _UNICODE_CLASS.match(self.s, start + 1)
        if m is None:
            raise self.error(r"malformed Unicode class \p", start, 2)
        text = "\\" + m.group()
        if not _re2_knows_unicode_class(text):
            raise self.error(
                f"Unicode class {text} is not known to RE2 (RE2 has scripts and general "
                "categories such as \\p{Greek}, \\p{Lu}, \\pN)",
                start,
                len(text),
            )
        return m.end(), text

    def char_escape(self, start: int, in_class: bool) -> int:
        """An escape that stands for one character; returns its code point and
        moves past it.  Raises for every other escape."""
        s = self.s
        c = s[start + 1]
        self.i = start + 2
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c == "b" and in_class:
            return 0x08  # backspace, as in JitRex
        if c == "x":
            return self.hex_escape(start)
        if c == "u":
            return self.unicode_escape(start)
        if c == "0":
            return self.octal_escape(start)
        if c == "c":
            x = s[start + 2] if start + 2 < self.n else ""
            if x and ("@" <= x <= "_" or "a" <= x <= "z" or x == "?"):
                self.i = start + 3
                return 0x7F if x == "?" else ord(x.upper()) - 0x40
            raise self.error(r"\c must be followed by a letter or one of @[\]^_?", start, 3)
        if c.isascii() and c.isalnum():
            raise self.error(f"unknown escape \\{c}", start, 2)
        self.i = start + 1
        return self.raw_char()  # an escaped symbol is itself (\/ is /)

    def hex_escape(self, start: int) -> int:
        s = self.s
        if s.startswith("{", start + 2):
            close = s.find("}", start + 3)
            digits = s[start + 3 : close] if close > 0 else ""
            if not digits or len(digits) > 8 or not all(d in _HEX for d in digits):
                raise self.error(r"\x{...} needs hexadecimal digits", start, 3)
            self.i = close + 1
            return self.code_point(int(digits, 16), start, close + 1 - start)
        digits = s[start + 2 : start + 4]
        if len(digits) != 2 or not all(d in _HEX for d in digits):
            raise self.error(r"\x needs two hexadecimal digits or {...}", start, 2)
        self.i = start + 4
        return int(digits, 16)

    def unicode_escape(self, start: int) -> int:
        s = self.s
        if s.startswith("{", start + 2):
            raise self.error(r"\u{...} is not supported; write \x{...}", start, 3)
        digits = s[start + 2 : start + 6]
        if len(digits) != 4 or not all(d in _HEX for d in digits):
            raise self.error(r"\u needs four hexadecimal digits", start, 2)
        cp = int(digits, 16)
        self.i = start + 6
        if 0xD800 <= cp < 0xDC00 and s.startswith("\\u", start + 6):
            low_digits = s[start + 8 : start + 12]
            if len(low_digits) == 4 and all(d in _HEX for d in low_digits):
                low = int(low_digits, 16)
                if 0xDC00 <= low < 0xE000:
                    self.i = start + 12
                    return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
        return self.code_point(cp, start, 6)

    def octal_escape(self, start: int) -> int:
        s, i = self.s, start + 2
        digits = ""
        while i < self.n and s[i] in _OCT and len(digits) < 3:
            if len(digits) == 2 and digits[0] > "3":
                break
            digits += s[i]
            i += 1
        if not digits:
            raise self.error(r"\0 must be followed by one to three octal digits", start, 2)
        self.i = i
        return int(digits, 8)

    def code_point(self, cp: int, start: int, length: int) -> int:
        if cp > 0x10FFFF:
            raise self.error("code point above U+10FFFF", start, length)
        if 0xD800 <= cp < 0xE000:
            raise self.error(
                f"lone surrogate U+{cp:04X} cannot be matched in UTF-8 text", start, length
            )
        return cp

    def raw_char(self, stop: int | None = None) -> int:
        """The code point at ``self.i`` (joining a surrogate pair) and advance."""
        s, i = self.s, self.i
        cp = ord(s[i])
        if 0xD800 <= cp < 0xE000:
            limit = self.n if stop is None else stop
            if cp < 0xDC00 and i + 1 < limit and 0xDC00 <= ord(s[i + 1]) < 0xE000:
                self.i = i + 2
                return 0x10000 + ((cp - 0xD800) << 10) + (ord(s[i + 1]) - 0xDC00)
            raise self.error(f"lone surrogate U+{cp:04X} cannot be matched in UTF-8 text", i)
        self.i = i + 1
        return cp

    # -- character classes -------------------------------------------------------------

    def char_class(self) -> _Set:
        s, start = self.s, self.i
        i = start + 1
        negate = i < self.n and s[i] == "^"
        if negate:
            i += 1
        parts: list[str] = []
        chars: set[str] | None = None if negate else set()
        first = True
        while True:
            if i >= self.n:
                raise self.error("unterminated character class", start)
            c = s[i]
            if c == "]" and not first:
                i += 1
                break
            first = False
            if c == "[":
                i = self.posix_class(i, parts)
                chars = None
                continue
            if c == "&" and s.startswith("&&", i):
                raise self.error("class intersection && is not supported by RE2", i, 2)
            if c == "\\" and s.startswith("\\Q", i):
                i = self.quoted_in_class(i, parts, chars)
                continue
            lo, text, i = self.class_atom(i)
            if text is not None:  # \d, \p{..}: a '-' after it is a literal
                parts.append(text)
                chars = None
                continue
            if i + 1 < self.n and s[i] == "-" and s[i + 1] != "]":
                range_start = i + 1
                if s[range_start] == "[":
                    raise self.error("a range cannot end with a class", range_start)
                hi, hi_text, i = self.class_atom(range_start)
                if hi_text is not None:
                    raise self.error(
                        f"a range cannot end with the class {hi_text}", range_start, i - range_start
                    )
                if hi < lo:
                    raise self.error(
                        f"range {chr(lo)!r}-{chr(hi)!r} is out of order",
                        range_start - 2,
                        i - range_start + 2,
                    )
                parts.append(_class_lit(lo) + "-" + _class_lit(hi))
                if chars is not None:
                    if hi - lo < 8:
                        chars.update(chr(x) for x in range(lo, hi + 1))
                    else:
                        chars = None
            else:
                parts.append(_class_lit(lo))
                if chars is not None:
                    chars.add(chr(lo))
        if not parts:  # only an empty \Q\E
            raise self.error("empty character class", start, i - start)
        self.i = i
        text = "[" + ("^" if negate else "") + "".join(parts) + "]"
        small = frozenset(chars) if chars is not None and len(chars) <= 8 else None
        return _Set(text, small, self.ci)

    def posix_class(self, i: int, parts: list[str]) -> int:
        m = _POSIX.match(self.s, i)
        if m is None:
            raise self.error(
                "nested class (union [a-d[m-p]]) is not supported; write \\[ for a literal '['", i
            )
        if m.group(2) not in _POSIX_NAMES:
            raise self.error(f"unknown POSIX class {m.group()}", i, m.end() - i)
        parts.append(m.group())
        return m.end()

    def quoted_in_class(self, i: int, parts: list[str], chars: set[str] | None) -> int:
        end = self.s.find("\\E", i + 2)
        stop = self.n if end < 0 else end
        self.i = i + 2
        while self.i < stop:
            cp = self.raw_char(stop)
            parts.append(_class_lit(cp))
            if chars is not None:
                chars.add(chr(cp))
        return stop if end < 0 else end + 2

    def class_atom(self, i: int) -> tuple[int, str | None, int]:
        """One class member at ``i``: ``(code point, None, next)`` for a
        character or ``(-1, RE2 text, next)`` for a class escape."""
        s = self.s
        if s[i] != "\\":
            self.i = i
            cp = self.raw_char()
            return cp, None, self.i
        if i + 1 >= self.n:
            raise self.error("trailing backslash", i)
        c = s[i + 1]
        if c in _CLASS_ESCAPES:
            return -1, _CLASS_ESCAPES[c][1], i + 2
        if c in "pP":
            end, text = self.unicode_class(i)
            return -1, text, end
        if c in "123456789":
            raise self.error(
                f"\\{c} in a class is ambiguous (back-reference or octal); write \\0{c} or \\x..",
                i,
                2,
            )
        if c in "ABzZ":
            raise self.error(f"anchor \\{c} cannot appear in a character class", i, 2)
        if c == "k":
            raise self.error(r"named back-reference \k cannot appear in a character class", i, 2)
        if c == "N":
            raise self.error(r"\N is not supported", i, 2)
        if c in _UNSUPPORTED_ESCAPES:
            raise self.error(f"{_UNSUPPORTED_ESCAPES[c]} is not supported", i, 2)
        cp = self.char_escape(i, in_class=True)
        return cp, None, self.i


# --- emitting RE2 text ------------------------------------------------------------------


def _emit(node: _Node, out: list[str]) -> None:
    if isinstance(node, _Char):
        out.append(_lit(node.cp))
    elif isinstance(node, _Set | _Assert | _Flags):
        out.append(node.text)
    elif isinstance(node, _Concat):
        for item in node.items:
            _emit(item, out)
    elif isinstance(node, _Alt):
        for k, branch in enumerate(node.branches):
            if k:
                out.append("|")
            _emit(branch, out)
    elif isinstance(node, _Group):
        out.append(node.opener)
        _emit(node.child, out)
        out.append(")")
    elif isinstance(node, _Repeat):
        _emit(node.child, out)
        out.append(node.suffix)


def _leading(node: _Node) -> tuple[list[_Flags], list[_Node]]:
    """The top-level sequence split into its leading flag groups and the rest."""
    items = node.items if isinstance(node, _Concat) else [node]
    k = 0
    while k < len(items) and isinstance(items[k], _Flags):
        k += 1
    return cast(list[_Flags], items[:k]), items[k:]


# --- emitting Python ``re`` text (patterns RE2 cannot run) ------------------------------

_LOOKAROUND = ("(?=", "(?!")
# POSIX classes as ASCII ranges (Python's re has no [:name:]); RE2's meaning.
_POSIX_RANGES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t-\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_CLASS_PIECE = lazy(r"\\.|\[:(\^?)([a-z]+):\]")
_SCOPED_FLAGS = lazy(r"\(\?([ims]*)(?:-([ims]*))?:")


class _PythonEmitter:
    r"""Prints the tree as a pattern for Python's ``re`` (3.11: look-ahead,
    atomic groups and possessive quantifiers), compiled with ``re.ASCII`` so
    that ``\d \w \b`` stay ASCII.  Where the RE2 text would mean something
    else to ``re`` it is respelled: ``\z`` is ``\Z``, ``$`` without
    multiline is ``\Z`` (``re``'s ``$`` also matches before a final
    newline, RE2's does not), POSIX classes become ranges.  Constructs
    ``re`` cannot spell (Unicode classes, inline flags in the middle of the
    pattern) raise ``RegexError``."""

    def __init__(self, pattern: str, why: tuple[str, int, int]) -> None:
        self.pattern = pattern
        self.why = why

    def refuse(self, what: str) -> RegexError:
        kind, offset, length = self.why
        return RegexError(
            f"{what} cannot be combined with {kind}, which needs the backtracking engine",
            offset,
            length,
            pattern=self.pattern,
        )

    def emit(self, node: _Node, out: list[str], multiline: bool) -> None:
        if isinstance(node, _Char):
            out.append(_lit(node.cp))
        elif isinstance(node, _Set):
            out.append(self.set_text(node.text))
        elif isinstance(node, _Assert):
            if node.text == "$" and not multiline:
                out.append("\\Z")
            else:
                out.append(node.text.replace("\\z", "\\Z"))
        elif isinstance(node, _Flags):
            raise self.refuse(
                f"the inline flag group {node.text} inside the pattern (write (?i:...))"
            )
        elif isinstance(node, _Concat):
            for item in node.items:
                self.emit(item, out, multiline)
        elif isinstance(node, _Alt):
            for k, branch in enumerate(node.branches):
                if k:
                    out.append("|")
                self.emit(branch, out, multiline)
        elif isinstance(node, _Group):
            scoped = _SCOPED_FLAGS.fullmatch(node.opener)
            if scoped is not None:
                multiline = ("m" in scoped.group(1)) or (
                    multiline and "m" not in (scoped.group(2) or "")
                )
            out.append(node.opener)
            self.emit(node.child, out, multiline)
            out.append(")")
        elif isinstance(node, _Repeat):
            self.emit(node.child, out, multiline)
            out.append(node.suffix)

    def set_text(self, text: str) -> str:
        if "\\p" in text or "\\P" in text:
            raise self.refuse(f"the Unicode class in {text}")

        def piece(m: re.Match[str]) -> str:
            if m.group(2) is None:
                return m.group()
            if m.group(1):
                if m.group(2) == "space":
                    return "\\S"  # re's ASCII \S: not [ \t\n\x0B\f\r], as RE2's [:^space:]
                raise self.refuse(f"the negated POSIX class {m.group()}")
            return _POSIX_RANGES[m.group(2)]

        return _CLASS_PIECE.sub(piece, text)


def _python_pattern(tree: _Node, flags: str, pattern: str, why: tuple[str, int, int]) -> str:
    """The whole pattern for Python's ``re``: the flags and the leading inline
    flag groups (which RE2 applies to the end of the pattern, across its
    alternatives, as ``re``'s global flags do) become one global group."""
    on = {_FLAG_PREFIX[k] for k in flags if k in _FLAG_PREFIX}
    first = tree.branches[0] if isinstance(tree, _Alt) else tree
    flag_nodes, rest = _leading(first)
    for node in flag_nodes:
        turned_on, _, turned_off = node.text[2:-1].partition("-")
        on = (on | set(turned_on)) - set(turned_off)
    emitter = _PythonEmitter(pattern, why)
    out = [f"(?{''.join(sorted(on))})"] if on else []
    multiline = "m" in on
    body: _Node = _Concat(rest)
    if isinstance(tree, _Alt):
        body = _Alt([body, *tree.branches[1:]])
    emitter.emit(body, out, multiline)
    return "".join(out)


# --- translation --------------------------------------------------------------------------


def _check_flags(flags: str, pattern: str) -> None:
    for k, ch in enumerate(flags):
        if ch not in _KNOWN_FLAGS:
            raise RegexError(
                f"unknown regex flag {ch!r} (flags are i, m, d, g and F)",
                k,
                1,
                pattern=pattern,
                in_flags=True,
            )


@lru_cache(maxsize=1024)
def _parse(pattern: str, flags: str) -> tuple[Translated, _Node]:
    _check_flags(flags, pattern)
    parser = _Parser(pattern, ci="i" in flags)
    tree = parser.parse()
    _expanded(tree, pattern)
    out = []
    prefix = "".join(v for k, v in _FLAG_PREFIX.items() if k in flags)
    if prefix:
        out.append(f"(?{prefix})")
    _emit(tree, out)

    # A leading (?i) in the first alternative holds for the later ones too.
    flag_nodes, rest = _leading(tree.branches[0] if isinstance(tree, _Alt) else tree)
    ci = flag_nodes[-1].ci_after if flag_nodes else "i" in flags
    literal = None
    if not isinstance(tree, _Alt) and all(isinstance(n, _Char) for n in rest):
        literal = "".join(chr(cast(_Char, n).cp) for n in rest)
    fields = tuple(parser.fields)
    literal_match = _literal_match(tree, flag_nodes, rest, ci, "m" in flags)
    why = parser.backtracking[0] if parser.backtracking else None
    python = _python_pattern(tree, flags, pattern, why) if why else None
    translated = Translated(
        pattern=pattern,
        flags=flags,
        re2_pattern="".join(out),
        group_fields=fields,
        group_names=tuple(f"g{k}" for k in range(1, len(fields) + 1)),
        group_indexes=tuple(range(1, len(fields) + 1)),
        repeat="g" in flags,
        case_insensitive=ci,
        multiline="m" in flags,
        dot_all="d" in flags,
        literal=literal,
        literal_match=literal_match,
        backtracking=why[0] if why else None,
        python_pattern=python,
    )
    return translated, tree


_START_ANCHORS = ("^", "\\A")  # "^" only without multiline
_END_ANCHORS = ("$", "\\z")  # "$" only without multiline


def _literal_match(
    tree: _Node, flag_nodes: list[_Flags], rest: list[_Node], ci: bool, multiline: bool
) -> LiteralMatch | None:
    """The string test the whole pattern is, or None (see ``LiteralMatch``)."""
    if isinstance(tree, _Alt):
        return None
    for node in flag_nodes:  # "(?im)", "(?i-m)": the last word on m wins
        on, _, off = node.text[2:-1].partition("-")
        if "m" in on:
            multiline = True
        if "m" in off:
            multiline = False
    items = list(rest)
    at_start = bool(items) and isinstance(items[0], _Assert) and items[0].text in _START_ANCHORS
    if at_start:
        if multiline and cast(_Assert, items[0]).text == "^":
            return None
        items = items[1:]
    at_end = bool(items) and isinstance(items[-1], _Assert) and items[-1].text in _END_ANCHORS
    if at_end:
        if multiline and cast(_Assert, items[-1]).text == "$":
            return None
        items = items[:-1]
    if not all(isinstance(n, _Char) and n.ci == ci for n in items):
        return None
    text = "".join(chr(cast(_Char, n).cp) for n in items)
    if (ci or at_start or at_end) and not text.isascii():
        return None
    return LiteralMatch(text, at_start, at_end, ci)


def _expanded(node: _Node, pattern: str) -> int:
    """How many pieces ``node`` adds to the sequence around it once counted
    repetitions are written out; raises ``RegexError`` when a sequence grows
    past ``REGEX_MAX_EXPANDED``.  Counts a literal run as one piece
    per character, so it overestimates, never underestimates."""
    if isinstance(node, _Concat):
        total = 0
        for item in node.items:
            total += _expanded(item, pattern)
            if total > REGEX_MAX_EXPANDED:
                at = item.start if isinstance(item, _Repeat) else 0
                raise RegexError(
                    f"counted repetitions expand this sequence past {REGEX_MAX_EXPANDED:,} pieces, "
                    "more than RE2 can build",
                    at,
                    pattern=pattern,
                )
        return total
    if isinstance(node, _Group):
        return _expanded(node.child, pattern)
    if isinstance(node, _Alt):
        for branch in node.branches:
            _expanded(branch, pattern)
        return 1
    if isinstance(node, _Repeat):
        copies = max(node.lo, node.hi or 0, 1) + (1 if node.hi is None else 0)
        # Nested counts past RE2's limit ((a{1000}){1000}) are RE2's own error.
        return min(_expanded(node.child, pattern) * copies, REGEX_MAX_EXPANDED + 1)
    return 1


def _require_str(pattern: object, flags: object) -> None:
    if not isinstance(pattern, str) or not isinstance(flags, str):
        raise TypeError("pattern and flags must be str")


def repeats(pattern: str, flags: str) -> bool:
    """Whether a /regex/ literal makes one event per match: flag ``g`` on a
    regex with named groups (without groups it only filters)."""
    if "g" not in flags:
        return False
    try:
        return bool(translate(pattern, flags).group_fields)
    except RegexError:
        return False


def translate(pattern: str, flags: str = "") -> Translated:
    """Translate a LogScale regex and its flags to RE2 (see the module notes).

    Purely syntactic and cached; limits that only RE2 knows (program size,
    nested repetition) are checked by ``compile_regex``.  Raises
    ``RegexError`` for anything that cannot be translated.
    """
    _require_str(pattern, flags)
    return _translated(pattern, flags)


# A pack of a thousand rules has tens of thousands of regexes (Sigma's emoji
# rules hold hundreds each), and each is translated by several steps in turn
# (checking, analysis, compiling, prefilter): a cache smaller than one rule's
# regexes misses on every step.  Translations are small; parse trees (kept
# by ``_parse`` for ``required_literals``) are not, so they are cached apart.
@lru_cache(maxsize=32768)
def _translated(pattern: str, flags: str) -> Translated:
    return _parse(pattern, flags)[0]


# --- required literals --------------------------------------------------------------------

# The non-ASCII characters that RE2's (?i) folds onto an ASCII letter.
CASE_FOLDED_INTO_ASCII = {"\u212a": "k", "\u017f": "s"}  # KELVIN SIGN, LATIN SMALL LONG S
_EXACT_CAP = 16  # most strings an "exact" set may hold before it is given up
_REQUIRED_CAP = 64  # most literals in the answer
# How much a required literal is worth to a prefilter (higher: rules out more lines).
Weight = Callable[[str], int]
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _fold(strings: frozenset[str]) -> frozenset[str]:
    return frozenset(s.translate(_ASCII_LOWER) for s in strings)


class _Info:
    """What the analysis knows about a node: ``exact`` lists every string the
    node can match (or None); ``req`` is a set one of which occurs in every
    match (or None).  With ``ci`` the strings are ASCII-folded and compared
    so."""

    __slots__ = ("ci", "exact", "req")

    def __init__(
        self, exact: frozenset[str] | None, req: frozenset[str] | None = None, ci: bool = False
    ) -> None:
        self.exact = exact
        self.req = req
        self.ci = ci

    def requirement(self) -> tuple[frozenset[str], bool] | None:
        if self.exact is not None and "" not in self.exact:
            return self.exact, self.ci
        if self.req is not None:
            return self.req, self.ci
        return None


_EMPTY = frozenset({""})
_UNKNOWN = _Info(None)


def _char_info(chars: frozenset[str], ci: bool) -> _Info:
    if not ci:
        return _Info(chars)
    # Under (?i) RE2 matches the whole simple-case-folding orbit.  For ASCII
    # characters that orbit is ASCII but for k and s, which also take the one
    # character of CASE_FOLDED_INTO_ASCII each (the tests check this against
    # RE2); RequiredLiterals.matches and the prefilter allow for those two.
    if all(c.isascii() for c in chars):
        return _Info(_fold(chars), ci=True)
    return _UNKNOWN


def _score(strings: frozenset[str], ci: bool, weight: Weight) -> tuple[int, int, bool]:
    return min(weight(s) for s in strings), -len(strings), not ci


def _merge(
    a: frozenset[str], a_ci: bool, b: frozenset[str], b_ci: bool
) -> tuple[frozenset[str], frozenset[str], bool]:
    if a_ci == b_ci:
        return a, b, a_ci
    return (_fold(a) if not a_ci else a), (_fold(b) if not b_ci else b), True


def _info(node: _Node, weight: Weight = len) -> _Info:
    if isinstance(node, _Char):
        return _char_info(frozenset(chr(node.cp)), node.ci)
    if isinstance(node, _Set):
        return _char_info(node.chars, node.ci) if node.chars else _UNKNOWN
    if isinstance(node, _Assert | _Flags):
        return _Info(_EMPTY)
    if isinstance(node, _Group):
        if node.opener in _LOOKAROUND:  # zero-width: the match holds none of its text
            return _Info(_EMPTY)
        return _info(node.child, weight)
    if isinstance(node, _Concat):
        return _concat_info(node.items, weight)
    if isinstance(node, _Alt):
        return _alt_info([_info(b, weight) for b in node.branches])
    if isinstance(node, _Repeat):
        inner = _info(node.child, weight)
        if node.lo == 1 and node.hi == 1:
            return inner
        if node.lo >= 1:
            req = inner.requirement()
            return _Info(None, req[0], req[1]) if req else _UNKNOWN
        if node.hi == 1 and inner.exact is not None and len(inner.exact) < _EXACT_CAP:
            return _Info(inner.exact | _EMPTY, None, inner.ci)
    return _UNKNOWN


def _concat_info(items: list[_Node], weight: Weight) -> _Info:
    best: tuple[frozenset[str], bool] | None = None
    run, run_ci, all_exact = _EMPTY, False, True

    def consider(strings: frozenset[str] | None, ci: bool) -> None:
        nonlocal best
        if not strings or "" in strings:
            return
        if best is None or _score(strings, ci, weight) > _score(*best, weight):
            best = (strings, ci)

    for item in items:
        info = _info(item, weight)
        if info.exact is not None and len(run) * len(info.exact) <= _EXACT_CAP:
            a, b, run_ci = _merge(run, run_ci, info.exact, info.ci)
            run = frozenset(x + y for x in a for y in b)
            continue
        all_exact = False
        consider(run, run_ci)
        if info.exact is not None:
            run, run_ci = info.exact, info.ci
        else:
            if info.req is not None:
                consider(info.req, info.ci)
            run, run_ci = _EMPTY, False
    if all_exact:
        return _Info(run, None, run_ci)
    consider(run, run_ci)
    return _Info(None, best[0], best[1]) if best else _UNKNOWN


def _alt_info(infos: list[_Info]) -> _Info:
    exact: frozenset[str] | None = frozenset()
    exact_ci = False
    for info in infos:
        if exact is None or info.exact is None:
            exact = None
            break
        exact, other, exact_ci = _merge(exact, exact_ci, info.exact, info.ci)
        exact |= other
        if len(exact) > _EXACT_CAP:
            exact = None
    if exact is not None:
        return _Info(exact, None, exact_ci)
    req: frozenset[str] = frozenset()
    req_ci = False
    for info in infos:
        got = info.requirement()
        if got is None:
            return _UNKNOWN
        req, other, req_ci = _merge(req, req_ci, got[0], got[1])
        req |= other
        if len(req) > _REQUIRED_CAP:
            return _UNKNOWN
    return _Info(None, req, req_ci)


@lru_cache(maxsize=32768)
def _required(pattern: str, flags: str, weight: Weight) -> RequiredLiterals | None:
    got = _info(_parse(pattern, flags)[1], weight).requirement()
    if got is None or len(got[0]) > _REQUIRED_CAP:
        return None
    return RequiredLiterals(tuple(sorted(got[0])), got[1])


def required_literals(
    pattern: str, flags: str = "", weight: Weight = len
) -> RequiredLiterals | None:
    """Literals at least one of which occurs in every match, or None when the
    analysis cannot tell (or only the empty string is certain).  Of the
    literals that several parts of a concatenation each require, the answer
    is the part whose least ``weight`` is greatest (by default its shortest
    literal's length; a caller that knows which texts are common says so).

    The analysis is conservative: it follows literal characters, small
    classes, concatenation, alternation, groups and repetition, and treats
    anything else (``.``, ``\\d``, large or negated classes, case-insensitive
    non-ASCII) as unknown.  Raises ``RegexError`` like
    ``translate``.
    """
    _require_str(pattern, flags)
    return _required(pattern, flags, weight)


def pattern_gate(pattern: str) -> tuple[bool, tuple[str, ...]] | None:
    """What an ASCII value must hold for ``pattern`` (RE2 text, as a regex
    set holds it) to match it: whether the literals compare ignoring ASCII
    case (then they are in lower case), and its required literals
    (``required_literals``) that are ASCII, one of which every match holds
    (an ASCII value holds no other character, so a pattern left with none
    cannot match one).  None when it requires no literal the analysis can
    name, or is a list of ``SET_GATE_MAX`` alternatives or more (a Sigma
    rule's list of names, whose analysis took up to 0.13 s, and whose
    literals would be too many to look for anyway)."""
    if pattern.count("|") >= SET_GATE_MAX:
        return None
    try:
        found = required_literals(pattern)
    except RegexError:
        return None
    if found is None or not found.literals:
        return None
    return found.ascii_case_insensitive, tuple(x for x in found.literals if x.isascii())


def set_gate(
    gates: Iterable[tuple[bool, tuple[str, ...]] | None],
) -> tuple[tuple[bool, tuple[bytes, ...]], ...] | None:
    """A regex set's gate from its patterns' ``pattern_gate``: an ASCII
    value holding none of any pattern's literals matches no pattern, and
    RE2 need not run.  None when some pattern has no gate, or the literals
    are more than ``SET_GATE_MAX`` (more searches than an RE2 pass saves)."""
    out = []
    count = 0
    for gate in gates:
        if gate is None:
            return None
        count += len(gate[1])
        if count > SET_GATE_MAX:
            return None
        out.append((gate[0], tuple(x.encode("ascii") for x in gate[1])))
    return tuple(out)


SET_GATE_MAX = 24  # literals looked for before a set's RE2 pass, at most


def needs_non_ascii(pattern: str, flags: str = "") -> bool:
    """Whether every match of the regex holds a character that is not ASCII,
    so that no ASCII-only value can match it (the VM then skips RE2 for
    such values).  Conservative like ``required_literals``: a character
    counts only when it is a literal or in a small class, under ``(?i)``
    only when its case-folding orbit holds no ASCII letter (all but the
    two ``CASE_FOLDED_INTO_ASCII`` take); a pattern it cannot read
    (``RegexError``) does not.  ASCII text spelling such a character (an
    escape) is not looked into: False."""
    if pattern.isascii():
        return False
    try:
        _check_flags(flags, pattern)
        return _needs_high(_Parser(pattern, ci="i" in flags).parse())
    except RegexError:
        return False


def _high(chars: frozenset[str] | None, ci: bool) -> bool:
    """Whether each of ``chars`` is a non-ASCII character (that ``(?i)`` does
    not fold onto ASCII, under ``ci``)."""
    return bool(chars) and all(
        not c.isascii() and not (ci and c in CASE_FOLDED_INTO_ASCII)
        for c in chars  # type: ignore[union-attr]
    )


def _needs_high(node: _Node) -> bool:
    if isinstance(node, _Char):
        return _high(frozenset(chr(node.cp)), node.ci)
    if isinstance(node, _Set):
        return _high(node.chars, node.ci)
    if isinstance(node, _Group):
        return node.opener not in _LOOKAROUND and _needs_high(node.child)
    if isinstance(node, _Concat):
        return any(_needs_high(item) for item in node.items)
    if isinstance(node, _Alt):
        return bool(node.branches) and all(_needs_high(b) for b in node.branches)
    if isinstance(node, _Repeat):
        return node.lo >= 1 and _needs_high(node.child)
    return False  # assertions, flags, anything not read here


# --- compiling and matching ---------------------------------------------------------------

_re2_compile = getattr(re2, "_compile", re2.compile)


def _compile_re2(re2_pattern: str, max_mem: int, source: str = "") -> re2.Pattern:
    """Compile RE2 text with pyre2, never accepting a fallback to ``re``."""
    try:
        compiled = _re2_compile(re2_pattern, re2.ASCII, max_mem)
    except Exception as exc:  # pyre2 raises re.error, or worse on odd input
        raise RegexError(
            f"RE2 rejected the pattern: {exc}", 0, max(1, len(source)), pattern=source
        ) from None
    if type(compiled) is not re2.Pattern:
        raise RegexError(
            "RE2 cannot run the pattern (pyre2 fell back to Python's re)",
            0,
            max(1, len(source)),
            pattern=source,
        )
    return compiled


class Backtracking:
    """A pattern RE2 cannot run, compiled by the ``regex`` package (the syntax
    of Python's ``re``, which ``python_pattern`` is written in, plus a time
    limit per search): ``search`` raises ``RegexGaveUp`` past
    ``limits.REGEX_BACKTRACK_SECONDS`` instead of running on for minutes."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, compiled: backtracking_re.Pattern, source: str) -> None:
        self._compiled = compiled
        self._source = source

    def search(self, text: str, pos: int = 0) -> backtracking_re.Match | None:
        try:
            return self._compiled.search(text, pos, timeout=limits.REGEX_BACKTRACK_SECONDS)
        except TimeoutError:
            raise RegexGaveUp(self._source, len(text)) from None


def _compile_python(translated: Translated) -> Backtracking:
    """Compile a pattern RE2 cannot run with the backtracking engine (ASCII
    classes, as RE2 is used; ``VERSION0``: ``re``'s syntax).  Its text comes
    from the translation, so an error here is a construct it spells
    differently: reported like RE2's own."""
    import regex as backtracking_re

    text = cast(str, translated.python_pattern)
    flags = backtracking_re.ASCII | backtracking_re.VERSION0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" FutureWarnings
            return Backtracking(backtracking_re.compile(text, flags), translated.pattern)
    except (backtracking_re.error, OverflowError, RecursionError) as exc:
        source = translated.pattern
        raise RegexError(
            f"the backtracking engine rejected the pattern: {exc}",
            0,
            max(1, len(source)),
            pattern=source,
        ) from None


def compile_translated(translated: Translated, max_mem: int = REGEX_MAX_MEM) -> Matcher:
    """The engine for a translated pattern: RE2, or the backtracking engine
    when the pattern needs it (``Translated.backtracking``)."""
    if translated.backtracking is not None:
        return _compile_python(translated)
    return _compile_re2(translated.re2_pattern, max_mem, translated.pattern)


def _scrub(text: str) -> str:
    """Join surrogate pairs and replace lone surrogates with U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class CompiledRegex:
    """A translated LogScale regex compiled by RE2 (or, for the constructs
    only a backtracking engine runs, by ``Backtracking``, whose searches may
    raise ``RegexGaveUp``; see ``Translated.backtracking``).

    Immutable and safe to share between threads: pyre2 matches with the GIL
    released on a const ``RE2`` object and keeps no per-pattern match state.
    """

    __slots__ = ("_fields", "_literal", "_re", "_test", "translated")

    def __init__(self, translated: Translated, compiled: Matcher) -> None:
        self.translated = translated
        self._re = compiled
        self._test = compiled.search if isinstance(compiled, Backtracking) else compiled.contains
        self._fields = tuple(zip(translated.group_fields, translated.group_indexes, strict=True))
        self._literal = None if translated.case_insensitive else translated.literal

    def __repr__(self) -> str:
        t = self.translated
        return f"CompiledRegex({t.pattern!r}, {t.flags!r})"

    def search(self, text: str) -> bool:
        """True when the regex matches somewhere in ``text``."""
        if self._literal is not None:
            return self._literal in text
        try:
            return bool(self._test(text))
        except UnicodeEncodeError:
            return bool(self._test(_scrub(text)))

    def extract(self, text: str) -> dict[str, str] | None:
        """Field values of the named groups in the first match, or None when
        nothing matches.  A group that did not take part is absent."""
        try:
            m = self._re.search(text)
        except UnicodeEncodeError:
            m = self._re.search(_scrub(text))
        return None if m is None else self._values(m)

    def extract_all(self, text: str, most: int | None = None) -> list[dict[str, str]]:
        """Field values for every non-overlapping match, left to right (flag
        ``g``), the first ``most`` of them when given (the search stops
        there).  After an empty match the search resumes one character on.
        On non-ASCII text pyre2 turns each resume position into a byte offset
        by scanning from the start, so many matches in a long text cost
        O(matches x length)."""
        try:
            return self._all(text, most)
        except UnicodeEncodeError:
            return self._all(_scrub(text), most)

    def _all(self, text: str, most: int | None) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        pos, n, search = 0, len(text), self._re.search
        while pos <= n and (most is None or len(found) < most):
            m = search(text, pos)
            if m is None:
                break
            found.append(self._values(m))
            start, end = m.span()
            pos = end if end > start else end + 1
        return found

    def _values(self, m: re2.Match | backtracking_re.Match) -> dict[str, str]:
        groups = m.groups()
        values: dict[str, str] = {}
        for name, index in self._fields:
            value = groups[index - 1]
            if value is not None and name not in values:
                values[name] = value
        return values


@lru_cache(maxsize=512)
def _compile_cached(pattern: str, flags: str, max_mem: int) -> CompiledRegex:
    translated = translate(pattern, flags)
    return CompiledRegex(translated, compile_translated(translated, max_mem))


def compile_regex(pattern: str, flags: str = "", max_mem: int = REGEX_MAX_MEM) -> CompiledRegex:
    """Translate and compile a LogScale regex; cached (LRU) by pattern, flags
    and ``max_mem``, which bounds RE2's memory for the compiled program and
    its DFA cache (RE2::Options::max_mem).  Raises ``RegexError``."""
    _require_str(pattern, flags)
    if type(max_mem) is not int or not 0 < max_mem < 2**31:
        raise ValueError("max_mem must be an int between 1 and 2**31 - 1 (pyre2 takes a C int)")
    return _compile_cached(pattern, flags, max_mem)
