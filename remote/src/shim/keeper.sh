# Mode `keeper`: starts ($CRL_KEEPER = start) or stops (stop) the keeper, which keeps the
# access-only copies in this host's containers fresh (keeper_loop.sh). Everything it is lives
# in $kdir, private to the user; it runs as the user, detached from this session, so that it
# outlives it. To start, the local side sends `round SIZE` and SIZE bytes on stdin: the
# program of one round (a `containers` run with $CRL_KEEP). The session's settings that codex
# and the engines read (PATH, proxies, CA bundles, DOCKER_HOST...) are kept for the keeper in
# $kdir/env, one `NAME=value` a line. Across a reboot it comes back through a lingering
# systemd user manager where there is one (it restarts the keeper if it dies), else through
# the user's crontab (`@reboot`), else not at all: said as `kp-started PID HOW`, HOW
# `systemd`, `cron` or `none`. Stopping undoes all of it: `kp-stopped`, or `kp-none` when
# nothing ran.
# needs: alive keeper_pid no_links private_here say $CRL_KEEPER $auth $claims_sh $codex
# needs: $json_tool $kdir $keeper_loop_sh $kept_sh
# provides: fail stop_keeper write_env

unit=codex-remote-login-keeper.service
reboot_line="@reboot cd \"\$HOME\" && /bin/sh .codex-remote-login/keeper/loop.sh >/dev/null 2>&1 # codex-remote-login keeper"

# `stop_keeper`: the running keeper stopped (waited for: a round under way ends first, a
# minute at most), and its way back after a reboot removed. Fails when it would not stop.
stop_keeper() {
    if command -v systemctl >/dev/null 2>&1 && [ -f "$HOME/.config/systemd/user/$unit" ]; then
        systemctl --user disable --now "$unit" >/dev/null 2>&1
        rm -f "$HOME/.config/systemd/user/$unit"
        systemctl --user daemon-reload >/dev/null 2>&1
    fi
    if command -v crontab >/dev/null 2>&1 && crontab -l 2>/dev/null | grep -qF '# codex-remote-login keeper'; then
        crontab -l 2>/dev/null | grep -vF '# codex-remote-login keeper' | crontab -
    fi
    pid=$(keeper_pid) || return 0
    kill "$pid" 2>/dev/null
    n=0
    while alive "$pid"; do
        [ $n -lt 600 ] || return 1
        sleep 0.1
        n=$((n + 1))
    done
}

# `write_env`: what the keeper needs of this session, in $kdir/env.
write_env() {
    {
        printf 'codex=%s\nauth=%s\n' "$codex" "$auth"
        # codex's own directory first: npm's codex is a node script, and where nvm put it,
        # node is beside it, on no PATH but the login shell's.
        printf 'PATH=%s\n' "${codex%/*}:$PATH"
        for name in CODEX_HOME HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy NO_PROXY \
            no_proxy CODEX_CA_CERTIFICATE SSL_CERT_FILE DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG CONTAINER_HOST \
            XDG_RUNTIME_DIR TMPDIR; do
            value=$(printenv "$name") || continue
            case $value in *'
'*) continue ;; esac
            printf '%s=%s\n' "$name" "$value"
        done
    } >"$kdir/env.new" && mv -f "$kdir/env.new" "$kdir/env"
}

if [ "$CRL_KEEPER" = stop ]; then
    pid=$(keeper_pid) || pid=
    stop_keeper || { say kp-failed "the keeper (pid $pid) would not stop"; say done; exit 1; }
    rm -rf "$kdir"
    rmdir "${kdir%/*}" 2>/dev/null
    if [ -n "$pid" ]; then say kp-stopped "$pid"; else say kp-none; fi
    say done
    exit 0
fi

# Start. What the keeper cannot do is refused before anything changes.
IFS=' ' read -r verb size || verb=
case $verb/$size in
round/[0-9]*) ;;
*) say kp-failed "the round program did not arrive"; say done; exit 1 ;;
esac
fail() { head -c "$size" >/dev/null; say kp-failed "$1"; say done; exit 1; }
[ -f "$auth" ] || fail "there is no login on this host ($auth): sign it in first"
grep -q '"refresh_token"[[:space:]]*:[[:space:]]*"[^"]' "$auth" ||
    fail "the login in $auth holds no refresh token (an API key, or a copy): there is nothing to keep fresh"
[ -n "$json_tool" ] ||
    fail "this host has none of python3, node or perl's JSON::PP to make access-only copies with"
"$codex" app-server --help >/dev/null 2>&1 ||
    fail "this codex ($codex) has no app-server, through which the keeper has codex refresh the login: update it"
umask 077
{ [ -d "$kdir" ] || mkdir -p "$kdir"; } 2>/dev/null || fail "cannot create $kdir"
cd -P "$kdir" 2>/dev/null || fail "cannot enter $kdir"
complaint=$({ private_here && no_links loop.sh round.sh env pid log last written how round.out; } 2>&1) ||
    fail "$complaint"
stop_keeper || fail "the keeper already running would not stop"
head -c "$size" >round.sh.new && [ "$(wc -c <round.sh.new | tr -d ' ')" = "$size" ] ||
    { rm -f round.sh.new; say kp-failed "the round program was cut short"; say done; exit 1; }
mv -f round.sh.new round.sh
printf '%s\n' "$kept_sh
$claims_sh
$keeper_loop_sh" >loop.sh.new && mv -f loop.sh.new loop.sh
write_env
rm -f written last pid
mkdir -p tmp

# Started detached from this session (its own session where setsid exists; deaf to the
# hang-up otherwise), so that it outlives the connection.
how=none
if command -v systemctl >/dev/null 2>&1 && [ "$(loginctl show-user "$(id -un)" -p Linger --value 2>/dev/null)" = yes ] &&
    systemctl --user is-system-running >/dev/null 2>&1; then
    mkdir -p "$HOME/.config/systemd/user"
    printf '[Unit]\nDescription=codex-remote-login keeper\n\n[Service]\nExecStart=/bin/sh %s/loop.sh\nRestart=on-failure\n\n[Install]\nWantedBy=default.target\n' \
        "$kdir" >"$HOME/.config/systemd/user/$unit"
    systemctl --user daemon-reload && systemctl --user enable --now "$unit" >/dev/null 2>&1 && how=systemd
fi
if [ "$how" = none ]; then
    if command -v setsid >/dev/null 2>&1; then
        setsid nohup /bin/sh "$kdir/loop.sh" </dev/null >/dev/null 2>&1 &
    else
        nohup /bin/sh "$kdir/loop.sh" </dev/null >/dev/null 2>&1 &
    fi
    if command -v crontab >/dev/null 2>&1; then
        { crontab -l 2>/dev/null | grep -vF '# codex-remote-login keeper'; printf '%s\n' "$reboot_line"; } | crontab - && how=cron
    fi
fi
# Started: it names itself in its pid file once it runs (5 s at most).
n=0
until pid=$(keeper_pid); do
    [ $n -lt 50 ] || { stop_keeper; say kp-failed "the keeper did not start (see $kdir/log)"; say done; exit 1; }
    sleep 0.1
    n=$((n + 1))
done
printf '%s\n' "$how" >how
say kp-started "$pid" "$how"
say done
