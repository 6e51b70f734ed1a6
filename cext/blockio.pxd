# cython: language_level=3
"""The table of contents of ``cqlmatch._blockio`` (bodies in ``blockio.pyx``):
blocks of whole lines read from a file descriptor with one copy.

Its one entry point is Python-level (not declarable here):
``pread_lines(fd, offset, size, last) -> (block, used)``.  Declared here:
the C it calls."""

from cpython.ref cimport PyObject
from posix.types cimport off_t


# A block is read straight into a new bytes object, then shortened in place.
cdef extern from "Python.h":
    PyObject* PyBytes_FromStringAndSize(const char* v, Py_ssize_t size) except NULL
    char* PyBytes_AS_STRING(PyObject* o)
    int _PyBytes_Resize(PyObject** b, Py_ssize_t newsize) except -1
    ctypedef struct PyVarObject:
        pass
    void Py_SET_SIZE(PyVarObject* o, Py_ssize_t size)
    void _release "Py_DECREF"(PyObject* o)


cdef extern from "<unistd.h>" nogil:
    ssize_t pread(int fd, void* buf, size_t count, off_t offset)


cdef extern from "<string.h>" nogil:
    void* memrchr(const void* s, int c, size_t n)  # the block's last LF


cdef extern from "<errno.h>" nogil:
    int errno
    int EINTR
