"""cqlmatch on Dask: ``cqlmatch.dask.run(client, query_or_pack, paths)``
(``pip install cqlmatch[dask]``; ``cqlmatch.scale.dask``)."""

from .scale.dask import run

__all__ = ["run"]
