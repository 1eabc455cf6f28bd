"""Entry point of the bundled app: the same command line as ``support-console``."""

import sys

from console.cli.command import main

if __name__ == "__main__":
    sys.exit(main())
