"""Tokens shaped as OpenAI's, made in one place for the rig's issuer (fake_issuer.py) and for
scripts/faults (faults.py), which import this from beside them: JWTs whose signature nobody
here checks."""
import base64, json


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims, signature=b"rig-signature"):
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    # Non-ASCII claims as UTF-8, as a real issuer sends them (C1 controls and bidi overrides
    # stay raw characters; C0 controls are escaped, as JSON requires).
    body = json.dumps(claims, ensure_ascii=False).encode()
    return f"{header}.{b64url(body)}.{b64url(signature)}"


def claims_of(token):
    """The claims of a JWT, unchecked; {} when it is not one."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
