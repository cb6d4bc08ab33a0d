# A sign-in's own CODEX_HOME (login.sh, secret.sh). codex revokes and clears the login it finds
# in its home before it signs in (codex 0.169 and 0.171 do), so a sign-in that then does not
# finish (a timeout, Ctrl-C, a lost connection, a refused approval) would leave the host
# signed out with a dead token. codex therefore signs in against a private home that holds
# only the host's config.toml (its login policy); the host's login stays where it is,
# untouched and alive, until the new one exists. Then the new one is moved into place under
# codex's lock, as safe.sh writes a login (so a token a running codex rotated meanwhile is
# what gets replaced, never overwritten by an older one), and the old one is revoked as
# codex itself would (on the host) or set aside (inside a container, whose login may be a
# copy of the host's, which a revocation would kill).
# needs: enter_login leave_login replace_here say $CRL_SET_ASIDE $codex $exit_unlocked $home
# needs: $native $store
# provides: cannot fresh_home install_login keep_log one_sign_in revoke_old $fresh $work

# `one_sign_in`: holds this tool's own lock on the host's login for the whole sign-in (fd 7,
# on $home/.crl-sign-in.lock), so that two sign-ins racing on one host leave one login alive
# and the other reported, never neither: the second is refused before codex starts. Where
# nothing here takes a lock (no flock, perl or python3) the sign-in goes on unlocked.
one_sign_in() {
    { [ -d "$home" ] || (umask 077 && mkdir -p "$home"); } 2>/dev/null
    [ ! -h "$home/.crl-sign-in.lock" ] || return 0
    (umask 077 && : >>"$home/.crl-sign-in.lock") 2>/dev/null || return 0
    exec 7>>"$home/.crl-sign-in.lock" || return 0
    if command -v flock >/dev/null 2>&1; then
        flock -n 7
    elif command -v perl >/dev/null 2>&1; then
        perl -e 'use Fcntl qw(:flock); open(my $f, ">&=", 7) or exit 0; exit(flock($f, LOCK_EX | LOCK_NB) ? 0 : 1)'
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import fcntl, sys
try:
    fcntl.flock(7, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)'
    fi || { say busy; say done; exit 1; }
}

# `fresh_home`: a private directory $work (also $tmp, which the common part removes however
# the shim ends) holding the private home $fresh, with the host's config.toml when it has one.
fresh_home() {
    work=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/crl-login.XXXXXX") ||
        { say install-failed "cannot make a private directory in ${TMPDIR:-/tmp}"; say done; exit 1; }
    tmp=$work
    fresh=$work/home
    mkdir "$fresh" || { say install-failed "cannot make a private directory in $work"; say done; exit 1; }
    if [ -f "$home/config.toml" ]; then
        cp "$home/config.toml" "$fresh/config.toml" ||
            { say install-failed "cannot read $home/config.toml"; say done; exit 1; }
    fi
}

# `keep_log`: codex's log of this sign-in appended to the host's own (codex appends there too),
# where the user finds it and report_log reads its tail; nothing is written through a link.
keep_log() {
    [ -f "$fresh/log/codex-login.log" ] || return 0
    (umask 077 && mkdir -p "$home/log") 2>/dev/null || return 0
    [ ! -h "$home/log" ] && [ ! -h "$home/log/codex-login.log" ] || return 0
    (umask 077 && cat "$fresh/log/codex-login.log" >>"$home/log/codex-login.log") 2>/dev/null
}

# `install_login`: the new login ($fresh/auth.json) replaces the host's, the old one kept as a
# backup ($backup, its path) until it is revoked or set aside (`revoke_old`). Said as
# `install-failed WHY` when it cannot be done: the host's login is then as it was.
install_login() {
    cannot() { say install-failed "$1"; }
    [ -f "$fresh/auth.json" ] || { cannot "codex said it signed in but wrote no auth.json"; return 1; }
    # In a subshell: entering the login changes directory, umask and noclobber, and
    # replace_here uses $tmp for its own temporary file.
    (
        trap 'rm -f ${tmp:+"$tmp"}' EXIT
        trap 'exit 129' HUP
        trap 'exit 141' PIPE
        trap 'exit 143' TERM
        enter_login "$home"
        case $? in
        0) ;;
        "$exit_unlocked") say nolock "$home" ;;
        *) exit 1 ;;
        esac
        replace_here "$(date +%Y%m%dT%H%M%S)" <"$fresh/auth.json" || exit 1
        leave_login
        printf '%s\n' "$backup" >"$work/backup"
    ) || return 1
    backup=
    IFS= read -r backup <"$work/backup" 2>/dev/null || backup=
    [ -z "$backup" ] || backup=$home/$backup
    say installed
}

# `revoke_old`: what becomes of the login the new one replaced. On the host, a ChatGPT login is
# revoked as codex itself revokes it (`codex logout` against a private home holding only the
# old file: best-effort at the issuer, so said as "requested"), and its backup goes with it;
# an API key has nothing to revoke and stays as the backup. Inside a container
# ($CRL_SET_ASIDE) the old login is only set aside as the backup.
revoke_old() {
    [ -n "$backup" ] || { say previous none; return 0; }
    if [ -n "${CRL_SET_ASIDE:-}" ]; then
        say previous set-aside "$backup"
        return 0
    fi
    case $(tr -d ' \t\r\n' <"$backup") in
    *'"tokens":{'*) ;;
    *) say previous kept "$backup"; return 0 ;;
    esac
    # Other places may hold this login (copies in containers, this machine's own): the local
    # side, which surveyed them alongside the sign-in, says whether to revoke it (`proceed`)
    # or to keep it (anything else).
    say previous-ask
    IFS= read -r answer || answer=
    [ "$answer" = proceed ] || { say previous kept "$backup"; return 0; }
    (umask 077 && mkdir "$work/old" && cp "$backup" "$work/old/auth.json") || { say previous kept "$backup"; return 0; }
    if CODEX_HOME=$work/old "${native:-$codex}" -c "$store" logout </dev/null >"$work/old/out" 2>&1; then
        rm -f "$backup"
        say previous revoke-requested
    else
        say previous kept "$backup"
    fi
}
