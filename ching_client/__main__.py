"""``python -m ching_client``: the command line (see ``ching_client._cli.main``)."""

import sys

from ._cli.main import main

if __name__ == "__main__":
    sys.exit(main())
