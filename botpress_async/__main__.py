"""``python -m botpress_async``: the ``botpress`` command (call, emulator, demo)."""

import sys

from botpress_async.cli import main

if __name__ == "__main__":
    sys.exit(main())
