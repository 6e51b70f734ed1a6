"""cqlmatch: CrowdStrike LogScale queries (CQL), compiled and run offline.

The front end is public: ``parse`` turns query text into an immutable syntax
tree, ``format_query`` prints a tree back as canonical CQL, and every query
error is a ``CQLSyntaxError`` carrying a code, a span and a caret excerpt.
"""

from .ast import Pipeline
from .errors import CQLSyntaxError, Span
from .lexer import tokenize
from .parser import parse
from .printer import format_query

__version__ = "0.1.0"

__all__ = ["CQLSyntaxError", "Pipeline", "Span", "__version__", "format_query", "parse", "tokenize"]
