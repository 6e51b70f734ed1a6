"""The output columns a query names, in its order.

``select([b, a])`` and ``table([b, a])`` list the columns of their output,
and LogScale shows them in that order whatever the data: an event lacking
``b`` still has a ``b`` column, empty.  The rows (dicts) cannot say so when
the first one lacks a field, so the writers of CSV and tables ask here.
Later stages that keep the columns (filters, ``sort``, ``head``, fields
added by assignments) keep the list, the added fields coming after it; a
stage that may remove, rename or regroup fields ends it.
"""

from __future__ import annotations

from ..syntax import ast as A
from .checked import Checked

# stages after select()/table() that keep its columns
_KEEPING_STAGES = frozenset({"sort", "head", "tail"})
# per-event functions that remove or rename fields
_REMOVING = frozenset({"drop", "rename", "lowercase", "split", "array:drop", "select"})


def declared_columns(checked: Checked) -> tuple[str, ...]:
    """The columns the last ``select()`` or ``table()`` names, when the
    stages after it keep them; else ``()`` (the rows decide)."""
    columns: tuple[str, ...] = ()
    for stage in checked.tree.stages:
        binding = checked.bindings.get(id(stage))
        name = binding.spec.name if binding is not None else None
        if name in ("select", "table"):
            columns = tuple(dict.fromkeys(binding.get("fields")))
        elif not columns:
            continue
        elif isinstance(stage, A.Case | A.MatchStmt | A.Array):
            columns = ()
        elif binding is None:
            continue  # a filter or an assignment
        elif binding.spec.kind in ("aggregate", "stage"):
            if name not in _KEEPING_STAGES:
                columns = ()
        elif name in _REMOVING:
            columns = ()
    return columns
