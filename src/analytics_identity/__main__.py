"""``python -m analytics_identity``."""

import sys

from .cli import main

sys.exit(main())
