# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Ingest kernels in C: the prefilter's scan of a block of NDJSON lines,
and the gathering of kept lines and decoded values into columns.

``scan(block, groups, escapes, slash)`` keeps a line when every group has a
literal in it, or when it holds a JSON escape that could stand for a
character of a literal (``\\u00XX`` whose two hex digits ``escapes`` marks,
or ``\\/`` when ``slash``): exactly ``ingest.Prefilter``'s rule, which
decides it with one ``bytes.find`` pass per literal and a regex search over
the whole block.

Most lines hold no literal, so the block is searched, not its lines: one
pass looks for the literals of one group (the "driving" one) and the
escapes together, and only the line around a hit is delimited and
searched for the other groups.  The search compares, 16 or 32 bytes at a
time, each pattern's first and last byte at their distance (SSE2, or AVX2
where the CPU has it; from five patterns on, AVX2 looks up a fingerprint of
their first three bytes instead) and confirms candidates; elsewhere it does
the same on 64-bit words, or falls back to ``memmem``.  A literal may be
compared ignoring ASCII case.  A separate pass counts the lines and checks
that each one is framed as a JSON object (``{`` ... ``}``); a line that is
not is kept whatever its literals, so the decoder counts it as malformed
(the kernels are in textscan.h).  No Python object is made for a line the scan
rules out, and the GIL is released for the scan.

