#!/usr/bin/env python3
"""The stand-in for auth.openai.com: the only fake in the rig (nothing here reaches the internet).

An HTTP proxy on one port. `CONNECT auth.openai.com:443` is answered and the connection is
turned into TLS with a certificate from the rig's test CA; requests on it are served as the
issuer: /oauth/authorize (302 back to the redirect_uri with code and state), /oauth/token
(authorization_code with PKCE checked; token-exchange), /oauth/revoke, and the device-code
flow: /api/accounts/deviceauth/usercode, /api/accounts/deviceauth/token (403 while pending),
and /codex/device, the page where a person would type the code: visiting it approves the
newest pending code.

Plain requests to the proxy itself steer and inspect it (tests run one at a time):
  GET /__control?authorize=deny|ok&decorate_state=1|0&device=ok|disabled   next behaviour
                 &email=TEXT&plan=TEXT   the id_token's email and plan claims (any text, control
                                         characters included: a hostile issuer or account)
  GET /__issued                                           the last tokens minted (JSON)
  GET /__codes                                            every authorization code handed out
                                                          since the issuer started (JSON list)
  GET /__minted                                           every token and key minted since the
                                                          issuer started (JSON list)
  GET /__log                                              paths requested (no query strings)

Usage: fake_issuer.py PORT CERT KEY STATE_DIR
"""
import base64, hashlib, json, os, secrets, socket, socketserver, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs, urlencode

PORT, CERT, KEY, STATE_DIR = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LOCK = threading.Lock()
CONTROL = {"authorize": "ok", "decorate_state": "0", "device": "ok", "email": "alice@rig.test", "plan": "plus"}
CODES = {}
# Every authorization code ever handed out, for tests that search for them where they must not be.
ISSUED_CODES = []
MINTED = []
DEVICE = {}  # device_auth_id -> {"user_code", "approved", "verifier"}
LOG = []
ISSUED = {}

TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
TLS.load_cert_chain(CERT, KEY)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims):
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    # Non-ASCII claims as UTF-8, as a real issuer sends them (C1 controls and bidi overrides
    # stay raw characters; C0 controls are escaped, as JSON requires).
    body = json.dumps(claims, ensure_ascii=False).encode()
    return f"{header}.{b64url(body)}.{b64url(b'rig-signature')}"


def mint(client_id):
    now = int(time.time())
    auth = {"chatgpt_account_id": "acct-rig", "chatgpt_plan_type": CONTROL["plan"], "chatgpt_user_id": "user-rig"}
    common = {"iss": "https://auth.openai.com", "aud": [client_id], "sub": "user-rig", "iat": now, "exp": now + 3600}
    tokens = {
        "id_token": jwt({**common, "email": CONTROL["email"], "email_verified": True, "https://api.openai.com/auth": auth}),
        "access_token": jwt({**common, "https://api.openai.com/auth": auth, "jti": secrets.token_hex(8)}),
        "refresh_token": "rt-rig-" + secrets.token_hex(16),
    }
    with LOCK:
        ISSUED.clear()
        ISSUED.update(tokens)
        MINTED.extend(tokens.values())
    return tokens


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
        form = {k: v[0] for k, v in parse_qs(body).items()}
        with LOCK:
            LOG.append(f"POST {url.path} {form.get('grant_type', '')}")
        if url.path == "/oauth/revoke":
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
            return self.json(200, mint("refresh"))
        return self.json(400, {"error": "unsupported_grant_type"})

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
            if target != "auth.openai.com:443":
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.wfile.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            self.wfile.flush()
            try:
                tls = TLS.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                return
            Issuer(tls, self.client_address, self.server)
            return
        url = urlsplit(target)
        if url.path == "/__control":
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
