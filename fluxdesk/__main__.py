import sys

from fluxdesk.cli import main

sys.exit(main())
