# Included by vm.pyx (one C unit with it): the per-event code.
#
# ``_check_code`` verifies a program's code once, so that ``_exec``, the
# dispatch loop, runs it without checks; ``_run_events`` runs it over a list
# of events.


cdef int _check_code(Machine m) except -1:
    """Reject code the loop could misread: it then runs without checks.
    (C arrays, not a set of offsets: the Sigma pack's linked program of
    about 90,000 words took 40M instructions to check with one.)"""
    cdef Py_ssize_t pc = 0, k, width, operand, last = -1, t
    cdef int op, kind
    cdef vector[char] starts
    cdef vector[Py_ssize_t] targets  # (offset, target) pairs, flattened
    cdef Py_ssize_t nfields = len(m.names), nconsts = len(m.consts)
    cdef Py_ssize_t nvalue_sets = len(m.value_sets), nnumbers = len(m.numbers)
    cdef Py_ssize_t nsets = m.sets.size()
    starts.assign(m.ncode + 1, 0)
    while pc < m.ncode:
        op = m.code[pc]
        if not 0 <= op < OP_COUNT:
            raise ValueError(f"code offset {pc}: unknown opcode {op}")
        width = OP_WIDTHS[op]
        if pc + width > m.ncode:
            raise ValueError(f"code offset {pc}: instruction runs past the end")
        starts[pc] = 1
        for k in range(width - 1):
            kind = OP_KINDS[op * MAX_OPERANDS + k]
            operand = m.code[pc + 1 + k]
            if kind == KIND_SLOT:
                _check_range(pc, "slot", operand, nfields)
            elif kind == KIND_CONST:
                _check_range(pc, "constant", operand, nconsts)
                if (
                    op == TEST_EQ_CI or op == TEST_PREFIX_CI or op == TEST_SUFFIX_CI
                    or op == TEST_CONTAINS_CI
                ) and <object>PyTuple_GET_ITEM(m.folded, operand) is None:
                    raise ValueError(
                        f"code offset {pc}: constant {operand} of a caseless test is not ASCII"
                    )
            elif kind == KIND_STRSET:
                _check_range(pc, "string set", operand, nvalue_sets)
            elif kind == KIND_NUMBER:
                _check_range(pc, "number", operand, nnumbers)
            elif kind == KIND_SET:
                _check_range(pc, "regex set", operand, nsets)
            elif kind == KIND_BIT:
                _check_range(pc, "pattern", operand, m.set_sizes[m.code[pc + k]])
            elif kind == KIND_OP:
                _check_range(pc, "comparison", operand, 4)
            elif kind == KIND_NODE:
                _check_range(pc, "node", operand, 1 << 30)  # nodes: checked by slow
            elif kind == KIND_TARGET:
                targets.push_back(pc)
                targets.push_back(operand)
        last = pc
        pc += width
    if last < 0 or m.code[last] not in (ACCEPT, REJECT, JUMP):
        raise ValueError("the code does not end in ACCEPT, REJECT or JUMP")
    for t in range(0, <Py_ssize_t>targets.size(), 2):
        operand = targets[t + 1]
        if not 0 <= operand < m.ncode or not starts[operand]:
            raise ValueError(
                f"code offset {targets[t]}: jump target {operand} is not an instruction"
            )
    if not 0 <= m.entry < m.ncode or not starts[m.entry]:
        raise ValueError(f"rule entry {m.entry} is not an instruction")
    return 0


cdef int _run_events(Machine m, list items, list out, GroupTable table) except -1:
    """The per-event code over ``items``: emitted events to ``out``, or
    into ``table`` when one is given."""
    cdef _Ctx c = _Ctx(m.nslots)
    cdef Py_ssize_t i
    try:
        for i in range(PyList_GET_SIZE(items)):
            c.adopt(<object>PyList_GET_ITEM(items, i))
            _exec(m, m.entry, c, False, out, table)
            c.reset_stack()
    finally:
        _forget(m)
    return 0


