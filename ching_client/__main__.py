"""``python -m ching_client``: the command line (see ``ching_client._cli``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
