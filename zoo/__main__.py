"""`python -m zoo` does what the `zoo` console script does."""

import sys

from zoo.cli import main

if __name__ == "__main__":
    sys.exit(main())
