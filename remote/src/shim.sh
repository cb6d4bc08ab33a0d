# codex-remote-login remote shim: finds codex, runs `codex login`, ties its life to this
# channel, and reports what happened as `crl1 <kind> ...` lines on stdout.
# POSIX sh: runs under dash, busybox ash and bash. The local side prepends CRL_* variables.
# stdout is the event stream and nothing else writes to it: codex's own output goes to stderr.

say() { printf 'crl1 %s\n' "$*"; }

# Prints the first executable `codex` in the colon-separated list $1.
find_in() {
    old_ifs=$IFS; IFS=:; set -f
    for dir in $1; do
        if [ -n "$dir" ] && [ -f "$dir/codex" ] && [ -x "$dir/codex" ]; then
            IFS=$old_ifs; set +f; printf '%s\n' "$dir/codex"; return 0
        fi
    done
    IFS=$old_ifs; set +f; return 1
}

# The PATH the user's login shell would have. npm, nvm and ~/.local/bin installs often put
# codex there only. `-l -c env` works for sh, bash, zsh and fish; csh takes no -l with -c.
login_path() {
    shell=${SHELL:-/bin/sh}
    for flags in "-l -c" "-c"; do
        # shellcheck disable=SC2086
        p=$("$shell" $flags env </dev/null 2>/dev/null | sed -n 's/^PATH=//p' | head -n 1)
        if [ -n "$p" ]; then printf '%s\n' "$p"; return 0; fi
    done
    return 1
}

known_dirs="$HOME/.local/bin:$HOME/.npm-global/bin:$HOME/.volta/bin:$HOME/.bun/bin:$HOME/bin:/usr/local/bin:/opt/homebrew/bin"
for d in "$HOME"/.nvm/versions/node/*/bin; do [ -d "$d" ] && known_dirs="$known_dirs:$d"; done

# Reports event $1 with the auth mode, email and plan of auth.json $2 ("-" where unknown),
# read from the id_token's claims without printing any token.
account_of() {
    f=$2
    mode=$(sed -n 's/.*"auth_mode"[[:space:]]*:[[:space:]]*"\([a-zA-Z]*\)".*/\1/p' "$f" | head -n 1)
    payload=$(sed -n 's/.*"id_token"[[:space:]]*:[[:space:]]*"[^".]*\.\([^".]*\)\..*/\1/p' "$f" | head -n 1)
    email=-; plan=-
    if [ -n "$payload" ]; then
        pad=$(( (4 - ${#payload} % 4) % 4 ))
        while [ "$pad" -gt 0 ]; do payload="$payload="; pad=$((pad - 1)); done
        claims=$(printf '%s' "$payload" | tr '_-' '/+' | { base64 -d 2>/dev/null || base64 -D 2>/dev/null; })
        e=$(printf '%s' "$claims" | sed -n 's/.*"email"[[:space:]]*:[[:space:]]*"\([^"[:space:]]*\)".*/\1/p' | head -n 1)
        p=$(printf '%s' "$claims" | sed -n 's/.*"chatgpt_plan_type"[[:space:]]*:[[:space:]]*"\([^"[:space:]]*\)".*/\1/p' | head -n 1)
        [ -n "$e" ] && email=$e
        [ -n "$p" ] && plan=$p
    fi
    [ -n "$mode" ] || { [ -n "$payload" ] && mode=chatgpt || mode=apikey; }
    say "$1" "$mode" "$email" "$plan"
}

say hello 1 $$

if [ -n "${CRL_CODEX_HOME:-}" ]; then
    case $CRL_CODEX_HOME in "~/"*) CRL_CODEX_HOME="$HOME/${CRL_CODEX_HOME#"~/"}" ;; esac
    # codex refuses a CODEX_HOME that does not exist; asked for one, make it private.
    [ -d "$CRL_CODEX_HOME" ] || (umask 077 && mkdir -p "$CRL_CODEX_HOME")
    CODEX_HOME=$CRL_CODEX_HOME; export CODEX_HOME
fi
home=${CODEX_HOME:-$HOME/.codex}
auth="$home/auth.json"

codex=
if [ -n "${CRL_CODEX:-}" ]; then
    case $CRL_CODEX in "~/"*) CRL_CODEX="$HOME/${CRL_CODEX#"~/"}" ;; esac
    if [ -f "$CRL_CODEX" ] && [ -x "$CRL_CODEX" ]; then
        codex=$CRL_CODEX; say codex override "$codex"
    else
        say bad-override "$CRL_CODEX"; exit 126
    fi
elif codex=$(find_in "$PATH"); then
    say codex path "$codex"
elif lp=$(login_path) && codex=$(find_in "$lp"); then
    # codex from npm is `#!/usr/bin/env node`: node lives on the same login PATH.
    PATH=$lp:$PATH; export PATH
    say codex login-shell "$codex"
elif codex=$(find_in "$known_dirs"); then
    PATH=${codex%/codex}:$PATH; export PATH
    say codex known-dir "$codex"
else
    say not-found "PATH, the login shell's PATH (${SHELL:-/bin/sh} -l), $known_dirs"
    exit 127
fi

if [ -f "$auth" ]; then account_of before "$auth"; else say before none; fi

# What could relay the callback if this host's sshd forbids TCP forwarding (see relay.sh).
relays=
for tool in nc python3 perl bash; do
    command -v "$tool" >/dev/null 2>&1 && relays="$relays $tool"
done
say relays$relays

# Steering: hold the host's port $CRL_HOLD_PORT (1455) so that codex falls back to 1457,
# because the local 1455 is taken. The holder answers codex's `GET /cancel` with a 404 and
# stays; it ends with this shim.
holder=
if [ -n "${CRL_HOLD_PORT:-}" ]; then
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(404)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$CRL_HOLD_PORT" </dev/null >/dev/null 2>&1 &
        holder=$!
    elif command -v perl >/dev/null 2>&1; then
        perl -MIO::Socket::INET -e '
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Listen => 8, ReuseAddr => 1) or exit 1;
while (my $c = $l->accept) { print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"; close $c }
' "$CRL_HOLD_PORT" </dev/null >/dev/null 2>&1 &
        holder=$!
    fi
fi

# The channel's stdin is kept on fd 3: the watcher reads it, and its end (the SSH channel or
# connection closed, the local tool gone) ends codex. Background jobs get /dev/null as stdin
# unless redirected explicitly, hence `<&3`.
exec 3<&0
store=cli_auth_credentials_store=file
# The browser is on the user's machine: codex must not start one here (a host with a desktop
# would open a useless window, and a second browser could race ours to the callback).
BROWSER=true "$codex" -c "$store" login </dev/null >&2 &
pid=$!
say started $pid
(
    while IFS= read -r line; do
        case $line in cancel) break ;; esac
    done
    # Children first (npm's codex is a node wrapper around the native binary), where pkill
    # exists; then codex itself.
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
) <&3 3<&- &
watcher=$!
exec 3<&-
wait "$pid"
code=$?
# Before any output: a lost channel makes the next write fatal to this shim.
kill "$watcher" $holder 2>/dev/null
say exited $code

if [ "$code" -eq 0 ]; then
    if "$codex" -c "$store" login status >/dev/null 2>&1; then
        say status logged-in
    else
        say status not-logged-in
    fi
    if [ -f "$auth" ]; then
        say authfile $(ls -ln "$auth" | cut -c 1-10) "$auth"
        account_of account "$auth"
    else
        say authfile missing "$auth"
    fi
fi
say done
exit "$code"
