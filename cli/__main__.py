"""`python -m cli ...` (the zipapp calls `cli.main:main` the same way)."""
import sys

from .main import main

sys.exit(main())
