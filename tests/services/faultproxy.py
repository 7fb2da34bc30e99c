#!/usr/bin/python3
"""Fault-injecting HTTP reverse proxy for berth's registry client tests.

Plain http on 127.0.0.1 in front of one plain-http upstream (docker-registry
instance B).  Two listening ports:

  main     everything is forwarded to the upstream, and /__fault* is the
           control API;
  storage  a second "blob storage" host: /__storage/<upstream path> fetches
           <upstream path> from the upstream.  The redirect fault sends clients
           here, so a redirect goes to another port and another path.  (The
           main port serves /__storage/ too.)

Faults are set at run time (JSON, see README.md in this directory):

  POST   /__fault       add one fault object or a list of them
  GET    /__fault       the active faults, with their remaining counts
  DELETE /__fault       remove all faults and clear the request log
  GET    /__fault/log   the request log (JSON array)
  DELETE /__fault/log   clear the request log only

Only the Python standard library is used.  Run by tests/services/up.
"""

import argparse
import ssl
import http.client
import http.server
import itertools
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "trailers", "transfer-encoding",
    "upgrade",
}
KINDS = {"cut", "drop", "status", "redirect", "delay", "corrupt", "stall"}
STORAGE_PREFIX = "/__storage"
LOG_MAX = 20000
CHUNK = 64 * 1024


class FaultError(ValueError):
    pass


def _int(spec, key, default=None, minimum=0):
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultError(f"'{key}' must be an integer >= {minimum}")
    return value


class Fault:
    """One fault rule: which requests it matches and what it does to them."""

    _ids = itertools.count(1)

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        unknown = set(spec) - {
            "kind", "path", "method", "port", "times", "skip", "after",
            "offset", "status", "headers", "body", "retry_after", "to",
            "ms", "delay_ms", "reset", "xor", "comment",
        }
        if unknown:
            raise FaultError(f"unknown keys: {sorted(unknown)}")
        self.kind = spec.get("kind")
        if self.kind not in KINDS:
            raise FaultError(f"'kind' must be one of {sorted(KINDS)}")
        self.path_src = spec.get("path", "")
        try:
            self.path = re.compile(self.path_src)
        except (re.error, TypeError) as e:
            raise FaultError(f"bad 'path' regex: {e}") from e
        method = spec.get("method")
        if method is None:
            self.methods = None
        elif isinstance(method, str):
            self.methods = {method.upper()}
        elif isinstance(method, list) and all(isinstance(m, str) for m in method):
            self.methods = {m.upper() for m in method}
        else:
            raise FaultError("'method' must be a string or a list of strings")
        self.port = spec.get("port")
        if self.port not in (None, "main", "storage"):
            raise FaultError("'port' must be \"main\" or \"storage\"")
        times = spec.get("times", 1)
        if isinstance(times, bool) or not isinstance(times, int):
            raise FaultError("'times' must be an integer (-1: unlimited)")
        self.remaining = times if times > 0 else None
        if times == 0:
            raise FaultError("'times' must not be 0 (-1: unlimited)")
        self.skip = _int(spec, "skip", 0)
        self.delay_ms = _int(spec, "delay_ms", 0)
        self.comment = spec.get("comment")
        self.spec = spec
        k = self.kind
        if k == "cut":
            self.after = _int(spec, "after", 0)
            self.reset = bool(spec.get("reset", False))
        elif k == "drop":
            self.reset = bool(spec.get("reset", False))
        elif k == "stall":
            self.after = _int(spec, "after", 0)
            self.ms = _int(spec, "ms", 1000)
        elif k == "corrupt":
            self.offset = _int(spec, "offset", 0)
            self.xor = _int(spec, "xor", 0xFF, minimum=1)
            if self.xor > 255:
                raise FaultError("'xor' must be 1..255")
        elif k == "delay":
            self.ms = _int(spec, "ms", 1000)
        elif k == "status":
            self.status = _int(spec, "status", 503, minimum=100)
            self.headers = spec.get("headers", {})
            if not isinstance(self.headers, dict):
                raise FaultError("'headers' must be an object")
            ra = spec.get("retry_after")
            if ra is not None:
                self.headers = dict(self.headers, **{"Retry-After": str(ra)})
            self.body = spec.get("body")
            if self.body is not None and not isinstance(self.body, str):
                raise FaultError("'body' must be a string")
        elif k == "redirect":
            self.status = _int(spec, "status", 307, minimum=300)
            if self.status not in (301, 302, 303, 307, 308):
                raise FaultError("redirect 'status' must be 301, 302, 303, 307 or 308")
            self.to = spec.get("to", "storage")
            if not isinstance(self.to, str) or not self.to:
                raise FaultError("'to' must be \"storage\", \"storage-same-port\" or a URL")
        self.id = next(Fault._ids)
        self.matched = 0
        self.applied = 0

    def describe(self):
        d = dict(self.spec)
        d.update(id=self.id, remaining=self.remaining if self.remaining is not None else -1,
                 matched=self.matched, applied=self.applied)
        return d


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.seq = itertools.count(1)

    def add(self, faults):
        with self.lock:
            self.faults.extend(faults)

    def clear(self):
        with self.lock:
            self.faults = []
            self.log = []

    def clear_log(self):
        with self.lock:
            self.log = []

    def take(self, method, path, port):
        """The first live fault matching this request (consuming one use), or None."""
        with self.lock:
            for f in self.faults:
                if f.remaining is not None and f.remaining <= 0:
                    continue
                if f.methods is not None and method not in f.methods:
                    continue
                if f.port is not None and f.port != port:
                    continue
                if not f.path.search(path):
                    continue
                f.matched += 1
                if f.matched <= f.skip:
                    continue
                f.applied += 1
                if f.remaining is not None:
                    f.remaining -= 1
                return f
            return None

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > LOG_MAX:
                del self.log[: len(self.log) - LOG_MAX]

    def snapshot_log(self):
        with self.lock:
            return sorted(self.log, key=lambda e: e["seq"])

    def snapshot_faults(self):
        with self.lock:
            return [f.describe() for f in self.faults]


