"""``python -m coursework``: the command line (see :mod:`coursework.cli`)."""

import sys

from coursework._util import skip_iri_checker

skip_iri_checker()  # before the commands import nbformat

from coursework.cli import main  # noqa: E402

sys.exit(main())
