# Reading an auth.json as JSON, for `collect`: a container's file is judged by what codex would
# read in it, never by guessing at its text. Whichever of python3, node (which npm's codex
# brings) and perl's core JSON::PP the host has does the parsing; the comparisons are the
# shell's.
#
# `fields_py FILE` (and `fields_node`, `fields_perl`) prints one line each, `-` where absent:
#   1 the login's mode as codex resolves it (auth_mode, else apikey when there is a key, else
#     chatgpt)        2 OPENAI_API_KEY        3 last_refresh in microseconds since 1970 (UTC)
#   4 last_refresh as written                 5 `future` when that is over 5 minutes ahead of
#     this host's clock, else `ok`            6 tokens.account_id
#   7-10 the id_token's sub, chatgpt_user_id, chatgpt_account_id and email
#   11-13 the access token's sub, chatgpt_user_id and chatgpt_account_id
#   14 `yes` when it holds a refresh token (a non-empty tokens.refresh_token), else `-`
# and fails when the file is not a JSON object, or a value holds a control character.
# needs: $codex
# provides: auth_fields fields_node fields_perl fields_py read_login $json_tool $node

fields_py() {
    python3 -c '
import base64, calendar, json, re, sys, time

def claims(token):
    try:
        p = token.split(".")[1]
        c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        return c if isinstance(c, dict) else {}
    except Exception:
        return {}

def s(v):
    return v if isinstance(v, str) and v else "-"

def micros(text):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|([+-])(\d\d):(\d\d))", text)
    if not m:
        return None
    g = m.groups()
    t = calendar.timegm(tuple(int(x) for x in g[:6]) + (0, 0, 0))
    if g[8]:
        t -= (1 if g[8] == "+" else -1) * (int(g[9]) * 3600 + int(g[10]) * 60)
    return t * 1000000 + int(((g[6] or "") + "000000")[:6])

try:
    d = json.load(open(sys.argv[1], "rb"))
except Exception:
    sys.exit(1)
t = d.get("tokens") if isinstance(d, dict) else None
if not isinstance(d, dict) or not isinstance(t, (dict, type(None))):
    sys.exit(1)
t = t or {}
key = d.get("OPENAI_API_KEY")
mode = d.get("auth_mode") if isinstance(d.get("auth_mode"), str) else ("apikey" if key is not None else "chatgpt")
i, a = claims(t.get("id_token") or ""), claims(t.get("access_token") or "")
ia, aa = i.get("https://api.openai.com/auth") or {}, a.get("https://api.openai.com/auth") or {}
ia, aa = (ia if isinstance(ia, dict) else {}), (aa if isinstance(aa, dict) else {})
shown = s(d.get("last_refresh"))
at = micros(shown)
future = "future" if at is not None and at > (time.time() + 300) * 1000000 else "ok"
out = [s(mode), s(key), "-" if at is None else str(at), shown, future, s(t.get("account_id")),
       s(i.get("sub")), s(ia.get("chatgpt_user_id")), s(ia.get("chatgpt_account_id")), s(i.get("email")),
       s(a.get("sub")), s(aa.get("chatgpt_user_id")), s(aa.get("chatgpt_account_id")),
       "yes" if isinstance(t.get("refresh_token"), str) and t.get("refresh_token") else "-"]
if any(re.search(r"[\x00-\x1f\x7f]", v) for v in out):
    sys.exit(1)
sys.stdout.buffer.write(("\n".join(out) + "\n").encode("utf-8", "replace"))
' "$1" 2>/dev/null
}

fields_node() {
    "${node:-node}" -e '
const fs = require("fs");
const claims = (token) => {
    try {
        const p = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
        const c = JSON.parse(Buffer.from(p, "base64").toString("utf8"));
        return c && typeof c === "object" && !Array.isArray(c) ? c : {};
    } catch (e) {
        return {};
    }
};
const obj = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
const s = (v) => (typeof v === "string" && v !== "" ? v : "-");
const micros = (text) => {
    const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|([+-])(\d\d):(\d\d))$/.exec(text);
    if (!m) return null;
    let t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
    if (m[9]) t -= (m[9] === "+" ? 1 : -1) * (+m[10] * 3600 + +m[11] * 60);
    return t * 1000000 + +((m[7] || "") + "000000").slice(0, 6);
};
let d;
try {
    d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
} catch (e) {
    process.exit(1);
}
if (!d || typeof d !== "object" || Array.isArray(d)) process.exit(1);
let t = d.tokens;
if (t !== undefined && t !== null && (typeof t !== "object" || Array.isArray(t))) process.exit(1);
t = t || {};
const key = d.OPENAI_API_KEY;
const mode = typeof d.auth_mode === "string" ? d.auth_mode : key !== undefined && key !== null ? "apikey" : "chatgpt";
const i = claims(t.id_token || ""), a = claims(t.access_token || "");
const ia = obj(i["https://api.openai.com/auth"]), aa = obj(a["https://api.openai.com/auth"]);
const shown = s(d.last_refresh);
const at = micros(shown);
const future = at !== null && at > (Date.now() / 1000 + 300) * 1000000 ? "future" : "ok";
const out = [s(mode), s(key), at === null ? "-" : String(at), shown, future, s(t.account_id),
    s(i.sub), s(ia.chatgpt_user_id), s(ia.chatgpt_account_id), s(i.email),
    s(a.sub), s(aa.chatgpt_user_id), s(aa.chatgpt_account_id),
    typeof t.refresh_token === "string" && t.refresh_token !== "" ? "yes" : "-"];
