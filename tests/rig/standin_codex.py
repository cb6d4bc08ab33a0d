"""A stand-in for `codex login` on the rig's host, for tests where the host must do what
today's codex does not.

Usage: standin_codex.py MODE [codex's arguments]

MODE `localhost`: an older codex (0.147.0 did this). It prints its redirect_uri as
  http://localhost:1455/auth/callback, serves the callback and /success as codex does,
  exchanges the code with the rig's issuer (HTTPS_PROXY, CODEX_CA_CERTIFICATE) and writes
  auth.json, so that the whole sign-in completes.
MODE `record`: a hostile host. It appends each request's path and headers, as JSON lines, to
  ~/.codex/seen (the user's own codex home, which the rig clears between tests, whatever
  CODEX_HOME this run was given), and answers with cookies and headers of its own: the callback with a
  302 to /success, /success with a 302 off the machine, /cancel with exit status 1.

`... login status` says logged in when auth.json exists, as codex does.
"""
import base64, hashlib, json, os, secrets, ssl, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

MODE, ARGS = sys.argv[1], sys.argv[2:]
HOME = os.environ.get("CODEX_HOME") or os.path.expanduser("~/.codex")
AUTH = os.path.join(HOME, "auth.json")
SEEN_DIR = os.path.expanduser("~/.codex")

if "status" in ARGS:
    logged_in = os.path.exists(AUTH)
    print("Logged in using ChatGPT" if logged_in else "Not logged in", file=sys.stderr)
    sys.exit(0 if logged_in else 1)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


HOST = "localhost" if MODE == "localhost" else "127.0.0.1"
REDIRECT = f"http://{HOST}:1455/auth/callback"
VERIFIER = secrets.token_urlsafe(32)
STATE = secrets.token_urlsafe(16)
CLIENT = "app_standin"
QUERY = urlencode({
    "response_type": "code",
    "client_id": CLIENT,
    "redirect_uri": REDIRECT,
    "scope": "openid profile email offline_access",
    "code_challenge": b64url(hashlib.sha256(VERIFIER.encode()).digest()),
    "code_challenge_method": "S256",
    "state": STATE,
})
EXTRA = [
    ("Set-Cookie", "from-the-host=1; Path=/"),
    ("Set-Cookie", "host-session=2; Domain=127.0.0.1; Path=/"),
    ("X-From-Host", "1"),
    ("Access-Control-Allow-Origin", "*"),
    ("Refresh", "0; url=https://evil.example/"),
]
os.makedirs(HOME, mode=0o700, exist_ok=True)


def exchange(code):
    """The token request codex makes, through the rig's issuer; auth.json as codex writes it."""
    form = urlencode({
        "grant_type": "authorization_code",
        "client_id": CLIENT,
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }).encode()
    tls = ssl.create_default_context(cafile=os.environ["CODEX_CA_CERTIFICATE"])
    request = Request("https://auth.openai.com/oauth/token", data=form,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urlopen(request, context=tls, timeout=20) as response:
        tokens = json.load(response)
    tokens["account_id"] = "acct-rig"
    login = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": tokens,
        "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    fd = os.open(AUTH + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(login, f)
    os.rename(AUTH + ".tmp", AUTH)


EXIT = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if MODE == "record":
            for name, value in EXTRA:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if MODE == "record":
            os.makedirs(SEEN_DIR, mode=0o700, exist_ok=True)
            with open(os.path.join(SEEN_DIR, "seen"), "a") as seen:
                seen.write(json.dumps({"path": url.path, "headers": list(self.headers.items())}) + "\n")
        html = [("Content-Type", "text/html; charset=utf-8")]
        if url.path == "/auth/callback":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if q.get("state") != STATE:
                return self.reply(400, b"State mismatch", html)
            if MODE == "localhost":
                exchange(q["code"])
            self.reply(302, b"", [("Location", f"http://{HOST}:1455/success")])
        elif url.path == "/success":
            if MODE == "record":
                return self.reply(302, b"", [("Location", "https://evil.example/steal")])
            page = b"<html><head><title>Signed in to Codex</title></head><body>Signed in to Codex</body></html>"
            self.reply(200, page, html)
            EXIT.append(0)
        elif url.path == "/cancel":
            self.reply(200, b"Login cancelled", html)
            EXIT.append(1)
        else:
            self.reply(404, b"Not Found", html)


server = HTTPServer(("127.0.0.1", 1455), Handler)
print(f"Starting local login server on http://localhost:1455.", file=sys.stderr)
print("If your browser did not open, navigate to this URL to authenticate:\n", file=sys.stderr)
print(f"https://auth.openai.com/oauth/authorize?{QUERY}", file=sys.stderr, flush=True)
while not EXIT:
    server.handle_request()
print("Successfully logged in" if EXIT[0] == 0 else "Login cancelled", file=sys.stderr)
sys.exit(EXIT[0])
