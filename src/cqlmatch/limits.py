"""Every limit cqlmatch applies, in one place.

A limit bounds what one query or one input can make the engine spend
(memory, time, output).  Each is named here once, with why it has the value
it has; the modules that apply a limit import it from here, so a limit is
never written twice and never disagrees with itself.
"""

from __future__ import annotations

# --- aggregation ---------------------------------------------------------------------------

#: The largest ``limit=`` of ``groupBy`` (LogScale's GroupMaxLimit), what
#: ``limit=max`` means for it; a group table never holds more groups.
GROUP_LIMIT_MAX = 1_000_000
#: Groups a worker's partial table keeps whatever the plan's limit: a group
#: first seen late in one part may come early in the whole input, and the
#: merge in input order applies the plan's limit.
PARTIAL_GROUPS = GROUP_LIMIT_MAX
#: Rows a row-limited function keeps at most (LogScale's StateRowLimit):
#: ``top(limit=max)``, ``head``/``tail`` maxima.
ROW_LIMIT_MAX = 20_000
#: Distinct groups ``top()`` counts before it stops adding new ones.
TOP_GROUPS_MAX = GROUP_LIMIT_MAX
#: Events one event may become: the largest ``regex(repeat=true, limit=...)``
#: (one event per match; E207 past it).  Without it a single-character regex
#: over a 10 MB value made ten million events.
EVENTS_PER_EVENT_MAX = 10_000
#: The largest ``limit=`` each function accepts, what ``limit=max`` means for
#: it; a larger number is error E207.  Their state is bounded by these.
LIMIT_MAXIMA = {"groupBy": GROUP_LIMIT_MAX, "top": ROW_LIMIT_MAX, "regex": EVENTS_PER_EVENT_MAX}
#: Bytes of distinct values ``collect()`` keeps as a stage of its own ...
COLLECT_BYTES_TOP = 10 << 20
#: ... and inside ``groupBy()`` or another function, where one copy is kept
#: per group, so each must stay small.
COLLECT_BYTES_NESTED = 1 << 20
#: Series ``timeChart()``/``bucket()`` keep (LogScale's MAX_SERIES_LIMIT
#: default); a larger ``limit=`` is cut to it with warning W464.
SERIES_LIMIT_MAX = 500
#: Time buckets ``bucket()``/``timeChart()`` make at most (the documented
#: maximum of ``buckets=``); a longer span gets wider buckets instead.
MAX_BUCKETS = 1500
#: The largest ``neighbor(distance=...)``; a larger one is cut with W486.
#: Each event holds a window this wide, so it bounds the memory of the stage.
NEIGHBOR_DISTANCE_MAX = 10_000
#: Events one ``correlate()`` query keeps as candidates; later matches of
#: that query are dropped with W491, so the stage's memory stays bounded.
CORRELATE_CANDIDATES_MAX = 100_000
#: Partial constellations ``correlate()`` tries in all; past it the search
#: stops with W492 (the constellations found so far are output).
CORRELATE_STEPS_MAX = 2_000_000
#: The largest ``transpose(limit=...)`` (rows turned into columns); larger is
#: cut with W489, since every row becomes a field of each output event.
TRANSPOSE_LIMIT_MAX = 1_000
#: Characters at the start of a value ``findTimestamp()`` searches
#: (LogScale's MAX_CHARS_TO_FIND_TIMESTAMP default): a timestamp further in
#: is not found, and a long value is not scanned to its end.
FIND_TIMESTAMP_CHARS = 128

# --- values one function makes --------------------------------------------------------------

#: The largest width or precision of a ``format()`` conversion (E207 past
#: it; a format not known when compiling gives no value): ``%1000000000s`` built a
#: 1 GB value.  Real formats pad to a few dozen characters.
FORMAT_WIDTH_MAX = 10_000
#: Pieces ``splitString()`` writes as fields of one event (W413 past it, the
#: first ones are kept): ``by=""`` over a 10 MB value made ten million fields
#: (2 GB).  With ``index=`` only one piece is written and this does not apply.
SPLIT_PIECES_MAX = 10_000
#: Characters ``replace()`` may produce for one value beyond the length of the
#: value itself (W414 past it, the value is left as it was): ``replace("")``
#: inserts its replacement between every two characters, so a short
#: replacement over a 10 MB value made many times that.
REPLACE_GROWTH_MAX = 16 << 20

# --- query text ----------------------------------------------------------------------------

#: Nested parentheses, calls, arrays, case and match blocks the parser
#: follows (error E110 past it): the parser is recursive, and this keeps it far
#: from Python's recursion limit whatever the query.
MAX_DEPTH = 64
#: Expression depth (E110 past it): each binary operator of a chain
#: (a + b + c ...) nests the tree one level, and counts with the nesting above.
MAX_EXPR_DEPTH = 128
#: Saved queries calling saved queries (E221 past it): stops a cycle the
#: directory lookup cannot see (two names for one file) and runaway expansion.
MAX_SAVED_DEPTH = 32
#: Stages on any path into the query (E210 past it): those of a pipeline plus,
#: for a nested one, the stages before it in every enclosing pipeline.  The
#: interpreter runs a pipeline as a chain of stages, so this keeps it far from
#: Python's recursion limit; real queries stay far below (the corpus tops out at 113).
MAX_STAGES = 300
#: Digits a value may have and still be read as a number: Python refuses to
#: convert more than 4300, and a number that long is not a measurement anyway.
MAX_DIGITS = 4000

