"""`coderportal`, the user command line (Coder's command names and flags), stdlib-only and
Django-free so the portal can serve it as one file (`/bin/coderportal`) that runs on any
python3 >= 3.9. `main` parses and dispatches; each module owns one command group."""
