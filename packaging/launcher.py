"""Entry point of the bundled app: the same command line as ``support-console``."""

import multiprocessing
import sys

from console.cli.command import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `sla recompute` judges in worker processes, started from this executable
    sys.exit(main())
