#!/usr/bin/env python3
"""The stand-in for auth.openai.com, and beside it for chatgpt.com's backend (fake_backend.py):
OpenAI's side is the only fake in the rig (nothing here reaches the internet).

An HTTP proxy on one port. `CONNECT auth.openai.com:443` (or `chatgpt.com:443`) is answered
and the connection is turned into TLS with a certificate from the rig's test CA; requests on it
are served as the issuer (or the backend): /oauth/authorize (302 back to the redirect_uri
with code and state), /oauth/token (authorization_code with PKCE checked; token-exchange;
refresh_token), /oauth/revoke, and the device-code flow: /api/accounts/deviceauth/usercode, /api/accounts/deviceauth/token (403 while pending),
and /codex/device, the page where a person would type the code: visiting it approves the
newest pending code.

Tokens follow the real issuer's rules. Each login (an authorization code or device code
exchanged) starts a grant. A refresh token works once: refreshing rotates it (a new refresh
token and access token in the same grant), and the used one then fails as the real issuer
fails it, which codex reports as "refresh token was already used". Revoking a refresh token
(`POST /oauth/revoke`, JSON or form) ends its whole grant; revoking an access token ends that
token. Access tokens expire after `access_ttl` seconds (a JWT `exp` claim, and the issuer's
own record).

Plain requests to the proxy itself steer and inspect it (tests run one at a time):
  GET /__control?authorize=deny|ok&decorate_state=1|0&device=ok|disabled   next behaviour
                 &email=TEXT&plan=TEXT   the id_token's email and plan claims (any text, control
                                         characters included: a hostile issuer or account)
                 &access_ttl=SECS        the lifetime of access tokens minted from now on
                 &refresh_hash=any|HEX   refresh tokens whose SHA-256 (hex) starts with HEX, as
                                         one in 16 start with any one digit: for what a hash
                                         of a token must never be mistaken for
  GET /__mint                            a login minted as if signed in (a new grant; JSON
                                         tokens), to put on a host without a browser
  POST /__state  {"tokens": [...]}       each token's state: alive, used (a rotated refresh
                                         token), revoked, expired (an access token), unknown
  GET /__issued                                           the last tokens minted (JSON)
  GET /__codes                                            every authorization code handed out
                                                          since the issuer started (JSON list)
  GET /__minted                                           every token and key minted since the
                                                          issuer started (JSON list)
  GET /__refreshes                                        what each refresh came to: ok, reused
                                                          (codex's "already used"), invalid
  GET /__uses                                             each use of the backend (fake_backend.py):
                                                          path, verdict, token
  GET /__log                                              paths requested (no query strings)

Usage: fake_issuer.py PORT CERT KEY STATE_DIR
"""
import hashlib, json, os, secrets, socket, socketserver, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs, urlencode

import fake_backend
from tokens import b64url, jwt

PORT, CERT, KEY, STATE_DIR = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LOCK = threading.Lock()
CONTROL = {
    "authorize": "ok",
    "decorate_state": "0",
    "device": "ok",
    "email": "alice@rig.test",
    "plan": "plus",
    "access_ttl": "3600",
    "refresh_hash": "any",
}
CODES = {}
# Every authorization code ever handed out, for tests that search for them where they must not be.
ISSUED_CODES = []
MINTED = []
DEVICE = {}  # device_auth_id -> {"user_code", "approved", "verifier"}
LOG = []
# What each refresh came to (ok, reused, invalid), and each use of the backend: (path, verdict).
REFRESHES = []
USES = []
ISSUED = {}
# Every refresh and access token minted: token -> {"kind", "grant", "state", "exp"}. A grant is
# one login; it ends when one of its refresh tokens is revoked.
TOKENS = {}
GRANTS = {}  # grant id -> {"revoked": bool}

TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
TLS.load_cert_chain(CERT, KEY)


def refresh_token():
    """A new refresh token; its hash starts as `refresh_hash` says."""
    prefix = CONTROL["refresh_hash"]
    while True:
        token = "rt-rig-" + secrets.token_hex(16)
        if prefix == "any" or hashlib.sha256(token.encode()).hexdigest().startswith(prefix):
            return token


