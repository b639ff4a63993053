"""``python -m helpers.data``: check, download or synthesise a dataset (see :mod:`helpers.data.tracks`)."""

import sys

from .. import cli
from .tracks import main

sys.exit(cli.run(main))
