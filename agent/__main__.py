"""`python -m agent ...` (the zipapp calls `agent.main:main` the same way)."""
import sys

from agent.main import main

sys.exit(main())
