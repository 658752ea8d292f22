"""``python -m coursework``: the command line (see :mod:`coursework.cli`)."""

import sys

from coursework.cli import main

sys.exit(main())
