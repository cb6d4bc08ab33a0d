# Run inside a container, as its user, by `containers` (containers.sh): where its codex looks
# (its CODEX_HOME, else its HOME's .codex), whether that place is the user's alone with
# nothing planted in it (safe.sh), under codex's lock where the container has a tool to take
# it, whether the copy there is fresher (refreshed at all when the host's never was, or
# later), and if not, the host's auth.json (stdin) written beside it under a fresh name and
# renamed into place, the old one kept (the three newest backups stay).
# Arguments: when the host's login was refreshed (digits, or -), the backups' stamp, and
# whether to write all the same (non-empty: --force). Says `fresher DIR` or `copied BACKUP
# DIR` on stdout, why not on stderr.
# needs: enter_login later refreshed replace_here $at $backup $exit_declined
# provides: refuse

host_at=$1 stamp=$2 force=$3
umask 077
d=${CODEX_HOME:-$HOME/.codex}
# Read what the host sends all the same when refusing: an exec that ends with its stdin unread
# can fail on the engine side with a broken pipe.
refuse() { cat >/dev/null; exit "$1"; }
enter_login "$d"
[ $? = 1 ] && refuse "$exit_declined"
if [ -z "$force" ] && [ -f auth.json ]; then
    refreshed auth.json
    if [ "$at" != - ] && { [ "$host_at" = - ] || later "$at" "$host_at"; }; then
        cat >/dev/null
        printf "fresher %s\n" "$d"
        exit 0
    fi
fi
chmod 700 . || refuse 1
replace_here "$stamp" || refuse 1
kept=${backup#auth.json.bak-}
printf "copied %s %s\n" "${kept:--}" "$d"
