"""The stand-in for chatgpt.com's backend, beside the issuer (fake_issuer.py serves it on a
`CONNECT chatgpt.com:443`): only what a signed-in codex calls with its ChatGPT login, and as
strict as the real edge about that login.

Every request must carry `Authorization: Bearer ACCESS_TOKEN` with an access token the issuer
minted and still holds alive (not expired, not revoked, its grant not ended), and
`ChatGPT-Account-ID` naming the token's account; otherwise 401, as the real edge answers a
stale token (codex then refreshes and retries once). Served:
  GET  /backend-api/wham/accounts/check   the account's routing (codex app-server's
                                          `account/read` asks it before refreshing)
  POST /backend-api/codex/responses       one model turn, streamed: a fixed assistant
                                          message (`codex exec` runs one)
Anything else is 404: codex treats its other calls (models, usage, plugins) as optional.

Each answer is recorded as a use: `(path, verdict, token)`, read by /__uses."""
import json

from tokens import claims_of

ACCOUNT = "acct-rig"


def sse(*events):
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


TURN = sse(
    {"type": "response.created", "response": {"id": "resp-rig"}},
    {"type": "response.output_item.done",
     "item": {"type": "message", "role": "assistant", "id": "msg-rig",
              "content": [{"type": "output_text", "text": "rig says hello"}]}},
    {"type": "response.completed",
     "response": {"id": "resp-rig", "usage": {"input_tokens": 1, "input_tokens_details": None,
                                              "output_tokens": 1, "output_tokens_details": None,
                                              "total_tokens": 2}}},
)


def serve(handler, method, path, headers, body, state_of, record):
    """Answers one request on the backend's TLS connection through `handler.reply`."""
    auth = headers.get("Authorization", "")
    token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
    state = state_of(token) if token else "missing"
    account = (claims_of(token).get("https://api.openai.com/auth") or {}).get("chatgpt_account_id")
    if state == "alive" and headers.get("ChatGPT-Account-ID") not in (None, account):
        state = "wrong-account"
    record(path, state, token)
    if state != "alive":
        detail = {"expired": "Provided authentication token is expired. Please try signing in again.",
                  "revoked": "Your authentication token has been invalidated. Please try signing in again."}
        message = detail.get(state, "Could not parse your authentication token. Please try signing in again.")
        return handler.reply(401, json.dumps({"detail": {"message": message}}).encode(),
                             [("Content-Type", "application/json")])
    if method == "GET" and path == "/backend-api/wham/accounts/check":
        reply = {"accounts": [{"id": account, "workspace_backend_origin": "https://chatgpt.com",
                               "account_routing_override": "NO_CONSTRAINT"}]}
        return handler.reply(200, json.dumps(reply).encode(), [("Content-Type", "application/json")])
    if method == "GET" and path == "/backend-api/codex/responses":
        # A WebSocket upgrade: this edge speaks HTTPS only, which codex falls back to at once.
        return handler.reply(426, b"upgrade required")
    if method == "POST" and path == "/backend-api/codex/responses":
        return handler.reply(200, TURN, [("Content-Type", "text/event-stream")])
    return handler.reply(404, b"not found")
