# The keeper, on the host, started by `keeper start` (keeper.sh) and running until `keeper
# stop`: it keeps the access-only copies in the containers fresh, so that they never expire,
# while the host's login stays the one writer of its refresh token. Each round:
# - when the host's access token has lived half its life (and on the first round), the real
#   codex refreshes the login: `codex app-server`, asked `account/read` with `refreshToken`,
#   refreshes as codex always does, under its own lock, and writes auth.json itself; nothing
#   here sends a token anywhere or writes the host's login;
# - then one `containers` round (round.sh, with $CRL_KEEP) puts the current copy into each
#   container that does not hold it yet: a new or recreated one, or all after a refresh.
# Rounds come every quarter of the token's life, from 5 s to 60 s apart. A codex session on
# the host refreshes by itself only within 5 minutes of its token's end (codex 0.169, which
# holds no lock while its request is out): refreshing at half-life keeps the keeper out of
# that window for any token that lives over 10 minutes. What a round did is in $kdir/last
# (for `status`), a line a round in $kdir/log; neither holds a token.
# needs: alive claims_of $kdir
# provides: codex_refresh ms note round_of token_times

umask 077
cd -P "$kdir" || exit 1
# The session's settings, as keeper.sh kept them: the two paths, and the environment.
codex='' auth=''
while IFS= read -r line; do
    name=${line%%=*} value=${line#*=}
    case $name in
    codex) codex=$value ;;
    auth) auth=$value ;;
    PATH | CODEX_HOME | HTTPS_PROXY | https_proxy | HTTP_PROXY | http_proxy | ALL_PROXY | all_proxy | NO_PROXY | \
        no_proxy | CODEX_CA_CERTIFICATE | SSL_CERT_FILE | DOCKER_HOST | DOCKER_CONTEXT | DOCKER_CONFIG | \
        CONTAINER_HOST | XDG_RUNTIME_DIR | TMPDIR) export "$name=$value" ;;
    esac
done <"$kdir/env"
[ -n "$codex" ] && [ -n "$auth" ] || exit 1
TMPDIR=$kdir/tmp
export TMPDIR

# One keeper at a time: another that runs (a second start, cron racing systemd) stays.
old=$(cat pid 2>/dev/null)
case $old in '' | *[!0-9]*) ;; *) [ "$old" = $$ ] || ! alive "$old" || exit 0 ;; esac
echo $$ >pid
# Stopped: its sleep and its codex go with it (a round under way ends first: the shell waits).
sleeper='' server=''
trap 'kill $sleeper $server 2>/dev/null; rm -f "$kdir/pid" "$kdir/tmp/rpc.in"; exit 0' TERM INT HUP

note() {
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>log
    # The log stays small: past 256 KB, its newer half is kept.
    [ "$(wc -c <log)" -le 262144 ] || { tail -c 131072 log >log.new && mv -f log.new log; }
}

# `token_times`: exp and iat of the host's access token (Unix seconds; empty when it says none).
token_times() {
    claims=$(claims_of access_token "$auth")
    exp=$(printf '%s\n' "$claims" | sed -n 's/.*"exp"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
    iat=$(printf '%s\n' "$claims" | sed -n 's/.*"iat"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
}

# `codex_refresh`: codex refreshes the login (app-server's `account/read` with `refreshToken`);
# fails unless auth.json changed. codex answers the same whether it refreshed, found the login
# refreshed already, or could not reach the issuer, so the file is what tells.
codex_refresh() {
    before=$(cksum <"$auth")
    rm -f tmp/rpc.in tmp/rpc.out
    mkfifo tmp/rpc.in || return 1
    "$codex" app-server <tmp/rpc.in >tmp/rpc.out 2>/dev/null &
    server=$!
    exec 6>tmp/rpc.in
    printf '%s\n' '{"id":1,"method":"initialize","params":{"clientInfo":{"name":"codex-remote-login-keeper","version":"1"}}}' \
        '{"method":"initialized"}' '{"id":2,"method":"account/read","params":{"refreshToken":true}}' >&6
    n=0
    until grep -q '"id":[[:space:]]*2[,}]' tmp/rpc.out 2>/dev/null || [ $n -ge 600 ] || ! kill -0 "$server" 2>/dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
    # Its input closed, app-server ends; one that does not is ended.
    exec 6>&-
    n=0
    while kill -0 "$server" 2>/dev/null; do
        [ $n -lt 50 ] || kill "$server" 2>/dev/null
        sleep 0.1
        n=$((n + 1))
    done
    wait "$server" 2>/dev/null
    server=
    rm -f tmp/rpc.in tmp/rpc.out
    [ "$(cksum <"$auth")" != "$before" ]
}

# `ms`: now, in milliseconds where `date` tells nanoseconds (GNU), else in whole seconds.
ms() {
    t=$(date +%s%N 2>/dev/null)
    case $t in *[!0-9]* | '') echo $(($(date +%s) * 1000)) ;; *) echo $((t / 1000000)) ;; esac
}

# `round_of OUT`: what the round said, in short: `copied N same N own N failed N`.
round_of() {
    printf 'copied %s same %s own %s failed %s\n' "$(grep -c '^[^ ]* ctr-copied ' "$1")" \
        "$(grep -c '^[^ ]* ctr-same ' "$1")" "$(grep -c '^[^ ]* ctr-own ' "$1")" "$(grep -c '^[^ ]* ctr-failed ' "$1")"
}

note "started (pid $$)"
refreshed_at=- first=1
while :; do
    now=$(date +%s)
    token_times
    life=3600
    [ -z "$exp" ] || [ -z "$iat" ] || [ "$exp" -le "$iat" ] || life=$((exp - iat))
    # The first round refreshes whatever the token's age: a start is also how to renew an
    # access token that was revoked (a `codex logout` by hand inside a container).
    start=$(ms) refresh_ms=-
    if [ -n "$first" ] || [ -z "$exp" ] || [ $((exp - now)) -le $((life / 2)) ]; then
        first=
        codex_refresh
        refresh_ok=$?
        refresh_ms=$(($(ms) - start))
        if [ "$refresh_ok" = 0 ]; then
            refreshed_at=$(date +%s)
            note "refreshed the login"
            token_times
        else
            note "codex did not refresh the login (see codex's log in ${auth%/*}/log)"
        fi
    fi
    rm -f written.new
    copies_start=$(ms)
    sh round.sh </dev/null >tmp/round.out 2>/dev/null
    copies_ms=$(($(ms) - copies_start))
    if [ -f written.new ]; then mv -f written.new written; else : >written; fi
    said=$(round_of tmp/round.out)
    mv -f tmp/round.out round.out
    note "round: $said (refresh $refresh_ms ms, copies $copies_ms ms)"
    printf 'round %s\nrefreshed %s\nexpires %s\nrefresh_ms %s\ncopies_ms %s\n%s\n' "$(date +%s)" "$refreshed_at" \
        "${exp:--}" "$refresh_ms" "$copies_ms" "$said" >last.new && mv -f last.new last
    every=$((life / 4))
    [ "$every" -ge 5 ] || every=5
    [ "$every" -le 60 ] || every=60
    sleep "$every" &
    sleeper=$!
    wait "$sleeper" 2>/dev/null
    sleeper=
done
