"""`python -m provisioner.coder_provider`: run the provider as a Terraform plugin.

Terraform starts this (through the mirror's launcher script) and reads the go-plugin
handshake line from stdout, so nothing else may be printed there.

`python -m provisioner.coder_provider --reattach SOCKET` instead serves one job's
Terraform commands through TF_REATTACH_PROVIDERS (see server.serve_reattach)."""

import sys

from .server import serve, serve_reattach

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--reattach":
        raise SystemExit(serve_reattach(sys.argv[2]))
    raise SystemExit(serve())
