"""Running a query or a pack inside a cluster engine (Dask, Spark): the
input's files are parts, each run where the engine puts it into a partial
state (``runtime.partial``), and the states merge in file order into one
pass's rows.  ``parts`` holds what both engines share; ``cqlmatch.dask``
and ``cqlmatch.spark`` are the entry points."""