def mint(client_id, grant=None):
    """Tokens for a new login (a new grant), or for a refresh within `grant`."""
    now = int(time.time())
    ttl = int(CONTROL["access_ttl"])
    auth = {"chatgpt_account_id": "acct-rig", "chatgpt_plan_type": CONTROL["plan"], "chatgpt_user_id": "user-rig"}
    common = {"iss": "https://auth.openai.com", "aud": [client_id], "sub": "user-rig", "iat": now}
    tokens = {
        "id_token": jwt({**common, "exp": now + 3600, "email": CONTROL["email"], "email_verified": True,
                         "https://api.openai.com/auth": auth}),
        "access_token": jwt({**common, "exp": now + ttl, "https://api.openai.com/auth": auth,
                             "jti": secrets.token_hex(8)}),
        "refresh_token": refresh_token(),
    }
    with LOCK:
        if grant is None:
            grant = "grant-" + secrets.token_hex(6)
            GRANTS[grant] = {"revoked": False}
        TOKENS[tokens["refresh_token"]] = {"kind": "refresh", "grant": grant, "state": "alive", "exp": None}
        TOKENS[tokens["access_token"]] = {"kind": "access", "grant": grant, "state": "alive", "exp": now + ttl}
        ISSUED.clear()
        ISSUED.update(tokens)
        MINTED.extend(tokens.values())
    return tokens


def state_of(token):
    """alive, used, revoked, expired or unknown; called with LOCK held."""
    entry = TOKENS.get(token)
    if entry is None:
        return "unknown"
    if GRANTS[entry["grant"]]["revoked"] or entry["state"] == "revoked":
        return "revoked"
    if entry["state"] == "used":
        return "used"
    if entry["exp"] is not None and time.time() >= entry["exp"]:
        return "expired"
    return "alive"


def revoke(token):
    """RFC 7009: a refresh token ends its grant, an access token itself; unknown ones are fine."""
    with LOCK:
        entry = TOKENS.get(token)
        if entry is None:
            return
        if entry["kind"] == "refresh":
            GRANTS[entry["grant"]]["revoked"] = True
        else:
            entry["state"] = "revoked"


class Issuer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def json(self, status, value):
        self.reply(status, json.dumps(value).encode(), [("Content-Type", "application/json")])

    def do_GET(self):
        url = urlsplit(self.path)
        with LOCK:
            LOG.append(f"GET {url.path}")
        if url.path == "/codex/device":
            with LOCK:
                pending = [d for d in DEVICE.values() if not d["approved"]]
                if pending:
                    pending[-1]["approved"] = True
            page = b"<html><body><h1>Device approved</h1></body></html>" if pending else b"<html><body>No code</body></html>"
            return self.reply(200, page, [("Content-Type", "text/html")])
        if url.path != "/oauth/authorize":
            return self.reply(404, b"not found")
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        redirect, state = q.get("redirect_uri"), q.get("state")
        if not redirect or not state or q.get("code_challenge_method") != "S256":
            return self.reply(400, b"bad authorize request")
        if CONTROL["authorize"] == "deny":
            params = {"error": "access_denied", "error_description": "The user denied the request", "state": state}
        else:
            code = "code-" + secrets.token_hex(12)
            with LOCK:
                CODES[code] = (q["code_challenge"], redirect, q.get("client_id", ""))
                ISSUED_CODES.append(code)
            if CONTROL["decorate_state"] == "1":
                state += ".onboarding_entrypoint=life_sciences"
            params = {"code": code, "state": state}
        self.reply(302, headers=[("Location", f"{redirect}?{urlencode(params)}")])

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        if url.path.startswith("/api/accounts/deviceauth/"):
            with LOCK:
                LOG.append(f"POST {url.path}")
            return self.device(url.path, json.loads(body or "{}"))
        # codex sends the refresh and the revocation as JSON, the code exchange as a form.
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                form = json.loads(body or "{}")
            except ValueError:
                return self.json(400, {"error": "invalid_request"})
            if not isinstance(form, dict):
                return self.json(400, {"error": "invalid_request"})
        else:
            form = {k: v[0] for k, v in parse_qs(body).items()}
        with LOCK:
            LOG.append(f"POST {url.path} {form.get('grant_type', '')}")
        if url.path == "/oauth/revoke":
            token = form.get("token")
            if not isinstance(token, str) or not token:
                return self.json(400, {"error": "invalid_request"})
            revoke(token)
            return self.json(200, {})
        if url.path != "/oauth/token":
            return self.reply(404, b"not found")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with LOCK:
                entry = CODES.pop(form.get("code", ""), None)
            if entry is None:
                return self.json(400, {"error": "invalid_grant"})
            challenge, redirect, client_id = entry
            verifier = form.get("code_verifier", "")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != challenge or form.get("redirect_uri") != redirect:
                return self.json(400, {"error": "invalid_grant", "error_description": "PKCE or redirect_uri mismatch"})
            return self.json(200, mint(client_id))
        if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            key = "sk-rig-" + secrets.token_hex(8)
            with LOCK:
                MINTED.append(key)
            return self.json(200, {"access_token": key})
        if grant == "refresh_token":
            return self.refresh(form.get("refresh_token"), form.get("client_id") or "refresh")
        return self.json(400, {"error": "unsupported_grant_type"})

    def refresh(self, token, client_id):
        with LOCK:
            state = state_of(token) if isinstance(token, str) else "unknown"
            if state == "alive":
                TOKENS[token]["state"] = "used"
                grant = TOKENS[token]["grant"]
            REFRESHES.append({"alive": "ok", "used": "reused"}.get(state, "invalid"))
        if state == "alive":
            return self.json(200, mint(client_id, grant))
        code = {"used": "refresh_token_reused", "revoked": "refresh_token_invalidated"}.get(state, "refresh_token_invalidated")
        return self.json(401, REFRESH_ERRORS[code])

    def device(self, path, body):
        if path.endswith("/usercode"):
            if CONTROL["device"] == "disabled":
                return self.reply(404, b"not found")
            device_id = "dev-" + secrets.token_hex(8)
            code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
            with LOCK:
                DEVICE[device_id] = {"user_code": code, "approved": False}
            # codex wants the interval as a string.
            return self.json(200, {"device_auth_id": device_id, "user_code": code, "interval": "1"})
        if path.endswith("/token"):
            with LOCK:
                entry = DEVICE.get(body.get("device_auth_id"))
            if entry is None or entry["user_code"] != body.get("user_code"):
                return self.json(400, {"error": "unknown device code"})
            if not entry["approved"]:
                return self.json(403, {"error": "authorization_pending"})
            verifier = secrets.token_urlsafe(32)
            challenge = b64url(hashlib.sha256(verifier.encode()).digest())
            code = "code-" + secrets.token_hex(12)
            with LOCK:
                CODES[code] = (challenge, "https://auth.openai.com/deviceauth/callback", "device")
                ISSUED_CODES.append(code)
            return self.json(200, {"authorization_code": code, "code_challenge": challenge, "code_verifier": verifier})
        return self.reply(404, b"not found")


