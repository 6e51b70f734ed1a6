# Included by vm.pyx (one C unit with it): the regex sets.
#
# One ``RE2::Set`` per ``Program.regex_sets`` entry, compiled by
# ``_build_sets``.  A set none of whose patterns an ASCII-only value can
# match (``set_high``) answers such a value at once; so does a set whose
# gate (``lang.regex.set_gate``: per pattern, literals one of which every
# match holds) finds none of any pattern's literals in an ASCII value
# (``_gate_open``: a few SSE2 searches instead of an RE2 pass; over the Sigma
# pack's command lines about seven set passes in ten were needless).  Both
# come from ``RegexSetSpec.facts``, worked out when the program is compiled
# (the analysis took 0.1 s for the Sigma pack's sets: too much for a run).
# A set with patterns of both kinds runs only the others on ASCII values
# (``_ready_ascii_set``), and its gate leaves the first kind out.
# ``_regex_bit`` answers TEST_REGEX from the bits of the last value the set
# ran on (compared by identity), else from the per-set memo of values seen
# before, else by running the set (``_set_bits``).

cdef enum:
    # The per-set memo of results keeps values of at most this many
    # characters, and at most this many of them (then it starts again).
    MEMO_MAX_CHARS = 2048
    MEMO_MAX_VALUES = 8192
    # Matches over shorter values keep the GIL.
    NOGIL_MIN_BYTES = 512


cdef int _build_sets(Machine m, bint lazy, bint parse) except -1:
    """One RE2::Set per regex set, each pattern added (RE2 parses it: a
    pattern it rejects is a ValueError here); compiled now, or, ``lazy``,
    when first run (``_ready_set``): a pack's linked program holds hundreds
    of sets, most of which a run never needs (the 345 of the Sigma pack took
    about 70 ms to compile).  (Each rule's own sets were compiled within
    RE2's budget when the rule was: E231.)  ``parse`` false (with ``lazy``):
    the patterns too are added when the set first runs, for sets compiled
    once already (a built pack's: parsing the Sigma pack's 873 patterns,
    290 KB, took about 25 ms of its start, and a run needs a few dozen)."""
    cdef Py_ssize_t offset = 0
    m.set_keys = []
    m.set_memos = []
    m.set_gates = []
    for s, spec in enumerate(m.program.regex_sets):
        if not 0 <= spec.slot < len(m.names):
            raise ValueError(f"regex set {s} reads slot {spec.slot}, which does not exist")
        m.sets.push_back(_new_set())  # freed by __dealloc__
        m.set_added.push_back(0)
        if parse or not lazy:
            _add_patterns(m, s)
        m.set_sizes.push_back(len(spec.patterns))
        m.set_offsets.push_back(offset)
        offset += len(spec.patterns)
        m.set_keys.append(None)
        m.set_memos.append({})
        m.set_gates.append(None)
        m.set_ready.push_back(0)
        m.set_high.push_back(0)
        m.ascii_sets.push_back(NULL)
        m.ascii_bits.push_back(vector[int]())
        if not lazy:
            _ready_set(m, s, ValueError)
    m.set_bits.resize(offset, 0)
    return 0


cdef RE2Set* _new_set():
    """An empty RE2::Set within RE2's memory budget, whose errors become
    exceptions rather than lines on stderr."""
    cdef RE2.Options options
    options.set_max_mem(REGEX_MAX_MEM)
    options.set_log_errors(False)
    return new RE2Set(options, UNANCHORED)


cdef Py_ssize_t _add_all(RE2Set* rset, object patterns, string* error) except -2:
    """Add ``patterns`` (str) to ``rset`` in order: -1 when every one is
    added, else the number of the first RE2 rejects (why in ``error``)."""
    cdef bytes raw
    for n, pattern in enumerate(patterns):
        raw = pattern.encode("utf-8")
        error.clear()
        if rset.Add(StringPiece(raw, len(raw)), error) != n:
            return n
    return -1


cdef int _add_patterns(Machine m, int s) except -1:
    """Add set ``s``'s patterns to its RE2::Set (a ValueError names one RE2
    rejects)."""
    cdef string error
    spec = m.program.regex_sets[s]
    cdef Py_ssize_t bad = _add_all(m.sets[s], spec.patterns, &error)
    if bad >= 0:
        raise ValueError(
            f"regex set {s} (field {m.names[spec.slot]}): RE2 rejected "
            f"/{spec.patterns[bad]}/: {error.decode('utf-8', 'replace')}"
        )
    m.set_added[s] = 1
    return 0


