"""cqlmatch inside other programs' processes (log shippers): the top layer,
above the runtime and packs it drives."""