if (out.some((v) => /[\x00-\x1f\x7f]/.test(v))) process.exit(1);
process.stdout.write(out.join("\n") + "\n");
' "$1" 2>/dev/null
}

fields_perl() {
    perl -MJSON::PP -MMIME::Base64 -MTime::Local -e '
sub claims {
    my ($token) = @_;
    my $p = (split /\./, ($token // ""))[1] // return {};
    $p =~ tr{-_}{+/};
    my $c = eval { JSON::PP->new->utf8->decode(decode_base64($p)) };
    return ref($c) eq "HASH" ? $c : {};
}
sub sv { my ($v) = @_; return (defined $v && !ref($v) && $v ne "") ? "$v" : "-" }
sub h { my ($v) = @_; return ref($v) eq "HASH" ? $v : {} }
sub micros {
    my ($text) = @_;
    $text =~ /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|([+-])(\d\d):(\d\d))$/ or return undef;
    my $t = timegm($6, $5, $4, $3, $2 - 1, $1);
    $t -= ($9 eq "+" ? 1 : -1) * ($10 * 3600 + $11 * 60) if defined $9;
    return $t * 1000000 + substr((($7 // "") . "000000"), 0, 6);
}
local $/;
open(my $f, "<", $ARGV[0]) or exit 1;
my $d = eval { JSON::PP->new->utf8->decode(<$f>) };
exit 1 unless ref($d) eq "HASH";
my $t = $d->{tokens};
exit 1 if defined $t && ref($t) ne "HASH";
$t = h($t);
my $key = $d->{OPENAI_API_KEY};
my $mode = (defined $d->{auth_mode} && !ref $d->{auth_mode}) ? $d->{auth_mode} : defined $key ? "apikey" : "chatgpt";
my ($i, $a) = (claims($t->{id_token}), claims($t->{access_token}));
my ($ia, $aa) = (h($i->{"https://api.openai.com/auth"}), h($a->{"https://api.openai.com/auth"}));
my $shown = sv($d->{last_refresh});
my $at = micros($shown);
my $future = (defined $at && $at > (time() + 300) * 1000000) ? "future" : "ok";
my @out = (sv($mode), sv($key), defined $at ? $at : "-", $shown, $future, sv($t->{account_id}),
    sv($i->{sub}), sv($ia->{chatgpt_user_id}), sv($ia->{chatgpt_account_id}), sv($i->{email}),
    sv($a->{sub}), sv($aa->{chatgpt_user_id}), sv($aa->{chatgpt_account_id}),
    (defined $t->{refresh_token} && !ref $t->{refresh_token} && $t->{refresh_token} ne "") ? "yes" : "-");
exit 1 if grep { /[\x00-\x1f\x7f]/ } @out;
binmode STDOUT, ":utf8";
print join("\n", @out), "\n";
' "$1" 2>/dev/null
}

# `auth_fields FILE`: the fields above, read with the first parser this host has.
auth_fields() {
    "fields_$json_tool" "$1"
}

# `read_login FILE PREFIX`: sets PREFIX_mode, _key, _us, _shown, _future, _acct, _isub,
# _iuser, _iacct, _email, _asub, _auser, _aacct, _refresh; fails when FILE is not a login one can read.
read_login() {
    prefix=$2
    lines=$(auth_fields "$1") || return 1
    old_ifs=$IFS
    IFS='
'
    set -f
    # shellcheck disable=SC2086 # one field per line
    set -- $lines
    IFS=$old_ifs
    set +f
    [ $# -eq 14 ] || return 1
    for n in mode key us shown future acct isub iuser iacct email asub auser aacct refresh; do
        eval "${prefix}_$n=\$1"
        shift
    done
}

# The JSON parser this host has, best first; none: `collect` cannot judge safely and refuses.
json_tool=
node=
if command -v python3 >/dev/null 2>&1; then
    json_tool=py
elif command -v node >/dev/null 2>&1; then
    json_tool=node
elif [ -n "$codex" ] && [ -x "${codex%/*}/node" ]; then
    json_tool=node node=${codex%/*}/node
elif perl -MJSON::PP -e 1 >/dev/null 2>&1; then
    json_tool=perl
fi
