# Included by vm.pyx (one C unit with it): numbers and IPv4 networks.
#
# The C fast paths of TEST_NUM (numeric text read without making a Python
# number when a double is exact) and TEST_CIDR (dotted-quad text against the
# program's networks, prepared once by ``_build_cidrs``).

#: Longest numeric text the C fast path of TEST_NUM reads itself.
cdef enum:
    _FAST_NUMBER_MAX = 64
    # Integers of at most this many digits are exact doubles.
    _EXACT_INT_DIGITS = 15


cdef inline bint _digit(char c) noexcept nogil:
    return b"0"[0] <= c <= b"9"[0]


cdef int _ascii_number(object value, double* out) except -2:
    """Read a numeric str the way ``values.parse_number`` does, for the cases
    where a double is exact: 1 with *out set (a decimal with a fraction or
    exponent, or an integer of at most 15 digits), 0 when the value is not a
    number, -1 when ``parse_number`` itself must decide (non-ASCII text,
    long text, long integers)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(value)
    cdef Py_ssize_t i = 0, digits = 0, frac = 0, exp_digits = 0
    cdef const char* s
    cdef bint integral = True
    cdef double result
    if n == 0:
        return 0
    if n > _FAST_NUMBER_MAX or not PyUnicode_IS_ASCII(<PyObject*>value):
        return -1
    s = <const char*>PyUnicode_DATA(value)
    if s[i] == b"+"[0] or s[i] == b"-"[0]:
        i += 1
    while i < n and _digit(s[i]):
        i += 1
        digits += 1
    if i < n and s[i] == b"."[0]:
        integral = False
        i += 1
        while i < n and _digit(s[i]):
            i += 1
            frac += 1
    if digits == 0 and frac == 0:
        return 0
    if i < n and (s[i] == b"e"[0] or s[i] == b"E"[0]):
        integral = False
        i += 1
        if i < n and (s[i] == b"+"[0] or s[i] == b"-"[0]):
            i += 1
        while i < n and _digit(s[i]):
            i += 1
            exp_digits += 1
        if exp_digits == 0:
            return 0
    if i != n:
        return 0
    if integral and digits > _EXACT_INT_DIGITS:
        return -1
    # The text is NUL-terminated (CPython keeps str data so) and valid: the
    # locale-independent, correctly rounded reader float() itself uses.
    result = PyOS_string_to_double(s, NULL, NULL)
    if not isfinite(result):
        return 0  # parse_number: an overflowing float is not a number
    out[0] = result
    return 1


cdef inline bint _ascii_space(char c) noexcept nogil:
    """The ASCII characters str.strip() removes."""
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef int _ipv4(const char* s, Py_ssize_t n, uint32_t* out) noexcept nogil:
    """Parse dotted-quad IPv4 text as Python's ipaddress does (four decimal
    octets of one to three digits, no leading zero, at most 255): 1 and
    *out, or 0 when the text is not an IPv4 address."""
    cdef Py_ssize_t i = 0, start
    cdef int part, digits
    cdef uint32_t value = 0, octet
    for part in range(4):
        start = i
        octet = 0
        digits = 0
        while i < n and _digit(s[i]):
            octet = octet * 10 + <uint32_t>(s[i] - 48)
            i += 1
            digits += 1
            if digits > 3:
                return 0
        if digits == 0 or octet > 255 or (digits > 1 and s[start] == 48):
            return 0
        value = (value << 8) | octet
        if part < 3:
            if i >= n or s[i] != 46:
                return 0
            i += 1
    if i != n:
        return 0
    out[0] = value
    return 1


cdef int _build_cidrs(Machine m) except -1:
    """For every TEST_CIDR constant (text ``a.b.c.d/len,...``; the compiler
    writes only valid IPv4 networks): at ``cidr_start[const]`` in
    ``cidr_words`` the number of networks, then (network, mask) pairs."""
    cdef Py_ssize_t pc = 0, c
    cdef uint32_t address, mask
    cdef int length
    cdef bytes part
    m.cidr_start.resize(len(m.consts) + 1, -1)
    while pc < m.ncode:
        if m.code[pc] == TEST_CIDR:
            c = m.code[pc + 2]
            if m.cidr_start[c] < 0:
                m.cidr_start[c] = m.cidr_words.size()
                text = <str>m.consts[c]
                items = text.split(",") if text else []
                m.cidr_words.push_back(len(items))
                for item in items:
                    address_text, _, length_text = item.partition("/")
                    part = address_text.encode("ascii")
                    length = int(length_text)
                    if not 0 <= length <= 32 or not _ipv4(part, len(part), &address):
                        raise ValueError(f"code offset {pc}: {item!r} is not an IPv4 network")
                    mask = 0 if length == 0 else (<uint32_t>0xFFFFFFFF) << (32 - length)
                    m.cidr_words.push_back(address & mask)
                    m.cidr_words.push_back(mask)
        pc += OP_WIDTHS[m.code[pc]]
    return 0


cdef int _test_cidr(Machine m, object value, int c) except -1:
    """cidr() with IPv4 subnets (builtins/filters.py ``in_subnets``):
    ASCII text after str.strip() parsed as ipaddress does; other text
    goes to ``in_subnets`` itself."""
    cdef const char* s
    cdef Py_ssize_t lo = 0, hi
    cdef uint32_t address
    cdef Py_ssize_t k, end
    if not PyUnicode_IS_ASCII(<PyObject*>value):
        return bool(m._in_subnets(value, tuple((<str>m.consts[c]).split(","))))
    s = <const char*>PyUnicode_DATA(value)
    hi = PyUnicode_GET_LENGTH(value)
    while lo < hi and _ascii_space(s[lo]):
        lo += 1
    while hi > lo and _ascii_space(s[hi - 1]):
        hi -= 1
    if not _ipv4(s + lo, hi - lo, &address):
        return False  # not IPv4: in no IPv4 subnet (IPv6 or not an address)
    k = m.cidr_start[c]
    end = k + 1 + 2 * <Py_ssize_t>m.cidr_words[k]
    k += 1
    while k < end:
        if (address & m.cidr_words[k + 1]) == m.cidr_words[k]:
            return True
        k += 2
    return False


cdef int _test_num(Machine m, object value, int op, int n) except -1:
    """parse_number(value) <op> numbers[n], as the reference compares."""
    cdef double x, y
    cdef int fast = _ascii_number(value, &x)
    if fast == 0:
        return False
    if fast == 1 and m.number_is_float[n]:
        y = m.number_values[n]
        if op == NUM_LT:
            return x < y
        if op == NUM_LE:
            return x <= y
        if op == NUM_GT:
            return x > y
        return x >= y
    left = m._parse_number(value)
    if left is None:
        return False
    return PyObject_RichCompareBool(
        left, <object>PyTuple_GET_ITEM(m.numbers, n), _rich_op(op)
    )


cdef inline int _rich_op(int op) noexcept:
    if op == NUM_LT:
        return Py_LT
    if op == NUM_LE:
        return Py_LE
    if op == NUM_GT:
        return Py_GT
    return Py_GE
