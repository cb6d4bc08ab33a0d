# Modes `browser` and `device`: `codex login` (with $CRL_LOGIN_FLAG, `--device-auth` for the
# device code), its life tied to this channel. In browser mode the browser's callback reaches
# it through the tunnel; codex prints the device code on stdout, which goes to stderr here
# like the rest of its output.
# needs: finish_sign_in fresh_home one_sign_in refuse_by_policy refuse_keyring say
# needs: skip_if_logged_in $CRL_HOLD_PORT $CRL_LOGIN_FLAG $codex $fresh $policy_method $store
# needs: $work
# provides: native_of $native

refuse_keyring
skip_if_logged_in
one_sign_in
# codex refuses a ChatGPT login (browser or device code) where its config forces API keys, but
# only once started: refused here first.
[ "$policy_method" != api ] || refuse_by_policy

# Steering: hold the host's port $CRL_HOLD_PORT (1455) so that codex falls back to 1457,
# because the local 1455 is taken. The holder binds, then forks: its parent prints the
# child's pid and exits, so the port is held before codex starts. The child answers codex's
# `GET /cancel` with a 404 and stays; it ends with this shim.
holder=
if [ -n "${CRL_HOLD_PORT:-}" ]; then
    if command -v python3 >/dev/null 2>&1; then
        holder=$(python3 -c '
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(404)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
pid = os.fork()
if pid:
    # Flushed: os._exit does not, and a pid lost here is a holder never ended.
    print(pid, flush=True)
    os._exit(0)
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 1)
server.serve_forever()
' "$CRL_HOLD_PORT" </dev/null 2>/dev/null)
    elif command -v perl >/dev/null 2>&1; then
        holder=$(perl -MIO::Socket::INET -e '
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Listen => 8, ReuseAddr => 1) or exit 1;
my $pid = fork();
if ($pid) { print "$pid\n"; exit 0 }
open(STDOUT, ">", "/dev/null");
while (my $c = $l->accept) { print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"; close $c }
' "$CRL_HOLD_PORT" </dev/null 2>/dev/null)
    fi
fi

fresh_home

# npm's codex is a node wrapper around a native binary. Told `running` (codex has printed its
# URL, so the native process exists), the watcher notes which binary that is, in a private
# file: the result is then checked with it, without node's start-up. Where /proc does not
# tell (not Linux, or no wrapper), the check goes through $codex as before.
native_of() {
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        exe=$(readlink "/proc/$child/exe" 2>/dev/null) || continue
        case $exe in */codex) printf '%s\n' "$exe"; return ;; esac
    done
}

# The channel's stdin is kept on fd 3: the watcher reads it, and its end (the SSH channel or
# connection closed, the local tool gone) ends codex. Background jobs get /dev/null as stdin
# unless redirected explicitly, hence `<&3`.
exec 3<&0
# The browser is on the user's machine: codex must not start one here (a host with a desktop
# would open a useless window, and a second browser could race ours to the callback).
# codex runs in a process group of its own where setsid exists, so that cancelling it ends at
# once everything it started (npm's node wrapper and the native binary): ending its children
# first and then codex could miss a child started in between, left running on the host.
group=
command -v setsid >/dev/null 2>&1 && group=setsid
# shellcheck disable=SC2086
BROWSER=true CODEX_HOME=$fresh $group "$codex" -c "$store" login ${CRL_LOGIN_FLAG:-} </dev/null >&2 7>&- &
pid=$!
say started
(
    while IFS= read -r line; do
        case $line in
        cancel) break ;;
        running) native_of "$pid" >"$work/native" ;;
        esac
    done
    # Its whole group where it has one; else children first (npm's codex is a node wrapper
    # around the native binary), where pkill exists, then codex itself.
    [ -z "$group" ] || kill -TERM -- "-$pid" 2>/dev/null
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
) <&3 3<&- &
watcher=$!
exec 3<&-
wait "$pid"
code=$?
# Before any output: a lost channel makes the next write fatal to this shim.
kill "$watcher" $holder 2>/dev/null
# Gone before this shell reads the channel again (revoke_old may ask the local side).
wait "$watcher" 2>/dev/null
# A codex ended while saving (the sign-in cancelled during the callback) leaves its temporary
# copy of the new login in the private home, which goes with it.
say exited $code
{ IFS= read -r native <"$work/native"; } 2>/dev/null
[ -n "$native" ] && [ -x "$native" ] || native=
finish_sign_in "$code"
