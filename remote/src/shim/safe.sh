# Writing a login where others might have planted links, for `push`, `collect` (on the host)
# and `containers` (inside each container): its text, carried as $safe_sh, is prepended to the
# program each container's shell runs, and evaluated here for the host. `enter_login` enters
# the login's directory with `cd -P`, so every name below is relative to the very directory
# that was checked, whatever happens to the path leading to it. Failures are said through
# `cannot WHY`.
# needs: $exit_unlocked
# provides: backup_name cannot enter_login leave_login no_links private_here prune_backups
# provides: replace_here take_lock $backup

# `cannot WHY`: on stderr, for a container's program; on the host, its callers make it an
# event of their own (write.sh, fresh.sh).
cannot() { echo "$1" >&2; }
# `private_here`: whether the current directory is a safe place for a login: owned by this
# user, and writable by no one else (unless sticky). Says why not on stderr.
private_here() {
    set -f
    # shellcheck disable=SC2046 # the fields of ls, split on purpose
    set -- $(ls -ldn . 2>/dev/null)
    set +f
    perms=${1:-} owner=${3:-}
    if [ "$owner" != "$(id -u)" ]; then
        echo "$PWD belongs to user ${owner:-?}, not to $(id -u)" >&2; return 1
    fi
    case $perms in
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
# another; exit_unlocked: no flock, perl or python3 here to take it with.
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
            return "$exit_unlocked"
        fi
    done
}
# `backup_name STAMP`: STAMP-NN, NN one more than that of any backup made in that second, so
# that backups (auth.json.bak-STAMP-NN-XXXXXX) sort in the order they were made.
backup_name() {
    when=$1 n=0
    for f in "auth.json.bak-$when-"*; do
        x=${f#"auth.json.bak-$when-"}
        x=${x%%-*}
        case $x in "" | *[!0-9]*) continue ;; esac
        x=${x#"${x%%[!0]*}"}
        [ "${x:-0}" -lt "$n" ] || n=$((${x:-0} + 1))
    done
    printf "%s-%02d" "$when" "$n"
}
# `enter_login DIR`: makes DIR (private) where missing, enters it, checks it (private_here,
# no_links), turns noclobber on and takes codex lock on fds 8 and 9. 0: ready; exit_unlocked:
# ready, but nothing here takes the lock; 1: refused or impossible (said; nothing held).
enter_login() {
    login_dir=$1
    { [ -d "$login_dir" ] || (umask 077 && mkdir -p "$login_dir"); } 2>/dev/null || { cannot "cannot create $login_dir"; return 1; }
    cd -P "$login_dir" 2>/dev/null || { cannot "cannot enter $login_dir"; return 1; }
    complaint=$({ private_here && no_links auth.json auth.lock auth.json.lock; } 2>&1) || { cannot "$complaint"; return 1; }
    umask 077
    set -C
    exec 8>>auth.lock 9>>auth.json.lock || { set +C; cannot "cannot open the lock files in $PWD"; return 1; }
    take_lock
    case $? in
    0) ;;
    "$exit_unlocked") return "$exit_unlocked" ;;
    *) leave_login; cannot "codex has held its lock on $PWD/auth.json for over 10 s (a refresh?): nothing was written; run again"; return 1 ;;
    esac
}
# `leave_login`: lets go of codex lock and of noclobber.
leave_login() {
    exec 8>&- 9>&-
    set +C
}
# `replace_here STAMP [SIZE]`: auth.json here becomes stdin (exactly SIZE bytes of it, when
# given), written beside it under a fresh name and renamed into place; the old file is kept as
# auth.json.bak-STAMP-NN-XXXXXX ($backup: that name, or empty) and the three newest stay. On
# failure: said, status 1, nothing left behind.
replace_here() {
    when=$1 bytes=${2:-}
    t=$(mktemp .auth.json.crl-XXXXXX) || { cannot "cannot create a temporary file in $PWD"; return 1; }
    tmp=$PWD/$t
    if [ -n "$bytes" ]; then
        head -c "$bytes" >>"$t"
        [ "$(wc -c <"$t" | tr -d " ")" = "$bytes" ] || { rm -f "./$t"; cannot truncated; return 1; }
    else
        cat >>"$t" || { rm -f "./$t"; cannot "cannot write in $PWD"; return 1; }
    fi
    backup=
    if [ -f auth.json ]; then
        backup=$(mktemp "auth.json.bak-$(backup_name "$when")-XXXXXX") && cat auth.json >>"$backup" ||
            { rm -f "./$t" ${backup:+"./$backup"}; cannot "cannot back up $PWD/auth.json"; return 1; }
    fi
    mv -f "$t" auth.json || { rm -f "./$t" ${backup:+"./$backup"}; cannot "cannot rename into $PWD/auth.json"; return 1; }
    # shellcheck disable=SC2034 # read by the trap that removes $tmp, which is auth.json now
    tmp=
    [ -z "$backup" ] || prune_backups "$backup"
}
# `prune_backups KEEP`: the three newest backups stay (KEEP, just made, among them); older
# ones go, since old tokens are secrets too.
prune_backups() {
    keep=$1 total=0
    for f in auth.json.bak-*; do [ -f "$f" ] && [ ! -h "$f" ] && total=$((total + 1)); done
    for f in auth.json.bak-*; do
        [ "$total" -gt 3 ] || break
        if [ "$f" != "$keep" ] && [ -f "$f" ] && [ ! -h "$f" ]; then rm -f "./$f" && total=$((total - 1)); fi
    done
}
