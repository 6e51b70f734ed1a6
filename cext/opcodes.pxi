# Generated from src/cqlmatch/bytecode/opcodes.py by tools/gen_opcodes.py: do not edit.
# Regenerate with: python tools/gen_opcodes.py

# Opcodes: one code word, then its operands (kinds as in opcodes.py).
cdef enum Op:
    TEST_EXISTS = 0  # slot
    TEST_EQ = 1  # slot, const
    TEST_PREFIX = 2  # slot, const
    TEST_SUFFIX = 3  # slot, const
    TEST_CONTAINS = 4  # slot, const
    TEST_GLOB = 5  # slot, const
    TEST_REGEX = 6  # slot, set, bit
    TEST_NUM = 7  # slot, op, number
    TEST_CIDR = 8  # slot, const
    TEST_IN = 9  # slot, strset, value
    TEST_NODE = 10  # node
    SET_FLAG = 11  # value
    NOT = 12  # -
    JUMP = 13  # target
    JUMP_IF_FALSE = 14  # target
    JUMP_IF_TRUE = 15  # target
    DISPATCH = 16  # slot, const, target
    ASSIGN_CONST = 17  # slot, const
    DEFAULT = 18  # slot, const, value
    STAGE_NODE = 19  # node, target
    SAVE = 20  # -
    RESTORE = 21  # -
    DISCARD = 22  # -
    ACCEPT = 23  # -
    REJECT = 24  # -
    TEST_EQ_CI = 25  # slot, const
    TEST_PREFIX_CI = 26  # slot, const
    TEST_SUFFIX_CI = 27  # slot, const
    TEST_CONTAINS_CI = 28  # slot, const

# Facts about the table the VM checks programs against.
cdef enum:
    OP_COUNT = 29
    MAX_WIDTH = 4

# TEST_NUM comparisons (the ``op`` operand), in NUM_OPS order.
cdef enum NumOp:
    NUM_LT = 0  # <
    NUM_LE = 1  # <=
    NUM_GT = 2  # >
    NUM_GE = 3  # >=

# Code words each instruction takes (opcode plus operands), by opcode.
cdef int[29] OP_WIDTHS
OP_WIDTHS[:] = [2, 3, 3, 3, 3, 3, 4, 4, 3, 4, 2, 2, 1, 2, 2, 2, 4, 3, 4, 3, 1, 1, 1, 1, 1, 3, 3, 3, 3]

# Operand kinds, by opcode (for validating a program before running it).
cdef enum OperandKind:
    KIND_NONE = 0
    KIND_BIT = 1
    KIND_CONST = 2
    KIND_NODE = 3
    KIND_NUMBER = 4
    KIND_OP = 5
    KIND_SET = 6
    KIND_SLOT = 7
    KIND_STRSET = 8
    KIND_TARGET = 9
    KIND_VALUE = 10

# Row op holds its operand kinds at OP_KINDS[op * 3 + k].
cdef enum:
    MAX_OPERANDS = 3
cdef int[87] OP_KINDS
OP_KINDS[:] = [
    KIND_SLOT, KIND_NONE, KIND_NONE,  # TEST_EXISTS
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_EQ
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_PREFIX
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_SUFFIX
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_CONTAINS
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_GLOB
    KIND_SLOT, KIND_SET, KIND_BIT,  # TEST_REGEX
    KIND_SLOT, KIND_OP, KIND_NUMBER,  # TEST_NUM
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_CIDR
    KIND_SLOT, KIND_STRSET, KIND_VALUE,  # TEST_IN
    KIND_NODE, KIND_NONE, KIND_NONE,  # TEST_NODE
    KIND_VALUE, KIND_NONE, KIND_NONE,  # SET_FLAG
    KIND_NONE, KIND_NONE, KIND_NONE,  # NOT
    KIND_TARGET, KIND_NONE, KIND_NONE,  # JUMP
    KIND_TARGET, KIND_NONE, KIND_NONE,  # JUMP_IF_FALSE
    KIND_TARGET, KIND_NONE, KIND_NONE,  # JUMP_IF_TRUE
    KIND_SLOT, KIND_CONST, KIND_TARGET,  # DISPATCH
    KIND_SLOT, KIND_CONST, KIND_NONE,  # ASSIGN_CONST
    KIND_SLOT, KIND_CONST, KIND_VALUE,  # DEFAULT
    KIND_NODE, KIND_TARGET, KIND_NONE,  # STAGE_NODE
    KIND_NONE, KIND_NONE, KIND_NONE,  # SAVE
    KIND_NONE, KIND_NONE, KIND_NONE,  # RESTORE
    KIND_NONE, KIND_NONE, KIND_NONE,  # DISCARD
    KIND_NONE, KIND_NONE, KIND_NONE,  # ACCEPT
    KIND_NONE, KIND_NONE, KIND_NONE,  # REJECT
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_EQ_CI
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_PREFIX_CI
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_SUFFIX_CI
    KIND_SLOT, KIND_CONST, KIND_NONE,  # TEST_CONTAINS_CI
]
