"""Every diagnostic code cqlmatch reports, in one table.

A code names one kind of finding and stays stable across releases, so tests,
CI scripts and people can match on it.  The message of a diagnostic says what
is wrong at one place in one query; the entry here says what the code means
in general, why it matters and how to fix it, with a small query that
triggers it.  ``cqlmatch explain CODE`` prints an entry, and
``docs/diagnostics.md`` is generated from this table by
``tools/gen_diagnostics.py``.

The ranges: ``E00x`` the lexer, ``E1xx`` the parser, ``E2xx`` the checker and
compiler, ``W30x`` cqlmatch extensions (errors under ``--strict``),
``W31x``-``W33x`` what the analysis and lint find in a query that compiles,
``W4xx`` warnings while running over events.

This module is the bottom layer: it imports nothing from cqlmatch, so every
module (and the docs generator) may read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["CODES", "SECTIONS", "W401", "Code", "explain", "lookup", "render_example", "suggest"]

#: The message of W401, written by every engine that keeps a group table
#: (the reference's groupBy, the VM's table, the merge of workers' tables).
W401 = (
    "groupBy() reached its limit of {} groups; "
    "later groups were left out and counts are lower bounds"
)


class Code:
    """One diagnostic code (frozen).

    ``example`` is a query that triggers the code.  For a run-time warning
    (``W4xx``) ``events`` are events to run it over: the warning comes from
    running, not from compiling.  (A plain class: a dataclass would be
    generated and compiled on every start, for a table most runs never read.)"""

    __slots__ = ("code", "events", "example", "explanation", "severity", "title")

    code: str
    severity: str  # "error" | "warning"
    title: str
    explanation: str
    example: str
    events: tuple[dict[str, str], ...]

    def __init__(
        self,
        code: str,
        severity: str,
        title: str,
        explanation: str,
        example: str,
        events: tuple[dict[str, str], ...] = (),
    ) -> None:
        put = object.__setattr__
        put(self, "code", code)
        put(self, "severity", severity)
        put(self, "title", title)
        put(self, "explanation", explanation)
        put(self, "example", example)
        put(self, "events", events)

    def _values(self) -> tuple[Any, ...]:
        return (self.code, self.severity, self.title, self.explanation, self.example, self.events)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Code:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values()[:5])

    def __repr__(self) -> str:
        return "Code(" + ", ".join(repr(v) for v in self._values()) + ")"

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    @property
    def section(self) -> str:
        """The part of cqlmatch that reports the code (see ``SECTIONS``)."""
        for prefix, name in _SECTION_OF:
            if self.code.startswith(prefix):
                return name
        raise ValueError(f"no section for {self.code}")


#: Where each range of codes comes from, in the order the docs list them.
SECTIONS = (
    "lexer",
    "parser",
    "checker",
    "extension",
    "analysis",
    "run time",
)
_SECTION_OF = (
    ("E0", "lexer"),
    ("E1", "parser"),
    ("E2", "checker"),
    ("W30", "extension"),
    ("W3", "analysis"),
    ("W4", "run time"),
)
SECTION_TITLES = {
    "lexer": "Lexer errors (E00x): the query text cannot be split into tokens",
    "parser": "Parser errors (E1xx): the tokens do not form a query",
    "checker": "Checker and compiler errors (E2xx): the query parses but cannot run",
    "extension": ("cqlmatch extensions (W30x): accepted with a warning, errors under --strict"),
    "analysis": "Analysis and lint warnings (W31x-W33x): the query runs but likely not as meant",
    "run time": "Run-time warnings (W4xx): reported while running over events",
}


def _e(code: str, title: str, explanation: str, example: str) -> Code:
    return Code(code, "error", title, _clean(explanation), example)


def _w(code: str, title: str, explanation: str, example: str, *events: dict[str, str]) -> Code:
    return Code(code, "warning", title, _clean(explanation), example, tuple(events))


def _clean(text: str) -> str:
    """Paragraphs of the explanation, each on one line."""
    import textwrap

    paragraphs = textwrap.dedent(text).strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _table() -> tuple[Code, ...]:
    """Every entry (built on first use: most runs never read one)."""
    return (
        # --- lexer -----------------------------------------------------------------------------
        _e(
            "E001",
            "unexpected character",
            """
            The character cannot start any token where it stands: it is not part
            of a field name, value, operator or punctuation CQL knows.  In an
            expression only the arithmetic, comparison and logical operators are
            allowed.  Remove the character, put it inside a quoted string if it
            is part of a value, or use the CQL operator that means what you want.
            """,
            "x := 5 ^ 2",
        ),
        _e(
            "E002",
            "unterminated /* comment",
            """
            A block comment opened with /* is never closed, so the rest of the
            query would be comment and nothing would run.  Close it with */, or
            use // for a comment that ends at the end of the line.
            """,
            "/* hunt for encoded PowerShell\n#event_simpleName=ProcessRollup2",
        ),
        _e(
            "E003",
            "unterminated string",
            """
            A quoted string has no closing double quote before the end of the
            query.  Add the closing quote; a double quote inside the string is
            written \\" and a backslash \\\\.
            """,
            'CommandLine="powershell -enc',
        ),
        _e(
            "E004",
            "unterminated regex literal",
            """
            A /regex/ literal must end with a slash on the same line.  A slash
            inside the pattern is written \\/ (a slash inside [...] needs no
            escape).  If the slash was meant as division, it belongs in an
            expression (x := a / b), not in a filter.
            """,
            "CommandLine=/-enc\\s+",
        ),
        _e(
            "E005",
            "malformed query parameter",
            """
            A query parameter is written ?name, or ?{name=default} with a default
            value.  The parameter here has no name, or its braces are not closed.
            Give it a name of letters, digits and underscores, and close the
            braces.
            """,
            "UserName=?{=admin}",
        ),
        _e(
            "E006",
            "'$' without a saved query name",
            """
            A dollar sign starts a saved-query call, $name() or $"package/name"(),
            and must be followed directly by the name.  To search for a literal
            dollar sign, put it in a quoted string.
            """,
            "$ hunting()",
        ),
        _e(
            "E008",
            "back-quoted field names are not supported",
            """
            LogScale's back-quoted dynamic field names (a field named by the
            value of another) are not supported by cqlmatch.  Write the field
            name itself, quoting it with double quotes if it holds unusual
            characters, or use getField() to read a field whose name is in
            another field.
            """,
            "`field`=1",
        ),
        _e(
            "E009",
            "'//' would start a comment",
            """
            A bare word ends in //, which LogScale reads as the start of a line
            comment: everything after it on the line would silently be ignored.
            This usually happens with URLs.  Quote the value ("https://") so the
            slashes are part of it, or put a space before a comment.
            """,
            "Url=https://",
        ),
        _e(
            "E010",
            "the query is not valid Unicode text",
            """
            The query holds a lone UTF-16 surrogate, which is not a character:
            the text was decoded from broken bytes or a broken UTF-16 pair.  No
            file or program can hold such a query, so it is refused before
            parsing.  Re-read the query with the right encoding.
            """,
            "CommandLine=\ud800",
        ),
        # --- parser ----------------------------------------------------------------------------
        _e(
            "E100",
            "unexpected token",
            """
            The parser found a token that cannot come next: a closing bracket
            with nothing open, a missing comma between arguments, a stray
            operator.  The message names what was found and what would have been
            accepted there; an argument list reports where its call was opened.
            Usually a bracket or quote is missing or doubled.
            """,
            "ImageFileName=/cmd\\.exe/i )",
        ),
        _e(
            "E101",
            "expected a field name",
            """
            A field name must come here (for example after the <=> link
            operator), but something else was found.  Write a field name, quoted
            with double quotes if it holds spaces or punctuation.
            """,
            "a <=> (b)",
        ),
        _e(
            "E102",
            "empty case or match branch",
            """
            A branch of case { ... } or an arm of match { ... } has no filter,
            often because of a doubled or leading semicolon.  An empty branch is
            ambiguous, so it is an error: write * for a branch that keeps every
            event, or remove the extra semicolon.
            """,
            "case { ; #event_simpleName=DnsRequest }",
        ),
        _e(
            "E103",
            "'=~' needs a function call",
            """
            field =~ fn(...) passes the field to a function such as cidr(),
            wildcard() or in() as its field= argument; the right side must be a
            call.  To compare a field with a value, use = (or =/regex/ for a
            regex).
            """,
            "RemoteAddressIP4 =~ 10.0.0.0/8",
        ),
        _e(
            "E104",
            "'and', 'or' or 'not' without an operand",
            """
            A logical operator needs a filter (or, in an expression, a value) on
            each side it joins: the query starts or ends with one, or has two in
            a row.  Remove the stray operator, or quote the word ("and") to
            search for it as text.
            """,
            "and ImageFileName=/cmd/",
        ),
        _e(
            "E105",
            "an assignment must be a stage of its own",
            """
            field := expression sets a field for every event, so it is a stage by
            itself and cannot be combined with filters in one stage.  Put a pipe
            before the assignment: filter | field := expression.
            """,
            "#event_simpleName=ProcessRollup2 size := 5",
        ),
        _e(
            "E106",
            "the right side of a comparison must be a number",
            """
            field < value, <=, > and >= compare a field with a number.  The right
            side here is a word or string that is not a number.  To compare two
            fields, use test(): test(Size > Limit).
            """,
            "Size > big",
        ),
        _e(
            "E107",
            "missing value after a comparison",
            """
            A comparison operator has nothing after it.  Give the value, a quoted
            string or a /regex/; to test that a field exists use field=*, and
            for an empty value field="".
            """,
            "ComputerName=",
        ),
        _e(
            "E108",
            "unknown regex flag",
            """
            The letters after the closing slash of a /regex/ are flags; cqlmatch
            knows i (ignore case), m (multi-line), d (dot matches newline), g
            (global, for extraction) and F (literal).  Remove or fix the flag.
            """,
            "CommandLine=/whoami/x",
        ),
        _e(
            "E109",
            "not a function name",
            """
            Something is called like a function, name(...), but the name is not
            one: function names are letters, digits and underscores, with a colon
            between a namespace and a name (text:contains).  Check the spelling,
            or quote the text if it is a value.
            """,
            "x := ip.lookup(a)",
        ),
        _e(
            "E110",
            "query nests too deeply",
            """
            The query nests parentheses, calls, arrays or case/match blocks more
            than 64 levels deep, or an expression more than 128 levels (each
            operator of a chain such as a + b + c counts one).  The limits keep
            every query within bounded stack and time.  Flatten the query: split
            a long expression into several assignments, or a deep chain of
            parentheses into stages.
            """,
            "(" * 65 + "a=1" + ")" * 65,
        ),
        _e(
            "E111",
            "comparisons cannot be chained",
            """
            a < b < c does not mean "b is between a and c" in CQL; the chain is
            refused rather than guessed at.  Write the two comparisons joined
            with and: a < b and b < c.
            """,
            "x := a < b < c",
        ),
        _e(
            "E112",
            "a regex literal in an expression",
            """
            A /regex/ literal is a filter, not a value, and cannot be part of an
            expression.  Filter with field=/regex/ before the assignment, or
            use a function that takes the regex as a string, such as regex() or
            test().
            """,
            "x := /abc/",
        ),
        # --- checker ---------------------------------------------------------------------------
        _e(
            "E201",
            "unknown function",
            """
            No function of this name exists in LogScale's catalogue as cqlmatch
            knows it.  Names are case-insensitive; the message suggests the
            closest known name when there is one, and check --fix uses it.
            Check the spelling, and the function list of the LogScale
            documentation.
            """,
            "#event_simpleName=ProcessRollup2 | groupby2(ComputerName)",
        ),
        _e(
            "E202",
            "function not supported offline",
            """
            The function exists in LogScale but cqlmatch cannot run it: it draws
            a dashboard widget, or needs data or a second pass that only the
            LogScale cluster has.  The message says why.  Remove it, or replace
            it with a function that does the same on the events alone.
            """,
            "selfJoin(field=aid, where=[{a=1}, {b=2}])",
        ),
        _e(
            "E203",
            "unnamed argument not accepted",
            """
            A function takes at most one argument without a name (for most, its
            field), and some take none.  Extra unnamed arguments are ambiguous.
            Name them: count(field=a) rather than count(a, b).
            """,
            "count(ComputerName, UserName)",
        ),
        _e(
            "E204",
            "unknown parameter",
            """
            The function has no parameter of this name.  The message lists the
            parameters it accepts and suggests the closest one.  Parameter names
            are case-sensitive.
            """,
            "count(fiel=ComputerName)",
        ),
        _e(
            "E205",
            "argument given twice",
            """
            The same parameter is given twice, often once unnamed and once by
            name, so it is unclear which value counts.  Keep one of them.
            """,
            "count(ComputerName, field=UserName)",
        ),
        _e(
            "E206",
            "required argument missing",
            """
            The function cannot run without this argument (for example the field
            of in(), the file or table of match(), or as= for rename() of one
            field).  The message shows the argument and what it takes.
            """,
            "in(values=[a, b])",
        ),
        _e(
            "E207",
            "invalid argument value",
            """
            An argument has the wrong type or a value the function does not
            accept: a word where a number is needed, a value outside the listed
            choices, a limit above the function's maximum (groupBy limit= is at
            most 1,000,000, top at most 20,000, regex() at most 10,000; limit=max
            picks the maximum), a format() width or precision over 10,000, more
            sort orders than fields, or eval() without an assignment.  The
            message says what is accepted; for a parameter with a fixed set of
            values (sort() order= and type=, match() mode= ...) the caret points
            at the value and the closest allowed one is the suggested fix.
            """,
            "groupBy(ComputerName, limit=2000000)",
        ),
        _e(
            "E208",
            "function not allowed here",
            """
            The function cannot be used where it stands.  Aggregates and other
            whole-stream functions (count(), groupBy(), sort() ...) must be a
            stage of their own, not inside case, match, or or next to filters;
            only aggregates may go inside groupBy(function=...); and some
            filter functions cannot be negated with not.  Move the function into
            its own stage with a pipe before it.
            """,
            "case { count() ; * }",
        ),
        _e(
            "E209",
            "construct not supported here",
            """
            A piece of CQL is used where it has no meaning offline: the <=> link
            operator outside correlate(), a sub-query or /regex/ literal where a
            value is needed, or a named sub-query passed to a function that takes
            none.  Rewrite that part: compare values with test(), pass a regex
            as a string.
            """,
            "a <=> b",
        ),
        _e(
            "E210",
            "too many stages",
            """
            More than 300 stages follow each other on one path through the query
            (the stages of enclosing pipelines included).  Stages run as a
            chain, and the limit keeps that chain bounded; real detection
            queries stay far below it.  Merge consecutive filters into one
            stage, or split the query.
            """,
            " | ".join(["a=1"] * 301),
        ),
        _e(
            "E220",
            "query parameter without a value",
            """
            The query uses ?name but no value was given for it and it has no
            default.  Pass one (cqlmatch run ... --param name=value, or
            params={"name": "value"} from Python), or write a default into the
            query: ?{name=value}.
            """,
            "UserName=?user",
        ),
        _e(
            "E221",
            "saved query not available",
            """
            A saved-query call $name() cannot be resolved: no saved-query
            directory was given, the file DIR/name.cql does not exist or cannot
            be read, calls nest more than 32 deep, its arguments are not
            name=value pairs, or a saved query of several stages is used where
            one filter is expected.  Pass --saved DIR, or inline the saved
            query's text.
            """,
            "$hunting()",
        ),
        _e(
            "E222",
            "lookup file or table not found",
            """
            match(file=...) or another lookup names a file that was not supplied,
            or match(table=...) names a table no defineTable() in the query
            makes.  A query names lookup files only by names its caller
            provides: pass the file with --lookup name=path or a directory
            holding it with --lookups DIR (lookups={...} or lookup_dir= from
            Python), or define the table before it is used.  The message lists
            the names that were provided and says nothing about other files.
            """,
            'match(file="hosts.csv", field=ComputerName)',
        ),
        _e(
            "E224",
            "lookup file name is a path",
            """
            match(file=...), cidr(file=...) or readFile() names a lookup file
            by an absolute path or with a '..' part, or a name in the lookup
            directory resolves (through a symlink) to a file outside it.  A
            query reads only the files its caller provides, so that running
            someone else's query cannot read /etc/passwd; the error is the same
            whether such a file exists or not.  Name the file by a plain name
            (subfolders allowed) and provide it with --lookup name=path or
            --lookups DIR (docs/security.md).
            """,
            'readFile("/etc/passwd")',
        ),
        _e(
            "E225",
            "lookup file is not a table",
            """
            A lookup file the query reads cannot be read as a table: it is not
            UTF-8 text (a binary file), a CSV row has more cells than the
            header, the JSON does not parse, or it is not an array of objects
            or one object per line (a JSON [1, 2] is not a table).  The message
            names the file and the line (or the array item).  Lookup files are
            read when the query runs, so check, disasm and compile do not
            report this.  Fix or convert the file.
            """,
            'match(file="hosts.csv", field=ComputerName)',
        ),
        _e(
            "E223",
            "function needs data from outside the events",
            """
            The function needs data that offline events do not carry: a GeoIP or
            ASN database, DNS look-ups, or CrowdStrike threat intelligence.  For
            ipLocation(), asn() and ioc:lookup() give your own: --geoip FILE.mmdb,
            --asn FILE.mmdb (MaxMind format) or --iocs FILE.csv (geoip=, asn=,
            iocs= in the API).  The others cannot run offline; a corpus report
            counts them apart from real failures.  Remove the function, or enrich
            the events before running.
            """,
            "ipLocation(RemoteAddressIP4)",
        ),
        _e(
            "E226",
            "enrichment data cannot be read",
            """
            The GeoIP or ASN database or the indicator file given for
            ipLocation(), asn() or ioc:lookup() is missing, is not a MaxMind
            database, or is not an indicator file (a header row with indicator,
            type and malicious_confidence).  The message names the file and what
            is wrong with it.  Fix the file or the path given.
            """,
            "ipLocation(RemoteAddressIP4)",
        ),
        _e(
            "E230",
            "invalid regex",
            """
            A regex (a /literal/, or a pattern given to regex(), replace() and
            others) does not compile.  cqlmatch uses RE2, which has no
            look-around and no back-references and caps counted repetitions at
            1000.  The caret points at the offending part of the pattern; the
            message says what is wrong.
            """,
            'regex("(cmd|powershell", field=ImageFileName)',
        ),
        _e(
            "E231",
            "regexes on one field need too much memory",
            """
            The VM matches all regexes on one field with one RE2 set, which may
            use 64 MiB.  The regexes here together need more, so the set cannot
            be built.  Use fewer or smaller regexes on the field: large counted
            repetitions of Unicode classes (\\pL{1000}) are the usual cause;
            literal prefixes and plain substrings need little.  The example
            shows the shape; it takes far larger patterns to pass 64 MiB.
            """,
            " ".join(f"CommandLine!=/[^{c}]{{900}}{c}/" for c in "abcdefgh"),
        ),
        # --- extensions ------------------------------------------------------------------------
        _w(
            "W301",
            "positional then/else arguments to if()",
            """
            if(condition, "yes", "no") is a cqlmatch extension: LogScale requires
            if(condition, then="yes", else="no") and rejects the positional
            form.  cqlmatch runs it with a warning, and as an error under
            --strict.  check --fix rewrites it with then= and else=.
            """,
            'x := if(n > 1, "yes", "no")',
        ),
        _w(
            "W302",
            "drop() without fields",
            """
            drop() with no fields is a cqlmatch extension that drops the event.
            In LogScale drop() removes fields and requires fields=[...]; the
            function that drops events is dropEvent().  check --fix rewrites it
            to dropEvent(); under --strict it is an error.
            """,
            "#event_simpleName=DnsRequest | drop()",
        ),
        _w(
            "W303",
            "a filter as the condition of if()",
            """
            if(Field=/regex/, ...) uses a filter as the condition, a cqlmatch
            extension: LogScale conditions are expressions.  Write the condition
            as an expression, for example test(), or set a flag field with
            case { ... } before the if().  Under --strict it is an error.
            """,
            'x := if(CommandLine=/enc/, then="yes", else="no")',
        ),
        _w(
            "W305",
            "argument value LogScale no longer accepts",
            """
            The value was one of the function's choices once and LogScale has
            since removed it: sort() and table() type=any was deprecated in
            1.125 and removed in 1.142.  cqlmatch runs it as the value that
            replaced it (type=number, which sorts numbers first and then the
            other values as text) with a warning, and as an error under
            --strict.  check shows the replacement as the fix.
            """,
            "sort(ProcessStartTime, type=any)",
        ),
        _w(
            "W306",
            "regex with named groups inside OR",
            """
            LogScale rejects an OR whose operand is a regex with named groups
            ((?<name>...)): OR is shorthand for a case with one branch per
            operand, and a regex extracts fields only as a stage of its own.
            cqlmatch runs it, adding the groups of the operand that matched,
            with a warning, and as an error under --strict.  Extract in a stage
            of its own (a case with one branch per regex, or regex() after the
            filter), or use an unnamed group (?:...).
            """,
            "CommandLine=/(?<tool>certutil)/ OR FileName=/mshta/",
        ),
        _w(
            "W307",
            "string literal among concat() fields",
            """
            concat() joins the values of fields, and LogScale raises an error
            for text among them, such as the "-" of concat([a, "-", b]).
            cqlmatch runs it, reading the quoted text as the name of a field
            (which events seldom have), with a warning, and as an error under
            --strict.  A quoted field name (["event.id", b]) is not text and
            gets no warning.  To put text between values use
            format("%s-%s", field=[a, b]).
            """,
            'concat([ComputerName, "-", UserName], as=who)',
        ),
        _w(
            "W308",
            "undocumented spelling of an argument value",
            """
            LogScale documents order=asc and order=desc for sort() and table(),
            but published queries also write ascending, descending, or a
            shortening such as asce or des.  cqlmatch reads the word, or a
            prefix of it of three letters or more, as the documented value it
            spells out, with a warning, and as an error under --strict.  Write
            the documented value; check shows it as the fix.  A value that
            spells no choice (order=up, order=dsc) is error E207.
            """,
            "sort(ProcessStartTime, order=descending)",
        ),
        # --- analysis and lint -----------------------------------------------------------------
        _w(
            "W304",
            "case with no branch drops every event",
            """
            An event passes case { ... } only through a branch, so a case block
            with none drops every event and everything after it sees nothing.
            Add the branches, or write * (which check --fix does) to keep every
            event.
            """,
            "case { }",
        ),
        _w(
            "W310",
            "groupBy() returns no rows",
            """
            groupBy() counts an event only when it has every group field, and
            the analysis of the query's Falcon event types shows that every event
            reaching this groupBy lacks one of them, so it returns nothing.
            Group by fields those events carry, or give the missing ones a value
            first with default(); check --fix inserts the default().
            """,
            "#event_simpleName=DnsRequest | groupBy(RemoteAddressIP4)",
        ),
        _w(
            "W320",
            "field never carried by these event types",
            """
            The filter tests a field that raw Falcon telemetry of the event types
            selected here never has, so it only matches events enriched
            elsewhere.  Usually the field belongs to another event type, or the
            name is misspelled.  A field the query itself sets before the filter
            (an assignment, eval(), the named groups of a regex or regex()) is
            never reported, and nothing is after a function that sets fields
            named by the data (parseJson(), kvParse(), match() without include=
            ...).
            """,
            "#event_simpleName=DnsRequest RemoteAddressIP4=10.1.2.3",
        ),
        _w(
            "W330",
            "short unanchored regex alternative",
            """
            An alternative of a few characters with no anchors also matches
            inside longer, unrelated values (ps matches "https"), a common source
            of false positives.  Anchor it with \\b...\\b, or ^...$ for a file
            name.
            """,
            "CommandLine=/ps|powershell/",
        ),
        _w(
            "W331",
            "unescaped '.' in a file-name regex",
            """
            In a regex . matches any character, so cmd.exe also matches "cmdaexe"
            and "cmd_exe".  For a file name escape the dot: cmd\\.exe.  check
            --fix adds the backslash.
            """,
            "ImageFileName=/cmd.exe/",
        ),
        _w(
            "W332",
            "alternative can never match an IPv4 address",
            """
            The field holds IPv4 addresses (digits and dots), but this regex
            alternative needs other characters, so it can never match.  Check
            that the right field is tested, and write the address pattern with
            digits, dots and classes such as \\d.
            """,
            "RemoteAddressIP4=/example/",
        ),
        _w(
            "W333",
            "a regex ended early by an unescaped slash",
            r"""
            A /regex/ ends at the first '/' that is not escaped, so
            CommandLine=/https://evil/ is the regex /https:/ on CommandLine
            followed, in the same word, by the free-text regex /evil/, which
            searches every field: the query means something else than it reads.
            LogScale parses it the same way.  Write each slash inside a regex as
            \/ (CommandLine=/https:\/\/evil/).
            """,
            "CommandLine=/https://evil/",
        ),
        # --- run time --------------------------------------------------------------------------
        _w(
            "W340",
            "a tag of the source no input gives",
            """
            The query filters on a tag of the source (#repo, #type, #Vendor ...),
            which LogScale gives every event of a repository.  Falcon sensor
            events read from files do not carry this one, and the inputs were
            given no such tag, so the filter matches only events that hold the
            field themselves.  Give the inputs the tag (run --tag NAME=VALUE, or
            tags= in the API); #repo, #type and #kind have the Falcon sensor
            defaults unless --no-default-tags.
            """,
            "#Vendor=zscaler | groupBy(url)",
        ),
        _w(
            "W350",
            "a regex that needs a backtracking engine",
            """
            The regex uses look-ahead (?=...) or (?!...), an atomic group (?>...)
            or a possessive quantifier such as {1,2}+.  LogScale's engines run
            these; RE2, which cqlmatch's VM uses, cannot.  cqlmatch runs such a
            regex on a backtracking engine instead (the regex package, in the
            syntax of Python's re), as LogScale's own engine would, so the answer
            is the same; but it is tested event by event outside the VM's regex
            sets (slower) and, as with any backtracking engine, a pattern such
            as (a|aa)+(?=c) can take time exponential in the value's length: a
            search gives up after 1 second (W420).  Rewrite it without those
            constructs where you can: a negative look-ahead is often a second
            filter (F=/x/ F!=/xy/).
            """,
            "CommandLine=/powershell(?!.*-NoProfile)/i",
        ),
        _w(
            "W401",
            "groupBy() reached its group limit",
            """
            groupBy() keeps at most limit= groups (20,000 by default, 1,000,000
            with limit=max); groups first seen after that are left out and the
            counts of the kept groups are lower bounds.  Raise limit=, filter
            before grouping, or group by fewer or coarser fields.
            """,
            "groupBy(ComputerName, limit=1)",
            {"ComputerName": "web01"},
            {"ComputerName": "web02"},
        ),
        _w(
            "W402",
            "top() reached its group limit",
            """
            top() counts at most 1,000,000 distinct groups so its memory stays
            bounded; values first seen after that are not counted, and the
            result may miss some of the top values.  Filter first, or count a
            coarser field.
            """,
            "top(UserName)",
            {"UserName": "alice"},
            {"UserName": "bob"},
        ),
        _w(
            "W410",
            "collect() kept only the first values",
            """
            collect() keeps at most limit= distinct values and a bounded amount
            of memory (10 MiB as a stage, 1 MiB inside groupBy()); the others are
            left out.  Raise limit=, or collect within smaller groups.
            """,
            "collect(UserName, limit=1)",
            {"UserName": "alice"},
            {"UserName": "bob"},
        ),
        _w(
            "W411",
            "replacement names a group the regex lacks",
            """
            The with= text of replace() refers to a capture group ($2) that the
            regex does not have, so it is replaced by nothing.  Add the group to
            the regex or fix the number; write $$ for a literal dollar sign.
            """,
            'replace("(\\\\w+)@", with="$2", field=UserName)',
            {"UserName": "bob@corp"},
        ),
        _w(
            "W412",
            "format(): unknown timezone",
            """
            format() was given a timezone= it does not know, so it produces no
            value.  Use an IANA name such as Europe/London, or an offset such as
            +02:00.
            """,
            'format("%s", field=UserName, timezone="Nowhere/Else")',
            {"UserName": "bob"},
        ),
        _w(
            "W413",
            "splitString(): too many pieces",
            """
            splitString() without index= writes each piece as a field of the
            event, and writes at most 10,000 of them, so that one long value
            cannot turn into millions of fields; the pieces past that are left
            out.  Split with a coarser by= regex, or take the pieces you need
            with index=.
            """,
            'splitString(field=Data, by="")',
            {"Data": "x" * 10_001},
        ),
        _w(
            "W414",
            "replace(): result too long",
            """
            replace() makes a value at most 16 MiB longer than the one it
            replaces in; a regex that matches almost everywhere (an empty
            regex matches between every two characters) with a long
            replacement would make far more, so the value is left as it was.
            Use a regex that matches what is to be replaced, or a shorter
            replacement.
            """,
            f'replace("", with="{"x" * 20_000}", field=Data)',
            {"Data": "y" * 1000},
        ),
        _w(
            "W420",
            "a backtracking regex gave up on a value",
            """
            A regex with look-ahead, an atomic group or a possessive quantifier
            runs on a backtracking engine (W350), which can take time exponential
            in the length of the value on patterns such as (a|aa)+(?=c).  One
            search is given 1 second; past it the value is taken as not matching
            (a filter drops the event, an extraction adds no field, replace() and
            splitString() leave the value as it was) and the run goes on.  The
            warning names the regex: rewrite it so that its repetitions cannot
            match the same text in many ways, or without those constructs.
            """,
            "Data=/(a|aa)+(?=c)/",
            {"Data": "a" * 60 + "b"},
        ),
        _w(
            "W470",
            "no event carried the tag the query filters on",
            """
            The query filters on a tag of the source that no event read carried
            (as #name or name) and that the inputs were not given, so that filter
            matched nothing.  Give the inputs the tag with run --tag NAME=VALUE
            (tags= in the API, tags: in a pack manifest), or remove the filter.
            """,
            "#Vendor=zscaler | groupBy(url)",
            {"url": "example.com"},
        ),
        _w(
            "W461",
            "unknown timezone",
            """
            A time function (formatTime(), parseTimestamp(), findTimestamp(),
            time:hour() ...) was given a timezone= it does not know; it produces
            no value, or reads the time without a zone.  Use an IANA name such as Europe/London, or an
            offset such as +02:00.
            """,
            'formatTime("%Y-%m-%d", as=day, timezone="Mars/Olympus")',
            {"@timestamp": "0"},
        ),
        _w(
            "W462",
            "formatTime(): unsupported directive",
            """
            The format of formatTime() holds a %-directive cqlmatch does not
            support; it is kept in the output as written.  The supported
            directives are those of Java's formatter that LogScale documents
            (%Y, %m, %d, %H, %M, %S, %L ...).
            """,
            'formatTime("%Y %K", as=day)',
            {"@timestamp": "0"},
        ),
        _w(
            "W463",
            "locale not supported",
            """
            cqlmatch formats and parses month and day names in English only; a
            locale= for another language is ignored.  Expect English names in
            the output, or use numeric directives.
            """,
            'formatTime("%B", as=month, locale="de_DE")',
            {"@timestamp": "0"},
        ),
        _w(
            "W464",
            "too many series",
            """
            timeChart() and bucket() keep at most 500 series; a larger limit= is
            cut to 500, and without limit= the series with the highest values
            are kept.  Filter first, or chart a coarser field.
            """,
            "timeChart(ComputerName, limit=600)",
            {"@timestamp": "0", "ComputerName": "web01"},
        ),
        _w(
            "W465",
            "events without a numeric @timestamp skipped",
            """
            timeChart() and bucket() place events by @timestamp in milliseconds
            since the epoch; events whose @timestamp is missing or not a number
            were skipped.  Parse the time into @timestamp first, for example
            with parseTimestamp().
            """,
            "timeChart(span=1h)",
            {"@timestamp": "yesterday"},
        ),
        _w(
            "W466",
            "parseTimestamp(): invalid format",
            """
            The format of parseTimestamp() is not a valid pattern (an unclosed
            quote or bracket, or unsupported pattern letters), so no event is
            parsed and events are left as they are.  Fix the format; it uses
            Java's DateTimeFormatter letters, or seconds/milliseconds for
            epoch times.
            """,
            'parseTimestamp("yyyy-MM-dd [", field=t)',
            {"t": "2024-01-01"},
        ),
        _w(
            "W467",
            "cannot read the unit conversion",
            """
            The unit= of timeChart() or bucket() converts a rate (for example
            "bytes/span to bytes/s"), one for all functions or one per function.
            This one cannot be read, or there are more or fewer than the
            functions, so the values are shown unconverted.
            """,
            'timeChart(span=1h, unit="lightyears")',
            {"@timestamp": "0"},
        ),
        _w(
            "W480",
            "unit:convert(): incompatible units",
            """
            unit:convert() cannot convert between these units (bytes to seconds,
            a quantity to a rate), so it produces no value.  Check from= and
            to=: they must measure the same thing.
            """,
            'unit:convert(Size, from="MB", to="ms")',
            {"Size": "5"},
        ),
        _w(
            "W481",
            "statement not run inside an array condition",
            """
            An array function's condition (array:filter() ...) holds a case or
            match block, which cqlmatch does not run per element; the element is
            kept as if it matched.  Rewrite the condition as filters joined with
            and, or and not.
            """,
            'array:filter(array="x[]", function={case { v=1; * }}, var=v, asArray="y[]")',
            {"x[0]": "1"},
        ),
        _w(
            "W482",
            "percentile() skipped negative values",
            """
            percentile() takes non-negative numbers, as in LogScale; negative
            values are left out of the result.  Shift or filter the values first
            if they can be negative.
            """,
            "percentile(Size)",
            {"Size": "-5"},
        ),
        _w(
            "W483",
            "not a percentile from 0 to 100",
            """
            A value of percentiles= is not a number from 0 to 100 and is left
            out.  Give percentiles as numbers such as 50, 95 and 99.9.
            """,
            "percentile(Size, percentiles=[150])",
            {"Size": "5"},
        ),
        _w(
            "W484",
            "base64Decode(): unknown charset",
            """
            base64Decode() does not know the charset= given, so it produces no
            value.  Use a charset name Python knows, such as UTF-8, ISO-8859-1
            or UTF-16LE.
            """,
            'base64Decode(Data, charset="klingon")',
            {"Data": "aGk="},
        ),
        _w(
            "W485",
            "parseInt(): radix out of range",
            """
            parseInt() reads numbers in a radix from 2 to 36; with any other it
            produces no value.  Fix radix=.
            """,
            "parseInt(Hex, radix=40)",
            {"Hex": "ff"},
        ),
        _w(
            "W486",
            "neighbor(): distance too large",
            """
            neighbor() looks at most 10,000 events back or ahead, so that its
            window stays bounded; a larger distance= is cut to 10,000.  Events
            further apart than that are better related with groupBy() or a
            join on a shared field.
            """,
            "neighbor(UserName, distance=20000)",
            {"UserName": "alice"},
        ),
        _w(
            "W488",
            "bitfield:extractFlags(): malformed output entry",
            """
            Each output= entry of bitfield:extractFlags() is a pair [index, name]
            with an index from 0 to 63; entries that are not are skipped.  Fix
            the list, for example output=[[0, read], [1, write]].
            """,
            "bitfield:extractFlags(field=Flags, output=[[99, huge]])",
            {"Flags": "1"},
        ),
        _w(
            "W489",
            "transpose(): limit too large",
            """
            transpose() turns at most 1,000 rows into columns; a larger limit= is
            cut to 1,000, since every row becomes a field of each output event.
            Reduce the rows first (groupBy(), head()) so the result stays
            readable.
            """,
            "transpose(limit=2000)",
            {"UserName": "alice"},
        ),
        # --- issue 18: functions added for real queries ---
        _w(
            "W490",
            "setTimeInterval(): events outside the interval",
            """
            setTimeInterval() keeps the events of a time interval counted back
            from the time of the run, as LogScale counts it back from the time
            of the search; older events in a file are dropped.  Remove it, or
            give start= and end= as epoch milliseconds, to search an old file.
            """,
            "setTimeInterval(start=1h)",
            {"@timestamp": "0"},
        ),
        _w(
            "W493",
            "start() is 0 offline",
            """
            start() gives the beginning of the search's time interval.  An
            offline run searches all of its input, so the interval is all time
            and start() is 0; end() is the time of the run.  Compare with fixed
            epoch milliseconds, or with now() minus a duration, to keep a
            window.
            """,
            "s := start()",
            {"x": "1"},
        ),
        _w(
            "W491",
            "correlate(): too many candidate events",
            """
            Each correlate() query keeps at most 100,000 matching events as
            candidates, so that the stage's memory stays bounded; later matches
            were left out and constellations using them are missed.  Make the
            queries more selective, or split the input by time.
            """,
            "correlate(a: { x=1 }, b: { x=1 | y <=> a.y })",
            {"@timestamp": "1", "x": "1", "y": "1"},
            {"@timestamp": "2", "x": "1", "y": "1"},
        ),
        _w(
            "W492",
            "correlate(): search stopped",
            """
            correlate() tries at most 2,000,000 partial constellations; the
            search stopped there, and the constellations found so far are the
            output.  Add links (<=>), globalConstraints= or within= so fewer
            combinations need trying.
            """,
            "correlate(a: { x=1 }, b: { x=1 | y <=> a.y })",
            {"@timestamp": "1", "x": "1", "y": "1"},
            {"@timestamp": "2", "x": "1", "y": "1"},
        ),
    )


if TYPE_CHECKING:
    #: Every code by name, in code order.
    CODES: dict[str, Code]


def __getattr__(name: str) -> Any:
    """``CODES``, made from the table the first time it is read."""
    if name != "CODES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    table = _table()
    codes = {c.code: c for c in sorted(table, key=lambda c: c.code)}
    assert len(codes) == len(table), "a code is listed twice"
    globals()["CODES"] = codes
    return codes


def _codes() -> dict[str, Code]:
    return globals().get("CODES") or __getattr__("CODES")  # type: ignore[no-any-return]


def lookup(code: str) -> Code | None:
    """The entry for ``code`` (any case, surrounding blanks ignored), or None."""
    return _codes().get(code.strip().upper())


_LOOK_ALIKES = str.maketrans("OILS", "0115")


def suggest(code: str, n: int = 3) -> list[str]:
    """Known codes close to an unknown one (a typo, a missing digit)."""
    import difflib

    codes = _codes()
    wanted = code.strip().upper()
    # Look-alikes in the digits (E2O1), or the letter left out (201).
    fixed = wanted[:1] + wanted[1:].translate(_LOOK_ALIKES)
    exact = [c for c in (fixed, "E" + fixed, "W" + fixed) if c in codes]
    if exact:
        return exact[:n]
    if 2 <= len(fixed) < 4:  # a code cut short (W40): the codes it starts
        started = [c for c in codes if c.startswith(fixed)]
        if started:
            return started[:n]
    return difflib.get_close_matches(wanted, codes, n=n, cutoff=0.5)


#: Examples longer than this are shown shortened (the table keeps them whole).
_SHOWN_EXAMPLE = 160


def render_example(example: str) -> str:
    """``example`` as it can be printed: characters that are not text (a lone
    surrogate) as escapes, and a very long example shortened in the middle."""
    shown = example.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(shown) > _SHOWN_EXAMPLE:
        head, tail = shown[:60].rstrip(), shown[-40:].lstrip()
        shown = f"{head} ... {tail}  ({len(example):,} characters)"
    return shown


def explain(code: str, width: int = 78) -> str:
    """The entry for ``code`` as text (the ``cqlmatch explain`` output).

    Raises ``KeyError`` for a code the table does not list."""
    import json
    import textwrap

    entry = lookup(code)
    if entry is None:
        raise KeyError(code)
    lines = [f"{entry.code} ({entry.severity}): {entry.title}", ""]
    for paragraph in entry.explanation.split("\n\n"):
        lines.extend(textwrap.wrap(paragraph, width))
        lines.append("")
    lines.append("Example:")
    lines.extend("    " + line for line in render_example(entry.example).splitlines())
    if entry.events:
        lines.append("")
        lines.append("It warns when run over these events:")
        lines.extend("    " + json.dumps(event) for event in entry.events)
    return "\n".join(lines) + "\n"
