import sys

from town.cli import main

sys.exit(main())