# --- analysis ------------------------------------------------------------------------------

#: Paths (branches of case/match, each with what it knows of the event) the
#: Falcon analysis follows; past this it gives up rather than grow
#: exponentially with nested case blocks.  It only gives warnings.
MAX_PATHS = 256
#: Paths within one filter stage (an AND of ORs multiplies them: a Sigma rule
#: of 20 ORed groups reached millions); past this the analysis gives up
#: before the stage ends.  High enough that real rules finish their stage
#: (one of the 3,050 corpus queries that compile passes it).
MAX_FILTER_PATHS = 16_384
#: Rounds of ``check --fix``: one fix can uncover another, but a fix that keeps
#: producing fixes must not loop forever.
MAX_FIX_ROUNDS = 8

# --- input ---------------------------------------------------------------------------------

#: A line longer than this is reported as malformed and skipped unread.
MAX_LINE_BYTES = 64 << 20
#: Values (strings, numbers, true/false/null, objects and arrays, at any
#: depth; keys do not count) one event may hold: an event past it is a
#: malformed line "more than N values in one event" (a mapping given to
#: ``Matcher.match``/``CompiledQuery.match`` is refused with that reason).
#: Flattening makes a field of every value, so one 60 MB line holding a
#: 30-million-element array took 5.8 GB, and a line of 2 million keys 595 MB.
#: A line is counted before it is decoded whole (only when it is longer than
#: this many bytes: every value takes at least one byte), so no huge
#: structure is built.  Real Falcon events hold a few dozen values (the
#: generated ones at most 45).
MAX_EVENT_VALUES = 100_000
#: Malformed lines kept with their number and reason for the report; the
#: count of malformed lines is always complete.
MALFORMED_KEPT = 1000

# --- lookup files --------------------------------------------------------------------------

#: Bytes a lookup file may hold (E225 past it, before it is read): a file is
#: read whole when the query runs, and its rows are kept in memory for the
#: run.  A list of a million indicators with a few columns is far below.
MAX_LOOKUP_BYTES = 100 << 20
#: Values one lookup table may hold (E225 past it): the cells of a CSV file,
#: or every JSON value of a JSON file (each row object included).  Each value
#: costs some 100 bytes once read, so a file of tiny rows within
#: ``MAX_LOOKUP_BYTES`` (``a,b`` lines) could otherwise take gigabytes.
MAX_LOOKUP_VALUES = 5_000_000

# --- regular expressions -------------------------------------------------------------------

#: Memory RE2 may use for one compiled regex or regex set (its DFA cache
#: included); a field whose regexes together need more is error E231.
REGEX_MAX_MEM = 64 << 20
#: A regex whose RE2::Set program alone needs more than this runs on the slow
#: path (a single RE2 object, which falls back from the DFA to the NFA), so the
#: field's set keeps memory for its DFA.  Ordinary detection regexes need a few
#: kilobytes.
SET_PATTERN_BUDGET = 8 << 20
#: Groups inside groups in one regex (E230 past it): keeps the recursive
#: regex parser far from Python's recursion limit.
REGEX_MAX_NESTING = 100
#: RE2's own limit on a counted repetition (``x{1001}`` is E230).
REGEX_MAX_REPEAT = 1000
#: Pieces one sequence may hold once counted repetitions are written out
#: (x{3} is xxx).  RE2 does that expansion itself and aborts the whole process
#: (LOG(FATAL) "Cannot AllocSub") past 65,535 pieces, e.g. for 66 times
#: [^a]{1000}; such a pattern is refused (E230) well below that.
REGEX_MAX_EXPANDED = 30_000
#: Seconds one search of a backtracking regex (look-ahead, atomic group,
#: possessive quantifier: RE2 cannot run these) may take on one value before
#: it gives up (W420): such engines can take exponential time on patterns
#: like (a|aa)+(?=c), where RE2 is linear.
REGEX_BACKTRACK_SECONDS = 1.0

# --- detection test files -----------------------------------------------------------------

#: Values (mappings, lists, keys and scalars) a ``*.cqltest.yaml`` file may
#: hold once its aliases are expanded (past it the file is refused at the
#: alias that crosses it).  A YAML alias repeats a whole subtree without
#: repeating its text, so nine lines of nested aliases ("billion laughs")
#: stood for 10^9 values and ran for minutes into a MemoryError.  A large
#: inline test (a thousand events of a hundred fields) stays far below;
#: bigger inputs belong in an ``events: {file: ...}`` NDJSON file.
MAX_YAML_VALUES = 1_000_000
#: Mappings and lists nested in one another in a test file: PyYAML composes
#: them recursively, so this keeps loading far from Python's recursion
#: limit; events nest a few levels.
MAX_YAML_DEPTH = 100

# --- output --------------------------------------------------------------------------------

#: ``run --format table`` cuts longer cells with an ellipsis, so one huge
#: value does not make the whole table unreadable (json/csv keep it whole).
MAX_CELL = 80