cdef int _ready_set(Machine m, int s, object error) except -1:
    """Compile set ``s`` (its patterns added first if ``_build_sets`` did
    not) and note whether an ASCII value can match it; RE2
    running out of its memory budget raises ``error``."""
    spec = m.program.regex_sets[s]
    if not m.set_added[s]:
        _add_patterns(m, s)
    if not m.sets[s].Compile():
        raise error(
            f"regex set {s} (field {m.names[spec.slot]}): RE2 could not compile "
            f"its {len(spec.patterns)} patterns within max_mem={REGEX_MAX_MEM} bytes "
            "(out of memory)"
        )
    facts = spec.facts
    if len(facts) == len(spec.patterns):  # worked out when the program was compiled
        high = [f.high for f in facts]
        # (a gate is for ASCII values, which no pattern needing more can match)
        m.set_gates[s] = set_gate(
            None if f.literals is None else (f.caseless, f.literals) for f in facts if not f.high
        )
    else:  # (a program from before: no gate, rather than an analysis here)
        high = [needs_non_ascii(p) for p in spec.patterns]
    m.set_high[s] = all(high)
    if any(high) and not all(high):
        _ready_ascii_set(m, s, [bit for bit, h in enumerate(high) if not h])
    m.set_ready[s] = 1
    return 0


cdef int _ready_ascii_set(Machine m, int s, list bits) except -1:
    """Give set ``s`` a second RE2::Set of its patterns ``bits``, the ones
    an ASCII value can match, to run on ASCII values.  The others (Sigma's
    lists of emoji and look-alike letters, thousands of alternatives) made
    RE2 build its DFA states slowly: over 18,559 ASCII command lines, 15.8
    us a value at first and 1.4 us after 18,000, against 1.1 us without
    them.  Left without one (the whole set runs) if RE2 will not compile it."""
    cdef RE2Set* rset = _new_set()
    cdef string error
    patterns = m.program.regex_sets[s].patterns
    if _add_all(rset, [patterns[bit] for bit in bits], &error) >= 0:
        del rset  # (the whole set took it: not expected)
        return 0
    if not rset.Compile():
        del rset
        return 0
    m.ascii_sets[s] = rset
    for bit in bits:
        m.ascii_bits[s].push_back(bit)
    m.ascii_subsets += 1
    return 0


cdef bint _gate_open(Machine m, object value, int s) except -1:
    """Whether set ``s`` must run on ``value``: False only when ``value``
    is ASCII and holds none of the literals of any pattern of the set's
    gate (each looked for as written, or in the value lowered)."""
    cdef object gate = <object>PyList_GET_ITEM(m.set_gates, s)
    cdef Py_ssize_t n, k, j
    cdef int folded = -1  # the text holds: -1 nothing yet, 0 the value, 1 it lowered
    cdef object literals, literal
    cdef bint caseless
    cdef const unsigned char* data
    cdef unsigned char* text
    if gate is None or not PyUnicode_IS_ASCII(<PyObject*>value):
        return True
    n = PyUnicode_GET_LENGTH(value)
    data = <const unsigned char*>PyUnicode_DATA(value)
    for k in range(PyTuple_GET_SIZE(gate)):
        caseless = <object>PyTuple_GET_ITEM(<object>PyTuple_GET_ITEM(gate, k), 0) is True
        literals = <object>PyTuple_GET_ITEM(<object>PyTuple_GET_ITEM(gate, k), 1)
        for j in range(PyTuple_GET_SIZE(literals)):
            literal = <object>PyTuple_GET_ITEM(literals, j)
            if folded != caseless:
                # (cqm_find reads past the end: FOLD_PAD bytes no literal holds)
                m.gate_text.resize(n + FOLD_PAD)
                text = m.gate_text.data()
                if caseless:
                    cqm_fold_latin1(text, data, n)
                else:
                    memcpy(text, data, n)
                memset(text + n, FOLD_OTHER, FOLD_PAD)
                folded = caseless
            if cqm_find(m.gate_text.data(), n,
                        <const unsigned char*>PyBytes_AS_STRING(literal),
                        PyBytes_GET_SIZE(literal)) >= 0:
                return True
    return False


