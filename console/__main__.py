"""``python -m console``: the same as the ``support-console`` command."""

import sys

from console.cli.command import main

sys.exit(main())
