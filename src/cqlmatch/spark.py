"""cqlmatch on Spark: ``cqlmatch.spark.run(spark, query_or_pack, paths)``
and a pack's hits as a DataFrame, ``cqlmatch.spark.hits(spark, pack,
paths)`` (``pip install cqlmatch[spark]``; ``cqlmatch.scale.spark``)."""

from .scale.spark import hits, run

__all__ = ["hits", "run"]
