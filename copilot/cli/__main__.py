"""`python -m copilot.cli`: the same as the `copilot` command."""

import sys

from copilot.cli.main import main

sys.exit(main())
