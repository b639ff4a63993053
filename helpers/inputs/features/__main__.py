"""``python -m helpers.inputs.features``: see :mod:`helpers.inputs.features.command`."""

import sys

from ... import cli
from .command import main

if __name__ == "__main__":
    sys.exit(cli.run(main))
