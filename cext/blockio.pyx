# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""Blocks of whole lines read from a file descriptor with one copy.

Reading a chunk and slicing off its unfinished last line copies every byte
twice (and the carried piece a third time, joined to the next chunk).  Here
the chunk is read straight into a new bytes object, which is then shortened
to its last line feed (its length lowered, the allocation kept); the
unfinished line is read again with the next chunk (from the page cache: a
few hundred bytes).  Only seekable files
are read this way.
"""

# (Python.h, unistd.h, string.h and errno.h: declared in blockio.pxd.)


DEF SLACK = 1 << 16  # unused tail bytes a block may keep rather than be reallocated


def pread_lines(int fd, long long offset, Py_ssize_t size, bint last):
    """``(block, used)``: the bytes at ``offset`` (at most ``size``) up to
    their last LF, without it, and how many bytes that consumed (LF
    included).  When ``last`` (nothing follows these ``size`` bytes) or the
    file ends early, an unfinished final line is part of the block.  No LF
    in ``size`` bytes otherwise: ``(b"", 0)``, a line longer than ``size``;
    nothing left to read: ``(None, 0)``."""
    cdef PyObject* raw = PyBytes_FromStringAndSize(NULL, size)
    cdef char* data = PyBytes_AS_STRING(raw)
    cdef Py_ssize_t got = 0, keep, used
    cdef ssize_t n = 0
    cdef int error = 0
    cdef const char* nl
    with nogil:
        while got < size:
            n = pread(fd, data + got, <size_t>(size - got), <off_t>(offset + got))
            if n < 0:
                if errno == EINTR:
                    continue
                error = errno
                break
            if n == 0:
                break
            got += n
    if error or got == 0:
        _release(raw)
        if error:
            from os import strerror

            raise OSError(error, strerror(error))
        return None, 0
    if got < size:
        last = True
    nl = <const char*>memrchr(data, 10, <size_t>got)
    if last:
        keep = got - 1 if nl != NULL and nl - data == got - 1 else got
        used = got
    elif nl == NULL:
        _release(raw)
        return b"", 0
    else:
        keep = nl - data
        used = keep + 1
    if size - keep <= SLACK:
        # Shortened without a realloc: every block then frees an allocation
        # of the same size, which the next block takes again.  (Shrinking
        # each one left holes just too small for the next, and the heap
        # grew by about 50 MB per 600 blocks.)
        Py_SET_SIZE(<PyVarObject*>raw, keep)
        data[keep] = 0
    else:
        _PyBytes_Resize(&raw, keep)  # in place: raw is referenced only here
    block = <object>raw
    _release(raw)
    return block, used
