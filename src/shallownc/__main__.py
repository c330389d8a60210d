"""``python -m shallownc COMMAND`` is the same as the ``shallownc`` command (shallownc.cli)."""
import sys

from .cli import main

sys.exit(main())
