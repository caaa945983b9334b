"""Serving the coder provider over go-plugin gRPC, in the two ways Terraform accepts.

- `serve()`: the classic plugin process. Terraform starts it, reads one handshake line
  from stdout (`1|6|unix|<socket>|grpc|<cert>`) and talks mTLS-less TLS over a unix
  socket; it asks us to exit through GRPCController.Shutdown.
- `serve_reattach()`: one long-lived server per job, announced to Terraform through
  `TF_REATTACH_PROVIDERS`. Terraform then neither installs nor starts the provider, which
  saves the 2-5 plugin start-ups (~0.3 s each) of every command and makes the template's
  version pin on coder/coder irrelevant.
"""

from __future__ import annotations

import base64
import datetime
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures

# go-plugin's handshake: Terraform sets this cookie on the plugins it starts.
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def _build_server(on_shutdown=None):
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2_grpc as provider_rpc
    from tf.provider import ProviderServicer

    from .provider import CoderProvider

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request, context):
            if on_shutdown is not None:
                on_shutdown()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):
        def StreamStdio(self, request, context):
            # We never print to stdio; an empty stream satisfies go-plugin.
            return iter(())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    provider_rpc.add_ProviderServicer_to_server(ProviderServicer(CoderProvider()), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    return server


def _self_signed_credentials():
    """A throwaway certificate; go-plugin pins it from the handshake line."""
    import grpc
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                       critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=True, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    return cert.public_bytes(serialization.Encoding.DER), creds


def serve() -> int:
    """Run as a Terraform-managed plugin process until Terraform shuts us down."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This is a Terraform provider plugin; Terraform runs it.\n")
        return 1
    # Terraform coordinates interrupts itself (StopProvider/Shutdown); dying on the
    # terminal's Ctrl-C would cut an apply short and lose state.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopped = threading.Event()
    server = _build_server(on_shutdown=stopped.set)
    cert_der, creds = _self_signed_credentials()
    with tempfile.TemporaryDirectory(prefix="tfcoder") as tmp:
        socket_path = os.path.join(tmp, "plugin.sock")
        server.add_secure_port(f"unix://{socket_path}", creds)
        server.start()
        cert = base64.b64encode(cert_der).decode().rstrip("=")
        sys.stdout.write(f"1|6|unix|{socket_path}|grpc|{cert}\n")
        sys.stdout.flush()
        stopped.wait()
        server.stop(grace=0.5).wait()
    return 0


def serve_reattach(socket_path: str) -> int:
    """Serve on `socket_path` for a Terraform started with TF_REATTACH_PROVIDERS.

    Prints `ready` once listening and stops when stdin reaches EOF, so the server never
    outlives the job (or the parent) that started it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Terraform never asks a reattached ("Test") provider to shut down; stdin EOF does.
    server = _build_server()
    server.add_insecure_port(f"unix://{socket_path}")
    server.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()
    finally:
        server.stop(grace=0.5).wait()
    return 0
