# The access-only copy of a login, for `containers` and the keeper: the host's auth.json as
# it is, but for tokens.refresh_token, which becomes "" (codex 0.169 and 0.171 read such a
# file as signed in; a missing or null one they refuse). A copy that holds no refresh token
# cannot rotate it, so no container's codex can log the host or another container out: the
# host's login stays the one writer. The copy lives as long as its access token; the keeper
# writes the next one before then. An API-key login has nothing that rotates: it goes as it
# is, byte for byte. Whichever of python3, node and perl's JSON::PP the host has does the JSON (authjson.sh
# chose it); none: no copy, said by the caller, never a full copy in its place.
# needs: $json_tool $node
# provides: access_only

# `access_only FILE OUT`: the copy of login FILE written to OUT (which must not exist); says
# `access` or `apikey` on stdout. Fails when FILE is not a login it can read.
access_only() {
    case $json_tool in
    py) python3 -c '
import json, sys
src, out = sys.argv[1:3]
try:
    raw = open(src, "rb").read()
    d = json.loads(raw)
except Exception:
    sys.exit(1)
t = d.get("tokens") if isinstance(d, dict) else None
if isinstance(t, dict):
    t["refresh_token"] = ""
    kind = "access"
elif t is None and isinstance(d, dict) and isinstance(d.get("OPENAI_API_KEY"), str):
    kind = "apikey"
else:
    sys.exit(1)
with open(out, "x" if kind == "access" else "xb") as f:
    if kind == "access":
        json.dump(d, f, indent=2)
    else:
        f.write(raw)
print(kind)
' "$1" "$2" ;;
    node) "${node:-node}" -e '
const fs = require("fs");
const [src, out] = process.argv.slice(1, 3);
let raw, d;
try { raw = fs.readFileSync(src); d = JSON.parse(raw.toString("utf8")); } catch (e) { process.exit(1); }
const obj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
if (!obj(d)) process.exit(1);
let kind;
if (obj(d.tokens)) { d.tokens.refresh_token = ""; kind = "access"; }
else if ((d.tokens === undefined || d.tokens === null) && typeof d.OPENAI_API_KEY === "string") kind = "apikey";
else process.exit(1);
fs.writeFileSync(out, kind === "access" ? JSON.stringify(d, null, 2) : raw, { flag: "wx", mode: 0o600 });
console.log(kind);
' "$1" "$2" ;;
    perl) perl -MJSON::PP -e '
my ($src, $out) = @ARGV;
local $/;
open(my $f, "<", $src) or exit 1;
my $raw = <$f>;
my $d = eval { JSON::PP->new->utf8->decode($raw) };
exit 1 unless ref($d) eq "HASH";
my $kind;
if (ref($d->{tokens}) eq "HASH") { $d->{tokens}{refresh_token} = ""; $kind = "access" }
elsif (!defined $d->{tokens} && defined $d->{OPENAI_API_KEY} && !ref $d->{OPENAI_API_KEY}) { $kind = "apikey" }
else { exit 1 }
use Fcntl;
sysopen(my $o, $out, O_WRONLY | O_CREAT | O_EXCL, 0600) or exit 1;
print $o ($kind eq "access" ? JSON::PP->new->utf8->pretty->canonical->encode($d) : $raw);
close($o) or exit 1;
print "$kind\n";
' "$1" "$2" ;;
    *) return 1 ;;
    esac 2>/dev/null
}