class Cut(Exception):
    """Raised to abandon a connection after a deliberate mid-body cut."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-fault-proxy"
    timeout = 300

    # set on the subclass per port
    port_name = "main"
    state = None
    upstream = None
    upstream_tls = None
    storage_base = None
    main_base = None

    def log_message(self, fmt, *args):  # noqa: N802 - http.server API
        sys.stderr.write("%s [%s] %s\n" % (time.strftime("%H:%M:%S"), self.port_name, fmt % args))

    # ---- plumbing -------------------------------------------------------

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send_simple(self, status, body=b"", headers=None, ctype="application/json", entry=None):
        self.send_response_only(status)
        hdrs = {"Content-Type": ctype, "Content-Length": str(len(body)),
                "Date": self.date_time_string()}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        if entry is not None:
            entry["status"] = status
            entry["length"] = len(body)
            entry["bytes"] = len(body) if self.command != "HEAD" else 0

    def _json(self, status, obj):
        self._send_simple(status, (json.dumps(obj, indent=1) + "\n").encode())

    def _abort(self, reset):
        self.close_connection = True
        try:
            if reset:
                # linger 0 + close: the kernel sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Cut()

    # ---- control API ----------------------------------------------------

    def _control(self, body):
        path = self.path.split("?", 1)[0].rstrip("/")
        cmd = self.command
        st = self.state
        if path == "/__fault" and cmd == "POST":
            try:
                spec = json.loads(body or b"null")
                specs = spec if isinstance(spec, list) else [spec]
                faults = [Fault(s) for s in specs]
            except (ValueError, FaultError) as e:
                return self._json(400, {"error": str(e)})
            st.add(faults)
            return self._json(200, {"ids": [f.id for f in faults]})
        if path == "/__fault" and cmd == "GET":
            return self._json(200, {"faults": st.snapshot_faults()})
        if path == "/__fault" and cmd == "DELETE":
            st.clear()
            return self._json(200, {"cleared": True})
        if path == "/__fault/log" and cmd == "GET":
            return self._json(200, st.snapshot_log())
        if path == "/__fault/log" and cmd == "DELETE":
            st.clear_log()
            return self._json(200, {"cleared": True})
        return self._json(404, {"error": f"no control endpoint {cmd} {path}"})

    # ---- proxying -------------------------------------------------------

    def _handle(self):
        body = self._read_body()
        path_only = self.path.split("?", 1)[0]
        if path_only == "/__fault" or path_only.startswith("/__fault/"):
            if self.port_name != "main":
                return self._json(404, {"error": "control API is on the main port"})
            return self._control(body)

        entry = {
            "seq": next(self.state.seq),
            "time": round(time.time(), 3),
            "port": self.port_name,
            "method": self.command,
            "path": self.path,
            "range": self.headers.get("Range"),
            "request_bytes": len(body),
            "authorization": self.headers.get("Authorization") is not None,
            "status": None,
            "length": None,
            "bytes": 0,
            "fault": None,
            "fault_id": None,
            "cut": False,
        }
        try:
            self._proxy(body, path_only, entry)
        finally:
            self.state.record(entry)

    def _proxy(self, body, path_only, entry):
        fault = self.state.take(self.command, path_only, self.port_name)
        if fault:
            entry["fault"] = fault.kind
            entry["fault_id"] = fault.id
            if fault.delay_ms:
                time.sleep(fault.delay_ms / 1000)
            if fault.kind == "delay":
                time.sleep(fault.ms / 1000)

        if fault and fault.kind == "drop":
            # no response at all: the request was read, then the connection goes away
            entry["cut"] = True
            self._abort(fault.reset)

        if fault and fault.kind == "status":
            codes = {429: "TOOMANYREQUESTS", 401: "UNAUTHORIZED", 403: "DENIED",
                     404: "NOT_FOUND"}
            text = fault.body
            if text is None:
                code = codes.get(fault.status, "UNAVAILABLE")
                text = json.dumps({"errors": [{"code": code, "message": "injected fault",
                                               "detail": {"status": fault.status}}]}) + "\n"
            self._send_simple(fault.status, text.encode(), fault.headers, entry=entry)
            return

        if fault and fault.kind == "redirect":
            if fault.to in ("storage", "storage-same-port"):
                base = self.storage_base if fault.to == "storage" else self.main_base
                target = self.path
                if target.startswith(STORAGE_PREFIX + "/"):
                    target = target[len(STORAGE_PREFIX):]
                location = base + STORAGE_PREFIX + target
            else:
                location = fault.to
            entry["location"] = location
            self._send_simple(fault.status, b"", {"Location": location}, ctype="text/plain",
                              entry=entry)
            return

        up_path = self.path
        if path_only == STORAGE_PREFIX or path_only.startswith(STORAGE_PREFIX + "/"):
            up_path = self.path[len(STORAGE_PREFIX):] or "/"
            if not up_path.startswith("/"):
                up_path = "/" + up_path
        elif self.port_name == "storage":
            self._send_simple(404, b'{"error": "the storage port serves only /__storage/..."}\n',
                              entry=entry)
            return

        conn_tokens = {t.strip().lower() for t in self.headers.get("Connection", "").split(",")}
        headers = []
        for k, v in self.headers.items():
            kl = k.lower()
            if kl in HOP_BY_HOP or kl in conn_tokens or kl in ("content-length", "expect"):
                continue
            headers.append((k, v))  # repeated headers stay repeated
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Length", str(len(body))))

        if self.upstream_tls is not None:
            up = http.client.HTTPSConnection(self.upstream[0], self.upstream[1], timeout=120,
                                             context=self.upstream_tls)
        else:
            up = http.client.HTTPConnection(self.upstream[0], self.upstream[1], timeout=120)
        try:
            try:
                up.putrequest(self.command, up_path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    up.putheader(k, v)
                up.endheaders(body if body else None)
                resp = up.getresponse()
            except OSError as e:
                entry["error"] = str(e)
                self._send_simple(502, json.dumps({"error": f"upstream: {e}"}).encode() + b"\n",
                                  entry=entry)
                return
            self._relay(resp, fault, entry)
        finally:
            up.close()

    def _relay(self, resp, fault, entry):
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        length = resp.getheader("Content-Length")
        payload = None
        if not no_body and length is None:
            payload = resp.read()  # upstream was chunked or close-delimited: buffer it
            length = str(len(payload))
        entry["status"] = resp.status
        entry["upstream_status"] = resp.status
        entry["length"] = int(length) if length is not None else None

        conn_tokens = {t.strip().lower() for t in (resp.getheader("Connection") or "").split(",")}
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            kl = k.lower()
            if kl in HOP_BY_HOP or kl in conn_tokens or kl == "content-length":
                continue
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if no_body:
            if fault and fault.kind == "cut":
                entry["cut"] = True
                self._abort(fault.reset)
            return

        sent = 0
        total = int(length)
        kind = fault.kind if fault else None

        def chunks():
            if payload is not None:
                for i in range(0, len(payload), CHUNK):
                    yield payload[i:i + CHUNK]
                return
            left = total
            while left > 0:
                data = resp.read(min(CHUNK, left))
                if not data:
                    return
                left -= len(data)
                yield data

        stalled = False
        for data in chunks():
            if kind == "corrupt" and sent <= fault.offset < sent + len(data):
                i = fault.offset - sent
                data = data[:i] + bytes([data[i] ^ fault.xor]) + data[i + 1:]
                entry["corrupted_offset"] = fault.offset
            if kind in ("cut", "stall") and not stalled and sent + len(data) >= fault.after:
                head = data[: fault.after - sent]
                if head:
                    self.wfile.write(head)
                    sent += len(head)
                    entry["bytes"] = sent
                data = data[len(head):]
                if kind == "cut":
                    entry["cut"] = True
                    self._abort(fault.reset)
                stalled = True
                time.sleep(fault.ms / 1000)
            if data:
                self.wfile.write(data)
                sent += len(data)
                entry["bytes"] = sent
        if kind == "cut" and not entry["cut"]:
            # the body was shorter than 'after': still drop the connection
            entry["cut"] = True
            self._abort(fault.reset)
        if sent < total:
            # upstream died mid-body: we cannot complete the promised length
            entry["error"] = "upstream body ended early"
            self._abort(False)

    def _dispatch(self):
        try:
            self._handle()
        except Cut:
            pass
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            self.close_connection = True
            self.log_message("client connection error: %s", e)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch  # noqa: N815


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128

    def handle_error(self, request, client_address):
        sys.stderr.write(f"error while handling a request from {client_address}:\n")
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the upstream")
    ap.add_argument("--upstream-ca", default=None,
                    help="speak https to the upstream, trusting this CA (default: plain http)")
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="main port (0: any free port)")
    ap.add_argument("--storage-port", type=int, default=0)
    ap.add_argument("--port-file", required=True,
                    help="written (atomically) as JSON {main, storage} once both ports listen")
    args = ap.parse_args()
    if args.listen not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the proxy listens on loopback only")
    host, _, port = args.upstream.rpartition(":")
    upstream = (host, int(port))
    upstream_tls = None
    if args.upstream_ca:
        upstream_tls = ssl.create_default_context(cafile=args.upstream_ca)

    state = State()
    servers = {}
    for name, port in (("main", args.port), ("storage", args.storage_port)):
        cls = type(f"{name.title()}Handler", (Handler,), {"port_name": name, "state": state,
                                                         "upstream": upstream,
                                                         "upstream_tls": upstream_tls})
        servers[name] = Server((args.listen, port), cls)
    ports = {name: s.server_address[1] for name, s in servers.items()}
    for s in servers.values():
        s.RequestHandlerClass.main_base = f"http://{args.listen}:{ports['main']}"
        s.RequestHandlerClass.storage_base = f"http://{args.listen}:{ports['storage']}"

    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for t in threads:
        t.start()

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ports, f)
    os.rename(tmp, args.port_file)
    sys.stderr.write(f"fault proxy: main {ports['main']}, storage {ports['storage']}, "
                     f"upstream {args.upstream}\n")
    sys.stderr.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for s in servers.values():
        s.shutdown()
        s.server_close()


if __name__ == "__main__":
    main()