With a ``scope`` (``ingest.prefilter.Prefilter``'s field-scoped groups), a
scoped group's hits in a line are taken one after the other until one lies
in the value of a field its literal comes from (fieldscope.h); the search
also looks for the escapes that may spell a key, and a line holding one
needs only a hit anywhere.  Most lines that hold a short literal somewhere
(``apt`` in ``Adapter``) do not hold it in the field the rule tests.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.string cimport memcmp, memcpy
from libcpp.vector cimport vector


# (string.h, textscan.h, jsonfields.h and the structs Needle and Search:
# declared in scan.pxd.)


cdef int _kernel = cqm_best_kernel()  # CQM_*: the fastest this machine runs
cdef tuple _KERNELS = ("memmem", "word", "sse2", "avx2", "teddy")  # by CQM_* value


def _use_kernel(str name=None):
    """The search kernel's name (``memmem``, ``word``: 64-bit words,
    ``sse2``, ``avx2``, ``teddy``: AVX2 fingerprints for any pattern count,
    which ``avx2`` takes from five patterns on); with ``name``, switch to it and return the previous
    one (tests check that every kernel gives the same result)."""
    global _kernel
    previous = _KERNELS[_kernel]
    if name is not None:
        if name not in _KERNELS or not cqm_kernel_available(_KERNELS.index(name)):
            raise ValueError(f"kernel {name!r} is not available here")
        _kernel = _KERNELS.index(name)
    return previous


# The needles of the last groups scanned (a stream scans the same ones over
# and over): the tuples are held, so the needles' pointers into them stay good.
cdef object _last_groups = None
cdef object _last_folds = None
cdef object _last_scope = None
cdef vector[Needle] _last_needles
cdef vector[cqm_pat] _last_keys
cdef int _last_ngroups = 0


cdef int make_needles(
    tuple groups, object folds, vector[Needle]& needles, object scope, vector[cqm_pat]& keys
) except -1:
    """Append the literals of ``groups`` (tuples of non-empty ``bytes``) to
    ``needles``; return the number of groups.  ``folds``: None, or for each
    group a tuple of flags, true for a literal (in lower case) that ignores
    ASCII case.  ``scope``: None, or for each group None or, for each of its
    literals, a tuple of the names (``bytes``) of the keys a hit must lie in
    (appended to ``keys``; empty: anywhere).  The needles and keys point
    into the tuples, so they must outlive them."""
    cdef Needle needle
    cdef cqm_pat key
    cdef int g, j
    if folds is not None and (
        type(folds) is not tuple or len(folds) != len(groups)
        or any(type(f) is not tuple or len(f) != len(x) for f, x in zip(folds, groups))
    ):
        raise ValueError("folds must be a tuple of flag tuples shaped like groups")
    if scope is not None and (
        type(scope) is not tuple or len(scope) != len(groups)
        or any(f is not None and (type(f) is not tuple or len(f) != len(x))
               for f, x in zip(scope, groups))
    ):
        raise ValueError("scope keys must be a tuple shaped like groups")
    for g in range(len(groups)):
        for j, literal in enumerate(groups[g]):
            if type(literal) is not bytes or not literal:
                raise TypeError("literals must be non-empty bytes")
            needle.data = PyBytes_AS_STRING(literal)
            needle.size = <size_t>PyBytes_GET_SIZE(literal)
            needle.group = g
            needle.fold = folds is not None and bool(folds[g][j])
            if needle.fold and literal != literal.lower():
                raise ValueError("a literal that ignores case must be in lower case")
            needle.keys.first = keys.size()
            needle.keys.count = 0
            if scope is not None and scope[g] is not None:
                for name in scope[g][j]:
                    if type(name) is not bytes or not name:
                        raise TypeError("key names must be non-empty bytes")
                    key.data = PyBytes_AS_STRING(name)
                    key.size = <size_t>PyBytes_GET_SIZE(name)
                    key.fold = 0
                    keys.push_back(key)
                    needle.keys.count += 1
            needles.push_back(needle)
    return len(groups)


cdef int _driving_group(const vector[Needle]& needles, int ngroups) noexcept nogil:
    """The group to search the block for: the one whose shortest literal is
    longest (fewest chance hits), then the one with fewest literals; -1 when
    some group cannot match (all its literals hold an LF, or it has none)."""
    cdef int g, best = -1, count, best_count = 0
    cdef size_t k, shortest, best_shortest = 0
    for g in range(ngroups):
        count = 0
        shortest = 8  # longer is no rarer in practice
        for k in range(needles.size()):
            if needles[k].group == g and memchr(needles[k].data, 10, needles[k].size) == NULL:
                count += 1
                shortest = min(shortest, needles[k].size)
        if count == 0:
            return -1
        if best < 0 or shortest > best_shortest or (
            shortest == best_shortest and count < best_count
        ):
            best, best_shortest, best_count = g, shortest, count
    return best


cdef inline size_t _hit_in(
    Search* search, int kernel, const char* data, size_t n, size_t at, size_t end,
    const cqm_pat* pats, const unsigned char* table, size_t* nexts, cqm_teddy* ted,
) noexcept nogil:
    """The first hit of ``search`` in ``data[at:end]`` (``end`` if none):
    only the line at hand is searched, since a group is looked for only in
    lines another group kept (``at`` never decreases from call to call, as
    the memmem kernel's state needs)."""
    cdef int which
    return cqm_next_hit(
        kernel, data, n, at, end, pats + search.first, search.count, table, search.esc, &which,
        nexts + search.state, ted,
    )


cdef bint _group_in(
    Search* search, int kernel, const char* data, size_t n, size_t start, size_t at, size_t end,
    bint seen, const cqm_pat* pats, const cqm_span* pat_keys, const cqm_pat* keys,
    const cqm_pat* group_keys, const unsigned char* table, const unsigned char* key_table,
    size_t* nexts, cqm_teddy* ted,
) noexcept nogil:
    """Whether the line ``data[start:end]`` passes the group of ``search``,
    searched from ``at`` on (``seen``: a hit of it was before): a hit of
    it, which for a scoped group must lie in the value of one of its
    literal's keys (fieldscope.h), unless the line holds an escape that may
    spell a key (the search's patterns from ``esc`` on) and some hit."""
    cdef size_t first = at, skip
    cdef int which = 0
    cdef bint key_escape = False
    cdef cqm_span span
    if not search.scoped:
        return _hit_in(search, kernel, data, n, at, end, pats, table, nexts, ted) < end
    while True:
        at = cqm_next_hit(
            kernel, data, n, at, end, pats + search.first, search.count, key_table, search.esc,
            &which, nexts + search.state, ted,
        )
        if at >= end:
            break
        if which >= search.esc:
            key_escape = True
            at += 1
            continue
        seen = True
        span = pat_keys[search.first + which]
        if cqm_hit_counts(data + start, at - start, keys + span.first, span.count):
            return True
        if search.anywhere or cqm_hit_counts(
            data + start, at - start, group_keys + search.keys.first, search.keys.count
        ):
            at += 1  # the next hit may count (in another key's value, or anywhere)
            continue
        # No hit in the rest of this string counts (every literal of the
        # group is scoped): the search goes on after it, once the rest is
        # asked for the escapes that may spell a key.
        skip = start + cqm_skip_string(data + start, at - start, end - start)
        key_escape = key_escape or cqm_key_escape_in(
            data, at, skip, key_table, search.count - search.esc > 1
        )
        at = skip
    if not seen:
        return False
    return key_escape or (
        first > start
        and cqm_key_escape_in(data, start, first, key_table, search.count - search.esc > 1)
    )


cdef size_t scan_block(
    const char* data,
    size_t n,
    const vector[Needle]& needles,
    int ngroups,
    const unsigned char* table,
    bint slash,
    vector[size_t]& kept,
    const cqm_pat* keys,
    const unsigned char* key_table,
    bint key_slash,
) noexcept nogil:
    """``scan`` without Python objects: append the ``start, end`` of each
    kept line to ``kept`` and return the line count (LF count + 1); 0 when
    out of memory.  ``table``: 65,536 bytes as ``scan``'s ``escapes``;
    ``keys``, ``key_table``, ``key_slash``: the keys the needles' spans
    point into and the escapes that may spell one (``scope`` in ``scan``).

    The block is searched for the driving group's literals and the escapes
    together; a line with a literal is then searched for each other group
    in turn (stopping at the first one it lacks, which is asked first for
    the next line), and for an escape.  A scoped driving group is searched
    again in the line (its own search, ``drive_search``), for a hit that
    lies in its fields."""
    cdef vector[cqm_pat] pats
    cdef vector[cqm_span] pat_keys  # for each of pats, the keys its hits must lie in
    cdef vector[cqm_pat] group_keys  # for each scoped search, all its keys (Search.keys)
    cdef Search drive_search
    cdef bint scoped_drive = False
    cdef vector[size_t] nexts
    cdef vector[Search] searches  # [0]: the escapes alone, then the other groups
    cdef vector[cqm_teddy] teds  # each search's fingerprint tables
    cdef vector[size_t] order  # the other groups' searches, in the order they are asked
    cdef vector[size_t] framed  # lines not framed as a JSON object: kept whatever the literals
    cdef Search search
    cdef cqm_pat pat
    cdef int drive, nlit, nesc, g, which = 0, kernel = _kernel
    cdef size_t lines, pos = 0, at, start, end, k, s
    cdef const char* nl
    cdef bint keep
    if ngroups <= 0:  # every non-empty line
        lines = 1
        while True:
            nl = <const char*>memchr(data + pos, 10, n - pos)
            end = n if nl == NULL else <size_t>(nl - data)
            if end > pos:
                kept.push_back(pos)
                kept.push_back(end)
            if nl == NULL:
                return lines
            lines += 1
            pos = end + 1
    lines = frame_lines(data, n, framed, kernel)
    drive_search.first = drive_search.count = 0
    drive = _driving_group(needles, ngroups)
    for k in range(needles.size()):
        if needles[k].group == drive and memchr(needles[k].data, 10, needles[k].size) == NULL:
            pat.data = needles[k].data
            pat.size = needles[k].size
            pat.fold = needles[k].fold
            pats.push_back(pat)
            pat_keys.push_back(needles[k].keys)
    nlit = <int>pats.size()
    pat.data = b"\\u00"
    pat.size = 4
    pat.fold = 0
    pats.push_back(pat)
    if slash:
        pat.data = b"\\/"
        pat.size = 2
        pats.push_back(pat)
    nesc = <int>pats.size() - nlit
    pat_keys.resize(pats.size())
    search.first = nlit
    search.count = nesc
    search.esc = 0
    search.scoped = search.anywhere = False
    search.keys.first = search.keys.count = 0
    searches.push_back(search)
    if drive >= 0:
        for g in range(ngroups):
            search.first = pats.size()
            search.esc = -1
            search.scoped = search.anywhere = False
            search.keys.first = group_keys.size()
            for k in range(needles.size()):  # (a literal with an LF is in no line)
                if needles[k].group == g and memchr(needles[k].data, 10, needles[k].size) == NULL:
                    pat.data = needles[k].data
                    pat.size = needles[k].size
                    pat.fold = needles[k].fold
                    pats.push_back(pat)
                    pat_keys.push_back(needles[k].keys)
                    search.scoped = search.scoped or needles[k].keys.count > 0
                    search.anywhere = search.anywhere or needles[k].keys.count == 0
                    for j in range(needles[k].keys.first,
                                   needles[k].keys.first + needles[k].keys.count):
                        _add_key(group_keys, search.keys.first, keys[j])
            search.keys.count = group_keys.size() - search.keys.first
            if search.scoped:  # then the escapes that may spell a key
                search.esc = <int>(pats.size() - search.first)
                pat.data = b"\\u00"
                pat.size = 4
                pat.fold = 0
                pats.push_back(pat)
                if key_slash:
                    pat.data = b"\\/"
                    pat.size = 2
                    pats.push_back(pat)
                pat_keys.resize(pats.size())
            search.count = <int>(pats.size() - search.first)
            if g != drive:
                searches.push_back(search)
            elif search.scoped:
                drive_search = search
                scoped_drive = True
    for s in range(searches.size()):  # each its own memmem state
        searches[s].state = pats.size() + searches[s].first
    drive_search.state = pats.size() + drive_search.first
    nexts.resize(2 * pats.size())
    teds.resize(searches.size() + 2)  # zeroed: built on first use; the last two drive
    for s in range(1, searches.size()):
        order.push_back(s)
    while pos < n:  # pos: the start of a line not searched yet
        at = cqm_next_hit(
            kernel, data, n, pos, n, pats.data(), nlit + nesc, table, nlit, &which, nexts.data(),
            &teds[searches.size()],
        )
        if at >= n:
            break
        nl = cqm_last_lf(data + pos, at - pos)
        start = pos if nl == NULL else <size_t>(nl + 1 - data)
        nl = <const char*>memchr(data + at, 10, n - at)
        end = n if nl == NULL else <size_t>(nl - data)
        keep = which >= nlit  # an escape
        if not keep:
            keep = not scoped_drive or cqm_hit_counts(
                data + start, at - start, keys + pat_keys[which].first, pat_keys[which].count
            ) or _group_in(
                &drive_search, kernel, data, n, start, at + 1, end, True, pats.data(),
                pat_keys.data(), keys, group_keys.data(), table, key_table, nexts.data(),
                &teds[searches.size() + 1],
            )
            for k in range(order.size() if keep else 0):
                s = order[k]
                if not _group_in(&searches[s], kernel, data, n, start, start, end, False,
                                 pats.data(), pat_keys.data(), keys, group_keys.data(), table,
                                 key_table, nexts.data(), &teds[s]):
                    keep = False
                    # The group that ruled the line out is asked first next
                    # time: the one that fails most is soon in front.
                    order[k] = order[0]
                    order[0] = s
                    break
            # (no escape before ``at``: the search would have stopped there)
            keep = keep or _hit_in(
                &searches[0], kernel, data, n, at, end, pats.data(), table, nexts.data(),
                &teds[0],
            ) < end
        if keep:
            kept.push_back(start)
            kept.push_back(end)
        pos = end + 1
    if framed.size():
        merge_spans(kept, framed)
    return lines


cdef void _add_key(vector[cqm_pat]& keys, size_t first, cqm_pat key) noexcept nogil:
    """Append ``key`` to ``keys`` unless ``keys[first:]`` holds it."""
    cdef size_t k
    for k in range(first, keys.size()):
        if keys[k].size == key.size and memcmp(keys[k].data, key.data, key.size) == 0:
            return
    keys.push_back(key)


cdef void _note_unframed(void* ctx, size_t start, size_t end) noexcept nogil:
    (<vector[size_t]*>ctx).push_back(start)
    (<vector[size_t]*>ctx).push_back(end)


cdef size_t frame_lines(const char* data, size_t n, vector[size_t]& bad,
                        int kernel) noexcept nogil:
    """The line count (LF count + 1), appending to ``bad`` the ``start, end``
    of each line that is not framed as a JSON object: once spaces, tabs and
    CRs are trimmed, not empty and not ``{`` ... ``}``.  The prefilter keeps
    such lines, so the decoder reports them as malformed, though it rules
    out their well-framed neighbours unread.  32 bytes at a time with the
    AVX2 kernels (``framelines.h``)."""
    return cm_frame_lines(<const unsigned char*>data, n, kernel >= CQM_AVX2,
                          _note_unframed, <void*>&bad)


cdef void merge_spans(vector[size_t]& kept, const vector[size_t]& extra) noexcept nogil:
    """``kept`` and ``extra`` (both sorted ``start, end`` pairs of lines of
    one block) as one sorted list without repeats, into ``kept``."""
    cdef vector[size_t] out
    cdef size_t i = 0, j = 0
    out.reserve(kept.size() + extra.size())
    while i < kept.size() or j < extra.size():
        if j >= extra.size() or (i < kept.size() and kept[i] < extra[j]):
            out.push_back(kept[i])
            out.push_back(kept[i + 1])
            i += 2
        else:
            if i < kept.size() and kept[i] == extra[j]:
                i += 2  # the same line in both
            out.push_back(extra[j])
            out.push_back(extra[j + 1])
            j += 2
    kept.swap(out)


def scan(
    bytes block not None, tuple groups not None, bytes escapes not None, bint slash,
    bint packed=False, tuple folds=None, Py_ssize_t start=0, Py_ssize_t end=-1,
    tuple scope=None,
):
    """``(spans, lines)``: the ``(start, end)`` of each line of ``block``
    (lines end at LF) that might match or is not framed as a JSON object
    (so it is decoded and reported), in order, and the number of lines
    (LF count + 1).  ``groups``: tuples of ``bytes`` literals; ``escapes``:
    65,536 bytes, non-zero at ``first * 256 + second`` for the two hex digit
    characters of an escape to keep.  ``packed``: the spans as one bytes
    object of native 64-bit start, end pairs (``_fields`` reads them without
    a tuple per line).  ``folds``: for each group a tuple of flags, true for
    a literal (in lower case) to find in any ASCII case.  ``start``, ``end``
    (-1: the end of ``block``): scan only ``block[start:end]``, as if it
    were the block (the spans still count from the start of ``block``).
    ``scope``: None, or ``(keys, key_escapes, key_slash)``: ``keys`` has,
    for each group, None or for each of its literals a tuple of the names
    (``bytes``) of the top-level keys whose values its hits must lie in
    (empty: anywhere); a line holding a ``\\u00XX`` escape that
    ``key_escapes`` (65,536 bytes, as ``escapes``) marks, or ``\\/`` when
    ``key_slash``, needs only a hit anywhere (it may spell a key)."""
    cdef vector[Needle] needles
    cdef vector[cqm_pat] keys
    cdef object scope_keys = None
    cdef const unsigned char* key_table = NULL
    cdef bint key_slash = False
    cdef vector[size_t] kept  # start, end pairs
    cdef const char* data = PyBytes_AS_STRING(block)
    cdef size_t n = <size_t>PyBytes_GET_SIZE(block), lines, k
    cdef const unsigned char* table
    cdef int ngroups
    if end < 0:
        end = <Py_ssize_t>n
    if not 0 <= start <= end <= <Py_ssize_t>n:
        raise ValueError(f"range {start}:{end} outside a block of {n} bytes")
    if len(escapes) != 65536:
        raise ValueError("escapes must be a 65,536-byte table")
    table = <const unsigned char*>PyBytes_AS_STRING(escapes)
    if scope is not None:
        if len(scope) != 3 or type(scope[1]) is not bytes or len(scope[1]) != 65536:
            raise ValueError("scope must be (keys, key_escapes, key_slash), a 65,536-byte table")
        scope_keys = scope[0]
        key_table = <const unsigned char*>PyBytes_AS_STRING(scope[1])
        key_slash = bool(scope[2])
    global _last_groups, _last_folds, _last_scope, _last_ngroups, _last_needles, _last_keys
    if groups is _last_groups and folds is _last_folds and scope_keys is _last_scope:
        needles = _last_needles  # (a copy: the cache may change once the GIL is released)
        keys = _last_keys
        ngroups = _last_ngroups
    else:
        ngroups = make_needles(groups, folds, needles, scope_keys, keys)
        _last_needles = needles
        _last_keys = keys
        _last_groups, _last_folds, _last_scope, _last_ngroups = groups, folds, scope_keys, ngroups
    data += start
    n = <size_t>(end - start)
    with nogil:
        lines = scan_block(
            data, n, needles, ngroups, table, slash, kept, keys.data(), key_table, key_slash
        )
        if start:
            for k in range(kept.size()):
                kept[k] += <size_t>start
    if lines == 0:
        raise MemoryError()
    if packed:
        return PyBytes_FromStringAndSize(<const char*>kept.data(), kept.size() * sizeof(size_t)), lines
    spans = [(kept[k], kept[k + 1]) for k in range(0, kept.size(), 2)]
    return spans, lines


def join_lines(bytes block not None, list spans not None):
    """``(data, ascii)``: the lines of ``block`` at ``spans`` joined by LF,
    each without a trailing CR, and whether ``data`` is all ASCII."""
    cdef const char* src = PyBytes_AS_STRING(block)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(block)
    cdef Py_ssize_t total = 0, start, end, at = 0, i
    cdef bytes out
    cdef char* dst
    cdef unsigned char bits = 0
    for span in spans:
        start, end = span
        if not 0 <= start <= end <= size:
            raise ValueError(f"span {span!r} outside the block")
        total += end - start + 1
    out = PyBytes_FromStringAndSize(NULL, max(total - 1, 0))
    dst = PyBytes_AS_STRING(out)
    for span in spans:
        start, end = span
        if end > start and src[end - 1] == 13:
            end -= 1
        if at:
            dst[at] = 10
            at += 1
        memcpy(dst + at, src + start, end - start)
        for i in range(start, end):
            bits |= <unsigned char>src[i]
        at += end - start
    if at != total - 1 and total:
        out = out[:at]  # (some lines lost their CR)
    return out, bits < 128


def gather(list rows not None, tuple own not None, tuple fallback not None, object unset):
    """One list per field: ``getattr(row, own[k])`` for each row, or
    ``getattr(row, fallback[k])`` when that is ``unset`` and a fallback is
    named, with ``unset`` replaced by None."""
    cdef Py_ssize_t nfields = len(own), k, r, n = len(rows)
    cdef list columns = []
    cdef list column
    cdef object value, row, name, backup
    for k in range(nfields):
        name = own[k]
        backup = fallback[k]
        column = [None] * n
        for r in range(n):
            row = rows[r]
            value = getattr(row, name)
            if value is unset:
                if backup is None:
                    continue
                value = getattr(row, backup)
                if value is unset:
                    continue
            column[r] = value
        columns.append(column)
    return tuple(columns)


def utf8_valid(bytes data not None) -> bool:
    """Whether ``data.decode("utf-8")`` would succeed, without making the str."""
    cdef const unsigned char* s = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef size_t n = <size_t>PyBytes_GET_SIZE(data)
    cdef bint ok
    with nogil:
        ok = cm_utf8_valid(s, n) != 0
    return ok
