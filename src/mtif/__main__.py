"""``python -m mtif`` (and ``torchrun -m mtif``) runs the command line."""

import sys

from mtif.cli.main import main

sys.exit(main())
