"""cli"""

#: The ``pack`` command's one-line help (listed even when its module is not loaded).
PACK_HELP = "run, check, test or build a pack of rules (a YAML manifest or a folder of .cql files)"
