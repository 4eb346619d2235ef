"""The entry point of the PyInstaller bundle: the same ``main`` as the ``fluxdesk`` console script."""

import sys

from fluxdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
