# Which places on this host hold the same login as the host, for `logout`, `status` and for
# the survey a sign-in makes before it revokes the login it replaced (copies.sh). Copies are
# compared here, by a hash of their refresh token: no token and no plain hash leaves the host;
# this machine gets a hash salted afresh for each run (`salted`), to find its own copy. An
# access-only copy (an empty refresh token, as `containers` makes them) has no login of its
# own: its access token lives and dies with the login of its account it came from, so it goes
# by a hash of that account, marked `acct-`.
# needs: claims_of engine_all engine_of engine_read engines place_of $CRL_SALT $auth $cap $dir
# needs: $errs $user
# provides: account_hash digest salted survey_containers token_hash $e $host_access $host_hash

# `digest`: stdin's SHA-256 (or cksum where there is none), in hex.
digest() { { sha256sum 2>/dev/null || cksum; } | cut -d ' ' -f 1; }

# `token_hash FILE`: a digest of the refresh token in auth.json FILE; for an access-only copy,
# its account_hash; empty when it holds neither. The token goes from sed to the digest on a
# pipe: never an argument, never a variable. The line end goes: sed keeps the file's own, and
# a file written without a final newline must hash as one written with it.
token_hash() {
    if grep -q '"refresh_token"[[:space:]]*:[[:space:]]*"[^"]' "$1" 2>/dev/null; then
        sed -n 's/.*"refresh_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1 | tr -d '\n' | digest
    elif grep -q '"refresh_token"[[:space:]]*:[[:space:]]*""' "$1" 2>/dev/null; then
        account_hash "$1"
    fi
}

# `account_hash FILE`: `acct-` and a digest of tokens.account_id in auth.json FILE (empty when
# it names none). The mark holds a character no digest has (sha256sum's are hex, cksum's
# decimal): a token's hash never passes for one.
account_hash() {
    grep -q '"account_id"[[:space:]]*:[[:space:]]*"[^"]' "$1" 2>/dev/null || return 0
    printf 'acct-%s\n' "$(sed -n 's/.*"account_id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1 | tr -d '\n' | digest)"
}

host_hash='' host_access=''
if [ -f "$auth" ]; then
    host_hash=$(token_hash "$auth")
    host_access=$(account_hash "$auth")
fi

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
# its login and when its access token expires, one line each in $errs/.survey: `NAME HASH
# EXPIRES` (HASH - when it holds none that could be read; EXPIRES Unix seconds, or -). Read by the engine's archive copy, which starts nothing in the container; all
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
            x=$(claims_of access_token "$errs/$c.auth" | sed -n 's/.*"exp"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
            rm -f "$errs/$c.auth"
            echo "$c ${h:--} ${x:--}" >"$errs/$c.survey"
        ) </dev/null &
    done <"$errs/.all"
    wait
    cat "$errs"/*.survey >"$errs/.survey" 2>/dev/null || : >"$errs/.survey"
}
