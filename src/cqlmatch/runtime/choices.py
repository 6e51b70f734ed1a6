"""The values of options that several entry points offer (the CLI lists
them without loading the runtime)."""

ENGINES = ("vm", "reference")  # the first is the default
ON_ERROR = ("skip", "fail")  # the first is the default
