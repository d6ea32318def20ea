"""``python -m werk.cli``, the same as the ``werk`` command."""

import sys

from werk.cli import main

sys.exit(main())
