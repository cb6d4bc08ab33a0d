# Which places on this host hold the same login as the host, for `logout` and for the survey
# a sign-in makes before it revokes the login it replaced (copies.sh). Copies are compared here,
# by a hash of their refresh token: no token and no plain hash leaves the host; this machine
# gets a hash salted afresh for each run (`salted`), to find its own copy.
# needs: engine_all engine_of engine_read engines place_of $CRL_SALT $auth $cap $dir $errs
# needs: $user
# provides: salted survey_containers token_hash $e $host_hash

# `token_hash FILE`: a digest of the refresh token in auth.json FILE (empty when it holds none).
# The token goes from sed to the digest on a pipe: never an argument, never a variable.
token_hash() {
    grep -q '"refresh_token"[[:space:]]*:[[:space:]]*"[^"]' "$1" 2>/dev/null || return 0
    sed -n 's/.*"refresh_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1 |
        { sha256sum 2>/dev/null || cksum; } | cut -d ' ' -f 1
}

host_hash=
[ -f "$auth" ] && host_hash=$(token_hash "$auth")

# `salted FILE`: a SHA-256 of $CRL_SALT (fresh for each run) followed by the refresh token in
# auth.json FILE, for this machine to compare its own login with; empty when there is no token
# or nothing here computes SHA-256. The token goes on a pipe, as in token_hash.
salted() {
    grep -q '"refresh_token"[[:space:]]*:[[:space:]]*"[^"]' "$1" 2>/dev/null || return 0
    {
        printf '%s' "$CRL_SALT"
        sed -n 's/.*"refresh_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1 | tr -d '\n'
    } | { sha256sum 2>/dev/null || shasum -a 256 2>/dev/null; } | cut -d ' ' -f 1
}

# `survey_containers`: every container the engines here know, running or not, with the hash of
# its login, one line each in $errs/.survey: `NAME HASH` (HASH - when it holds none that could
# be read). Read by the engine's archive copy, which starts nothing in the container; all
# containers at once, since engine calls are what many containers cost.
survey_containers() {
    for e in $(engines); do
        engine_all 2>/dev/null
    done | sort -u >"$errs/.all"
    while read -r c; do
        [ -n "$c" ] || continue
        (
            engine_of "$c" || exit 0
            place_of "$c" "$e" "$user" >/dev/null 2>&1 || exit 0
            engine_read "$c" "$dir/auth.json" | head -c "$cap" >"$errs/$c.auth"
            h=$(token_hash "$errs/$c.auth")
            rm -f "$errs/$c.auth"
            echo "$c ${h:--}" >"$errs/$c.survey"
        ) </dev/null &
    done <"$errs/.all"
    wait
    cat "$errs"/*.survey >"$errs/.survey" 2>/dev/null || : >"$errs/.survey"
}
