"""``python -m cqlmatch``."""

import sys

from .cli import main

sys.exit(main())
