# Writing a login where others might have planted links, for `push`, `collect` (on the host)
# and `containers` (inside each container): defined as text in $safe_sh because it also runs
# inside containers (prepended to the program each one's shell runs), and evaluated here for
# the host. The caller has entered the login's directory with `cd -P`, so every name below is
# relative to the very directory that was checked, whatever happens to the path leading to it.

safe_sh='# `private_here`: whether the current directory is a safe place for a login: owned by this
# user, and writable by no one else (unless sticky). Says why not on stderr.
private_here() {
    set -f; set -- $(ls -ldn . 2>/dev/null); set +f
    if [ "${3:-}" != "$(id -u)" ]; then
        echo "$PWD belongs to user ${3:-?}, not to $(id -u)" >&2; return 1
    fi
    case $1 in
    ?????????[tT]*) ;;
    ?????w* | ????????w*) echo "$PWD is writable by other users (chmod go-w $PWD)" >&2; return 1 ;;
    esac
}
# `no_links NAME...`: none of the names is a symbolic link. Says which one on stderr.
no_links() {
    for n in "$@"; do
        if [ -h "$n" ]; then echo "$PWD/$n is a symbolic link: nothing is written through it" >&2; return 1; fi
    done
}
# `take_lock`: holds the lock codex holds while it writes auth.json (flock(2) on auth.lock,
# then on auth.json.lock, opened on fds 8 and 9), waiting up to 10 s. 1: still held by
# another; 3: no flock, perl or python3 here to take it with (the caller goes on unlocked).
take_lock() {
    for fd in 8 9; do
        if command -v flock >/dev/null 2>&1; then
            flock -w 10 "$fd" || return 1
        elif command -v perl >/dev/null 2>&1; then
            perl -e "use Fcntl qw(:flock); open(my \$f, \">&=\", $fd) or exit 2;
                for (1..100) { exit 0 if flock(\$f, LOCK_EX | LOCK_NB); select(undef, undef, undef, 0.1) } exit 1" || return 1
        elif command -v python3 >/dev/null 2>&1; then
            python3 -c "import fcntl, sys, time
for _ in range(100):
    try:
        fcntl.flock($fd, fcntl.LOCK_EX | fcntl.LOCK_NB); sys.exit(0)
    except BlockingIOError:
        time.sleep(0.1)
sys.exit(1)" || return 1
        else
            return 3
        fi
    done
}
# `backup_name STAMP`: STAMP-NN, NN one more than that of any backup made in that second, so
# that backups (auth.json.bak-STAMP-NN-XXXXXX) sort in the order they were made.
backup_name() {
    n=0
    for f in "auth.json.bak-$1-"*; do
        x=${f#"auth.json.bak-$1-"}
        x=${x%%-*}
        case $x in "" | *[!0-9]*) continue ;; esac
        x=${x#"${x%%[!0]*}"}
        [ "${x:-0}" -lt "$n" ] || n=$((${x:-0} + 1))
    done
    printf "%s-%02d" "$1" "$n"
}
# `prune_backups KEEP`: the three newest backups stay (KEEP, just made, among them); older
# ones go, since old tokens are secrets too.
prune_backups() {
    total=0
    for f in auth.json.bak-*; do [ -f "$f" ] && [ ! -h "$f" ] && total=$((total + 1)); done
    for f in auth.json.bak-*; do
        [ "$total" -gt 3 ] || break
        if [ "$f" != "$1" ] && [ -f "$f" ] && [ ! -h "$f" ]; then rm -f "./$f" && total=$((total - 1)); fi
    done
}'
eval "$safe_sh"
