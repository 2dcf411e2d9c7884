"""`python -m sortition`: see sortition.cli."""

import sys

from sortition.cli import main

sys.exit(main())