cdef int _exec(
    Machine m, Py_ssize_t pc, _Ctx c, bint flag, list out, GroupTable table
) except -1:
    """Run from ``pc`` until ACCEPT or REJECT."""
    cdef const int* code = m.code
    cdef PyObject* value
    cdef object result, passed
    cdef list outs
    cdef _Ctx other
    cdef Py_ssize_t i, n
    cdef int op
    cdef bint write
    while True:
        op = code[pc]
        if op == TEST_EQ:
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and _str_eq(
                <object>value, <object>PyTuple_GET_ITEM(m.consts, code[pc + 2])
            )
            pc += 3
        elif op == JUMP_IF_FALSE:
            pc = code[pc + 1] if not flag else pc + 2
        elif op == JUMP_IF_TRUE:
            pc = code[pc + 1] if flag else pc + 2
        elif op == JUMP:
            pc = code[pc + 1]
        elif op == TEST_REGEX:
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and _regex_bit(m, <object>value, code[pc + 2], code[pc + 3])
            pc += 4
        elif op == TEST_EXISTS:
            flag = _get(m, c, code[pc + 1]) != NULL
            pc += 2
        elif op == TEST_PREFIX or op == TEST_SUFFIX or op == TEST_CONTAINS:
            value = _get(m, c, code[pc + 1])
            if value == NULL:
                flag = False
            else:
                result = <object>PyTuple_GET_ITEM(m.consts, code[pc + 2])
                if op == TEST_CONTAINS:
                    flag = PyUnicode_Contains(<object>value, result) == 1
                else:
                    flag = PyUnicode_Tailmatch(
                        <object>value, result, 0, PyUnicode_GET_LENGTH(<object>value),
                        -1 if op == TEST_PREFIX else 1,
                    ) == 1
            pc += 3
        elif (
            op == TEST_EQ_CI or op == TEST_PREFIX_CI or op == TEST_SUFFIX_CI
            or op == TEST_CONTAINS_CI
        ):
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and _test_caseless(m, c, op, <object>value, code[pc + 2])
            pc += 3
        elif op == TEST_IN:
            value = _get(m, c, code[pc + 1])
            if value == NULL:
                flag = False
            else:
                result = <object>PyTuple_GET_ITEM(m.value_sets, code[pc + 2])
                if code[pc + 3]:
                    flag = (<object>value).casefold() in <frozenset>result
                else:
                    flag = <object>value in <frozenset>result
            pc += 4
        elif op == TEST_CIDR:
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and _test_cidr(m, <object>value, code[pc + 2])
            pc += 3
        elif op == TEST_GLOB:
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and bool(m._glob_match(
                <object>PyTuple_GET_ITEM(m.consts, code[pc + 2]), <object>value
            ))
            pc += 3
        elif op == TEST_NUM:
            value = _get(m, c, code[pc + 1])
            flag = value != NULL and _test_num(m, <object>value, code[pc + 2], code[pc + 3])
            pc += 4
        elif op == TEST_NODE:
            passed = _materialize(m, c)
            result = m._test_node(code[pc + 1], passed)
            if result is None:
                flag = False
            else:
                flag = True
                c.adopt_new(result)
            pc += 2
        elif op == SET_FLAG:
            flag = code[pc + 1] != 0
            pc += 2
        elif op == NOT:
            flag = not flag
            pc += 1
        elif op == ASSIGN_CONST:
            _write(m, c, code[pc + 1], PyTuple_GET_ITEM(m.consts, code[pc + 2]))
            pc += 3
        elif op == DEFAULT:
            value = _get(m, c, code[pc + 1])
            write = value == NULL or (
                code[pc + 3] == 1 and PyUnicode_GET_LENGTH(<object>value) == 0
            )
            if write:
                _write(m, c, code[pc + 1], PyTuple_GET_ITEM(m.consts, code[pc + 2]))
            pc += 4
        elif op == STAGE_NODE:
            result = m._stage_node(code[pc + 1], _materialize(m, c))
            outs = result if type(result) is list else list(result)
            n = PyList_GET_SIZE(outs)
            if n == 0:
                pc = code[pc + 2]
            elif n == 1:
                c.adopt_new(<object>PyList_GET_ITEM(outs, 0))
                pc += 3
            else:
                # each output continues on its own, in order, with its own stack
                for i in range(n):
                    other = c.fork()
                    other.adopt_new(<object>PyList_GET_ITEM(outs, i))
                    _exec(m, pc + 3, other, flag, out, table)
                return 0
        elif op == SAVE:
            c.save()
            pc += 1
        elif op == RESTORE:
            c.restore()
            pc += 1
        elif op == DISCARD:
            c.discard()
            pc += 1
        elif op == ACCEPT:
            c.accepted = True
            if table is not None:
                _add(m, c, table)
            if out is not None:
                out.append(_materialize(m, c))
            return 0
        elif op == REJECT:
            return 0
        elif op == DISPATCH:
            value = _get(m, c, code[pc + 1])
            if value != NULL and _str_eq(
                <object>value, <object>PyTuple_GET_ITEM(m.consts, code[pc + 2])
            ):
                pc = code[pc + 3]
            else:
                pc += 4
        else:  # excluded by _check_code
            raise RuntimeError(f"code offset {pc}: unknown opcode {op}")


cdef inline bint _str_eq(object a, object b) noexcept:
    """Exact code-point equality of two str (same length, same storage kind,
    same bytes: CPython keeps every str in its narrowest kind)."""
    cdef Py_ssize_t n
    cdef unsigned int kind
    if a is b:
        return True
    n = PyUnicode_GET_LENGTH(a)
    if n != PyUnicode_GET_LENGTH(b):
        return False
    kind = PyUnicode_KIND(a)
    if kind != PyUnicode_KIND(b):
        return False
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), <size_t>n * kind) == 0


cdef int _check_range(Py_ssize_t pc, str what, Py_ssize_t value, Py_ssize_t size) except -1:
    if not 0 <= value < size:
        raise ValueError(f"code offset {pc}: {what} {value} out of range (0..{size - 1})")
    return 0
