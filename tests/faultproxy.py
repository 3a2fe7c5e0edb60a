#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the tests, between streamlens-top and a
real OpenSearch node. It forwards every request unchanged except _bulk
requests, where it can inject:

  --request-429-every K  reply 429 to every Kth bulk request as a whole
  --item-429-every M     fail every Mth "create" item, on its first send only,
                         with an item-level 429 (the item is taken out of the
                         request, so the node never stores it)
  --max-bulk-bytes B     reply 413 to a bulk request whose uncompressed body
                         is longer than B bytes
  --lose-response-every L  forward every Lth bulk request to the node, then
                         close the connection without a response, as when a
                         connection breaks after the node stored the items

SIGUSR1 makes the node look stopped: the proxy closes its listening socket
and every open connection, so clients get "connection refused". SIGUSR2
listens again on the same port.

It listens on 127.0.0.1 on a free port, writes that port to --port-file and
serves its counters as JSON at GET /_faultproxy/stats. It exits after
--lifetime seconds at most.
"""
import argparse
import gzip
import http.client
import http.server
import json
import os
import signal
import socket
import threading
import time
import urllib.parse


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.bulk_requests = 0
        self.gzip_requests = 0   # requests that came with Content-Encoding: gzip
        self.create_items = 0
        self.received = {}       # event id -> times received
        self.failed_items = 0    # item sends that got a failure status
        self.item_429 = 0
        self.request_429 = 0
        self.request_413 = 0
        self.lost_responses = 0
        self.failed_once = set()
        self.down = False
        self.open_socks = set()

    def stats(self):
        with self.lock:
            resent = sum(n - 1 for n in self.received.values())
            return {"bulk_requests": self.bulk_requests, "gzip_requests": self.gzip_requests,
                    "create_items": self.create_items,
                    "distinct_ids": len(self.received), "resent_items": resent,
                    "failed_items": self.failed_items, "item_429": self.item_429,
                    "request_429": self.request_429, "request_413": self.request_413,
                    "lost_responses": self.lost_responses}


def parse_bulk(body):
    """Splits an NDJSON bulk body into (action, action_line, source_line) items."""
    lines = body.split(b"\n")
    items, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        action = json.loads(lines[i])
        kind = next(iter(action))
        src = lines[i + 1] if kind != "delete" else None
        items.append((kind, action[kind], lines[i], src))
        i += 2 if src is not None else 1
    return items


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.state.lock:
            self.server.state.open_socks.add(self.connection)

    def finish(self):
        with self.server.state.lock:
            self.server.state.open_socks.discard(self.connection)
        super().finish()

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, method, body, headers):
        up = self.server.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        try:
            conn.request(method, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", "application/json"), resp.read()
        finally:
            conn.close()

    def handle_any(self, method):
        if self.server.state.down:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if method == "GET" and self.path == "/_faultproxy/stats":
            return self.reply(200, self.server.state.stats())
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "content-encoding",
                                        "connection", "accept-encoding")}
        if body and (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
            with self.server.state.lock:
                self.server.state.gzip_requests += 1
        if method == "POST" and urllib.parse.urlparse(self.path).path.endswith("/_bulk") and body:
            return self.bulk(body, headers)
        status, ctype, data = self.forward(method, body, headers)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def bulk(self, body, headers):
        opts, st = self.server.opts, self.server.state
        items = parse_bulk(body)
        creates = [it for it in items if it[0] == "create"]
        with st.lock:
            st.bulk_requests += 1
            nreq = st.bulk_requests
            st.create_items += len(creates)
            for it in creates:
                st.received[it[1]["_id"]] = st.received.get(it[1]["_id"], 0) + 1
            if opts.max_bulk_bytes and len(body) > opts.max_bulk_bytes:
                st.request_413 += 1
                st.failed_items += len(creates)
                fault = 413
            elif opts.request_429_every and nreq % opts.request_429_every == 0:
                st.request_429 += 1
                st.failed_items += len(creates)
                fault = 429
            elif opts.lose_response_every and nreq % opts.lose_response_every == 0:
                st.lost_responses += 1
                st.failed_items += len(creates)
                fault = "lose"
            else:
                fault = 0
            failed = set()
            if not fault and opts.item_429_every:
                for pos, it in enumerate(items):
                    doc_id = it[1].get("_id")
                    if it[0] != "create" or doc_id in st.failed_once:
                        continue
                    if (st.create_items - len(creates) + pos) % opts.item_429_every == 0:
                        st.failed_once.add(doc_id)
                        failed.add(pos)
                st.item_429 += len(failed)
                st.failed_items += len(failed)
        if fault == 413:
            return self.reply(413, {"error": {"type": "request_entity_too_large",
                                              "reason": "faultproxy: body over %d bytes"
                                              % opts.max_bulk_bytes}, "status": 413})
        if fault == 429:
            return self.reply(429, {"error": {"type": "es_rejected_execution_exception",
                                              "reason": "faultproxy: request rejected"},
                                    "status": 429})
        if fault == "lose":
            self.forward("POST", body, dict(
                headers, **{"Content-Type": "application/x-ndjson"}))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.bulk_partial(items, failed, headers)

    def bulk_partial(self, items, failed, headers):
        keep = [it for pos, it in enumerate(items) if pos not in failed]
        results = []
        if keep:
            out = b"".join(it[2] + b"\n" + (it[3] + b"\n" if it[3] is not None else b"")
                           for it in keep)
            headers = dict(headers, **{"Content-Type": "application/x-ndjson"})
            path = urllib.parse.urlparse(self.path)
            status, _, data = self.forward_path("POST", path.path, out, headers)
            if status != 200:
                return self.reply(status, json.loads(data or b"{}"))
            results = json.loads(data)["items"]
        merged, it_results = [], iter(results)
        for pos, it in enumerate(items):
            if pos in failed:
                merged.append({it[0]: {"_index": it[1].get("_index"), "_id": it[1].get("_id"),
                                       "status": 429, "error": {
                                           "type": "es_rejected_execution_exception",
                                           "reason": "faultproxy: item rejected"}}})
            else:
                merged.append(next(it_results))
        self.reply(200, {"took": 1, "errors": bool(failed) or any(
            next(iter(r.values())).get("error") for r in merged), "items": merged})

    def forward_path(self, method, path, body, headers):
        # The full response, without filter_path, so every item keeps its
        # status and error for the merge above.
        saved, self.path = self.path, path
        try:
            return self.forward(method, body, headers)
        finally:
            self.path = saved

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_HEAD(self):
        self.handle_any("HEAD")


def serve(port, opts, state):
    """Starts a server thread on port (0 picks one). Returns the server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.upstream = urllib.parse.urlparse(opts.upstream)
    server.opts = opts
    server.state = state
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--request-429-every", type=int, default=0)
    ap.add_argument("--item-429-every", type=int, default=0)
    ap.add_argument("--max-bulk-bytes", type=int, default=0)
    ap.add_argument("--lose-response-every", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=300)
    opts = ap.parse_args()

    state = State()
    current = [serve(0, opts, state)]
    port = current[0].server_address[1]

    def go_down(signum, frame):
        state.down = True
        if current[0]:
            current[0].shutdown()
            current[0].server_close()
            current[0] = None
        with state.lock:
            socks = list(state.open_socks)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_up(signum, frame):
        if current[0] is None:
            current[0] = serve(port, opts, state)
        state.down = False

    signal.signal(signal.SIGUSR1, go_down)
    signal.signal(signal.SIGUSR2, go_up)
    with open(opts.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(opts.port_file + ".tmp", opts.port_file)
    deadline = time.monotonic() + opts.lifetime
    while time.monotonic() < deadline:
        time.sleep(0.2)


if __name__ == "__main__":
    main()
