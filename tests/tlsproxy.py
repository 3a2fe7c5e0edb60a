#!/usr/bin/env python3
"""A TLS-terminating TCP relay for the tests: it accepts TLS connections on
127.0.0.1 with the given certificate and key and relays the decrypted bytes
to a plain upstream server, such as the test OpenSearch node. It listens on
a free port, writes that port to --port-file, and exits after --lifetime
seconds at most.

With --count-text TEXT it counts the client connections whose first bytes
from the client contain TEXT (for example an Authorization header), and
writes that count to --count-file whenever it changes.
"""
import argparse
import os
import socket
import ssl
import threading
import time
import urllib.parse


def pipe(src, dst):
    """Copies bytes from src to dst until either side closes."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Relay:
    def __init__(self, opts):
        self.opts = opts
        up = urllib.parse.urlparse(opts.upstream)
        self.upstream = (up.hostname, up.port)
        self.lock = threading.Lock()
        self.counted = 0

    def note_first_bytes(self, data):
        if not self.opts.count_text or self.opts.count_text.encode() not in data:
            return
        with self.lock:
            self.counted += 1
            tmp = self.opts.count_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % self.counted)
            os.rename(tmp, self.opts.count_file)

    def serve(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        try:
            first = client.recv(65536)
        except OSError:
            first = b""
        if first:
            self.note_first_bytes(first)
            try:
                upstream.sendall(first)
            except OSError:
                pass
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)
        client.close()
        upstream.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="http://HOST:PORT of the plain server")
    ap.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    ap.add_argument("--key", required=True, help="server private key (PEM)")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--count-text", default="")
    ap.add_argument("--count-file", default="")
    ap.add_argument("--lifetime", type=float, default=120)
    opts = ap.parse_args()
    if opts.count_text and not opts.count_file:
        ap.error("--count-text needs --count-file")

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(opts.cert, opts.key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.5)
    with open(opts.port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(opts.port_file + ".tmp", opts.port_file)

    relay = Relay(opts)
    deadline = time.monotonic() + opts.lifetime
    while time.monotonic() < deadline:
        try:
            raw, _ = listener.accept()
        except socket.timeout:
            continue
        raw.settimeout(10)
        try:
            client = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            # A client that rejects the certificate ends the handshake.
            raw.close()
            continue
        client.settimeout(None)
        threading.Thread(target=relay.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