cdef int _regex_bit(Machine m, object value, int s, int bit) except -1:
    cdef dict memo
    cdef PyObject* known
    if not m.set_ready[s]:
        _ready_set(m, s, MemoryError)
    if m.set_high[s] and PyUnicode_IS_ASCII(<PyObject*>value):
        # Every pattern of the set needs a character an ASCII value lacks
        # (emoji, Cyrillic, typographic dashes in Sigma rules): no RE2 call.
        # (Such a value never becomes set_keys[s]: the bits stay another's.)
        return 0
    if <object>PyList_GET_ITEM(m.set_keys, s) is not value:
        # Field values repeat (file names, event types): a value seen
        # before takes its bits from the memo instead of RE2.
        memo = <dict>PyList_GET_ITEM(m.set_memos, s)
        known = _dict_lookup(<PyObject*>memo, <PyObject*>value)
        if known != NULL:
            memcpy(&m.set_bits[m.set_offsets[s]], PyBytes_AS_STRING(<object>known),
                   m.set_sizes[s])
            m.set_keys[s] = value
            m.keys_held = True
        else:
            if _gate_open(m, value, s):
                _set_bits(m, value, s)
            else:  # no pattern can match: the bits RE2 would give
                memset(&m.set_bits[m.set_offsets[s]], 0, m.set_sizes[s])
                m.set_keys[s] = value
                m.keys_held = True
                m.regex_gated += 1
            if PyUnicode_GET_LENGTH(value) <= MEMO_MAX_CHARS:
                if PyDict_GET_SIZE(memo) >= MEMO_MAX_VALUES:
                    memo.clear()  # bounded: start again rather than grow
                memo[value] = PyBytes_FromStringAndSize(
                    <char*>&m.set_bits[m.set_offsets[s]], m.set_sizes[s]
                )
    return m.set_bits[m.set_offsets[s] + bit]


cdef int _set_bits(Machine m, object value, int s) except -1:
    """Run set ``s`` over ``value`` and cache which patterns matched."""
    cdef RE2Set* rset = m.sets[s]
    cdef vector[int]* bit_of = NULL  # (the ASCII set's: its patterns' bits)
    cdef object text = value
    cdef const char* data
    cdef Py_ssize_t size, k
    cdef vector[int] hits
    cdef SetErrorInfo info
    cdef cbool matched, one
    cdef unsigned char* bits
    _need_str(<PyObject*>value)
    if PyUnicode_IS_ASCII(<PyObject*>value):
        data = <const char*>PyUnicode_DATA(value)  # ASCII is its own UTF-8
        size = PyUnicode_GET_LENGTH(value)
        if m.ascii_sets[s] != NULL:
            rset = m.ascii_sets[s]
            bit_of = &m.ascii_bits[s]
    else:
        data = _utf8(<PyObject*>value, &size)  # cached in the str after the first time
        if data == NULL:
            if not PyErr_ExceptionMatches(<PyObject*>UnicodeEncodeError):
                raise_pending()
            PyErr_Clear()
            # Lone surrogates: matched as U+FFFD, as the reference does.
            text = m._scrub(value)
            data = PyUnicode_AsUTF8AndSize(text, &size)
    info.kind = kNoError
    one = (m.set_sizes[s] if bit_of == NULL else <Py_ssize_t>bit_of.size()) == 1
    # Without an index list RE2 stops at the first match and allocates
    # nothing: most values match nothing, and one pattern needs no list.
    # ``text`` keeps the UTF-8 bytes alive while the GIL is released
    # (for long values only).
    if size < NOGIL_MIN_BYTES:  # releasing the GIL costs more than a short match
        matched = rset.Match(StringPiece(data, <size_t>size), NULL, &info)
        if matched and not one:
            matched = rset.Match(StringPiece(data, <size_t>size), &hits, &info)
    else:
        with nogil:
            matched = rset.Match(StringPiece(data, <size_t>size), NULL, &info)
            if matched and not one:
                matched = rset.Match(StringPiece(data, <size_t>size), &hits, &info)
    m.regex_calls += 1
    if not matched and info.kind != kNoError:
        if info.kind == kOutOfMemory:
            raise MemoryError(
                f"regex set {s} (field {m.names[m.program.regex_sets[s].slot]}): "
                f"RE2 ran out of memory while matching (max_mem={REGEX_MAX_MEM} bytes)"
            )
        raise RuntimeError(f"regex set {s}: RE2::Set::Match failed (error {<int>info.kind})")
    # Bits and key change together, with the GIL held: a thread that
    # sees the key sees its bits.
    bits = &m.set_bits[m.set_offsets[s]]
    memset(bits, 0, m.set_sizes[s])
    if bit_of != NULL:
        if one:
            bits[bit_of[0][0]] = matched
        for k in range(<Py_ssize_t>hits.size()):
            bits[bit_of[0][hits[k]]] = 1
    else:
        if one:
            bits[0] = matched
        for k in range(<Py_ssize_t>hits.size()):
            bits[hits[k]] = 1
    m.set_keys[s] = value
    m.keys_held = True
    return 0


cdef _forget(Machine m):
    """Drop the values the set cache holds (end of a run)."""
    cdef Py_ssize_t s
    if not m.keys_held:
        return
    for s in range(len(m.set_keys)):
        m.set_keys[s] = None
    m.keys_held = False
