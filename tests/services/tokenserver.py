#!/usr/bin/python3
"""Bearer-token realm for docker-registry instance C (Docker/OCI token flow).

  GET /token?service=S&scope=repository:NAME:pull,push[&scope=...][&account=U]
      HTTP Basic credentials required (unless anonymous pulls are enabled).
      200 {"token", "access_token", "expires_in", "issued_at"}: an RS256 JWT
      whose header carries x5c = [signing cert], which the registry trusts
      through its rootcertbundle (the test CA).
      401 for missing or wrong credentials, 400 for a wrong service.

Control (for tests; loopback only, no auth):
  GET    /__config   current settings
  POST   /__config   JSON object merged into the settings:
                     expires_in (s), hard_expiry (bool), anonymous ("none"|"pull"),
                     actions (list of actions the user may get)
  DELETE /__config   back to the start-up settings
  GET    /__stats    {"requests", "issued", "rejected"}
  DELETE /__stats    reset the counters

Every /token request is also appended to --log as one JSON line.
Only the Python standard library and the openssl CLI are used.
"""

import argparse
import base64
import binascii
import copy
import datetime
import hmac
import http.server
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

# docker-registry 2.8 accepts a token up to 60 s after its exp (and 60 s before nbf):
# registry/auth/token.Leeway.  hard_expiry subtracts it so that the registry itself
# starts to answer 401 right when expires_in says the token expires.
REGISTRY_LEEWAY = 60


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Config:
    def __init__(self, defaults):
        self.lock = threading.Lock()
        self.defaults = dict(defaults)
        self.values = dict(defaults)
        self.stats = {"requests": 0, "issued": 0, "rejected": 0}

    def get(self):
        with self.lock:
            return copy.deepcopy(self.values)

    def update(self, changes):
        allowed = {
            "expires_in": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "hard_expiry": lambda v: isinstance(v, bool),
            "anonymous": lambda v: v in ("none", "pull"),
            "actions": lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v),
        }
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        for k, v in changes.items():
            if k not in allowed:
                raise ValueError(f"unknown setting {k!r} (known: {sorted(allowed)})")
            if not allowed[k](v):
                raise ValueError(f"bad value for {k!r}: {v!r}")
        with self.lock:
            self.values.update(changes)
            return copy.deepcopy(self.values)

    def reset(self):
        with self.lock:
            self.values = dict(self.defaults)
            return copy.deepcopy(self.values)

    def count(self, key):
        with self.lock:
            self.stats["requests"] += 1
            if key:
                self.stats[key] += 1

    def get_stats(self):
        with self.lock:
            return dict(self.stats)

    def reset_stats(self):
        with self.lock:
            for k in self.stats:
                self.stats[k] = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-token-realm"
    timeout = 60
    opts = None
    cfg = None
    x5c = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # noqa: N802 - http.server API
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def _send(self, status, obj, headers=None):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _record(self, entry):
        with self.log_lock, open(self.opts.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    # ---- token endpoint -------------------------------------------------

    def _credentials(self):
        auth = self.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return ("", False)
        ok = (sep == ":" and hmac.compare_digest(user.encode(), self.opts.user.encode())
              and hmac.compare_digest(password.encode(), self.opts.password.encode()))
        return (user, ok)

    def _token(self, query):
        cfg = self.cfg.get()
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        service = q.get("service", [None])[0]
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        entry = {"time": round(time.time(), 3), "service": service, "scopes": scopes,
                 "account": q.get("account", [None])[0], "user": None, "status": None,
                 "access": None}

        def reject(status, message, headers=None, key="rejected"):
            entry["status"] = status
            entry["error"] = message
            self._record(entry)
            self.cfg.count(key)
            self._send(status, {"errors": [{"code": "UNAUTHORIZED" if status == 401 else
                                            "INVALID_REQUEST", "message": message}]}, headers)

        challenge = {"WWW-Authenticate": f'Basic realm="{self.opts.service}"'}
        if service != self.opts.service:
            return reject(400, f"unknown service {service!r} (this realm serves "
                               f"{self.opts.service!r})")
        creds = self._credentials()
        if creds is None:
            if cfg["anonymous"] != "pull":
                return reject(401, "authentication required", challenge)
            user, allowed = "", {"pull"}
        else:
            user, ok = creds
            entry["user"] = user
            if not ok:
                return reject(401, "invalid username or password", challenge)
            allowed = set(cfg["actions"])

        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) < 3:
                return reject(400, f"malformed scope {s!r}")
            rtype, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            if rtype == "registry" and name == "catalog":
                granted = [a for a in actions if a == "*" and creds is not None and "*" in allowed]
            else:
                granted = [a for a in actions if a in allowed]
            access.append({"type": rtype, "name": name, "actions": granted})
        entry["access"] = access

        now = int(time.time())
        exp = now + cfg["expires_in"] - (REGISTRY_LEEWAY if cfg["hard_expiry"] else 0)
        claims = {"iss": self.opts.issuer, "sub": user, "aud": self.opts.service,
                  "exp": exp, "nbf": now - 1, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.opts.sign_key],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        jwt = signing_input + "." + b64url(sig)
        issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        entry.update(status=200, jti=claims["jti"], exp=exp, expires_in=cfg["expires_in"])
        self._record(entry)
        self.cfg.count("issued")
        self._send(200, {"token": jwt, "access_token": jwt, "expires_in": cfg["expires_in"],
                         "issued_at": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")})

    # ---- dispatch -------------------------------------------------------

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._body()
        cmd, path = self.command, url.path.rstrip("/")
        if path == "/token" and cmd in ("GET", "HEAD"):
            return self._token(url.query)
        if path == "/__config":
            try:
                if cmd == "GET":
                    return self._send(200, self.cfg.get())
                if cmd == "POST":
                    return self._send(200, self.cfg.update(json.loads(body or b"null")))
                if cmd == "DELETE":
                    return self._send(200, self.cfg.reset())
            except ValueError as e:
                return self._send(400, {"error": str(e)})
        if path == "/__stats":
            if cmd == "GET":
                return self._send(200, self.cfg.get_stats())
            if cmd == "DELETE":
                self.cfg.reset_stats()
                return self._send(200, self.cfg.get_stats())
        return self._send(404, {"error": f"no endpoint {cmd} {path}"})

    do_GET = do_HEAD = do_POST = do_DELETE = _dispatch  # noqa: N815


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    ssl_context = None

    def finish_request(self, request, client_address):
        # TLS handshake in the worker thread, not in the accept loop
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write(f"TLS handshake with {client_address} failed: {e}\n")
                return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--sign-key", required=True, help="RSA key (PEM) the tokens are signed with")
    ap.add_argument("--sign-cert", required=True, help="its certificate (PEM), sent as x5c")
    ap.add_argument("--service", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--expires-in", type=int,
                    default=int(os.environ.get("BERTH_TOKEN_EXPIRES_IN", "300")))
    ap.add_argument("--hard-expiry", action="store_true",
                    default=os.environ.get("BERTH_TOKEN_HARD_EXPIRY", "") == "1")
    ap.add_argument("--anonymous", choices=("none", "pull"),
                    default=os.environ.get("BERTH_TOKEN_ANONYMOUS", "none"))
    ap.add_argument("--log", required=True, help="one JSON line per /token request")
    args = ap.parse_args()
    if args.listen not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the token realm listens on loopback only")
    with open(args.password_file) as f:
        args.password = f.read().strip()

    der = subprocess.run(["openssl", "x509", "-in", args.sign_cert, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    Handler.x5c = base64.b64encode(der).decode()
    Handler.opts = args
    Handler.cfg = Config({"expires_in": args.expires_in, "hard_expiry": args.hard_expiry,
                          "anonymous": args.anonymous,
                          "actions": ["pull", "push", "delete", "*"]})
    open(args.log, "a").close()

    server = Server((args.listen, args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.ssl_context = ctx
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": port}, f)
    os.rename(tmp, args.port_file)
    sys.stderr.write(f"token realm listening on {args.listen}:{port} "
                     f"({'https' if args.tls_cert else 'http'})\n")
    sys.stderr.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
