"""``python -m console``: the same as the ``support-console`` command."""

import sys

from console.cli import main

sys.exit(main())
