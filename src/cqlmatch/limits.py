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

# --- input ---------------------------------------------------------------------------------

#: A line longer than this is reported as malformed and skipped unread.
MAX_LINE_BYTES = 64 << 20
#: Malformed lines kept with their number and reason for the report; the
#: count of malformed lines is always complete.
MALFORMED_KEPT = 1000

# --- regular expressions -------------------------------------------------------------------

#: Memory RE2 may use for one compiled regex set (its DFA cache included).
REGEX_MAX_MEM = 64 << 20