# What the real issuer answers to a refresh that cannot be done.
REFRESH_ERRORS = {
    "refresh_token_reused": {"error": {"code": "refresh_token_reused",
                                       "message": "Your refresh token has already been used to generate a new access token. Please try signing in again."}},
    "refresh_token_invalidated": {"error": {"code": "refresh_token_invalidated",
                                            "message": "Your refresh token has been invalidated. Please try signing in again."}},
}


class Backend(Issuer):
    """chatgpt.com's backend (fake_backend.py), on its own TLS connection."""

    def do_GET(self):
        self.serve("GET", b"")

    def do_POST(self):
        self.serve("POST", self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def serve(self, method, body):
        path = urlsplit(self.path).path

        def state(token):
            with LOCK:
                return state_of(token)

        def record(path, verdict, token):
            with LOCK:
                USES.append({"path": path, "verdict": verdict, "token": token})

        fake_backend.serve(self, method, path, self.headers, body, state, record)


class Proxy(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(65537).decode("latin-1").strip()
        headers = []
        while True:
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            headers.append(h)
        parts = line.split()
        if len(parts) != 3:
            return
        method, target, _ = parts
        if method == "CONNECT":
            serve = {"auth.openai.com:443": Issuer, "chatgpt.com:443": Backend}.get(target)
            if serve is None:
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.wfile.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            self.wfile.flush()
            try:
                tls = TLS.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                return
            serve(tls, self.client_address, self.server)
            return
        url = urlsplit(target)
        if method == "POST" and url.path == "/__state":
            length = 0
            for h in headers:
                name, _, value = h.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            asked = json.loads(self.rfile.read(length) or b"{}").get("tokens", [])
            with LOCK:
                body = json.dumps({t: state_of(t) for t in asked}).encode()
        elif url.path == "/__mint":
            body = json.dumps(mint("app_rig_minted")).encode()
        elif url.path == "/__control":
            for key, values in parse_qs(url.query).items():
                CONTROL[key] = values[0]
            body = json.dumps(CONTROL).encode()
        elif url.path == "/__issued":
            with LOCK:
                body = json.dumps(ISSUED).encode()
        elif url.path == "/__codes":
            with LOCK:
                body = json.dumps(ISSUED_CODES).encode()
        elif url.path == "/__minted":
            with LOCK:
                body = json.dumps(MINTED).encode()
        elif url.path == "/__refreshes":
            with LOCK:
                body = json.dumps(REFRESHES).encode()
        elif url.path == "/__uses":
            with LOCK:
                body = json.dumps(USES).encode()
        elif url.path == "/__log":
            with LOCK:
                body = json.dumps(LOG).encode()
        else:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n")
        self.wfile.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("0.0.0.0", PORT), Proxy)
    with open(os.path.join(STATE_DIR, "issuer.ready"), "w") as f:
        f.write(str(os.getpid()))
    server.serve_forever()
