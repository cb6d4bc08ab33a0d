# Run inside a container, as its user, by `containers` (containers.sh): where its codex looks
# (its CODEX_HOME, else its HOME's .codex), whether that place is the user's alone with
# nothing planted in it (safe.sh), under codex's lock where the container has a tool to take
# it, whether the copy there is fresher (refreshed at all when the host's never was, or
# later), and if not, the host's auth.json (stdin) written beside it under a fresh name and
# renamed into place, the old one kept (the three newest backups stay).
# Arguments: when the host's login was refreshed (digits, or -), the backups' stamp, whether
# to write all the same (non-empty: --force), and whether the keeper writes (non-empty). Says
# `fresher DIR`, `own DIR` (the keeper's refusal) or `copied BACKUP DIR` on stdout, why not on
# stderr.
# needs: enter_login later refreshed replace_here $at $backup $body $exit_declined
# provides: refuse

host_at=$1 stamp=$2 force=$3 keep=${4:-}
umask 077
d=${CODEX_HOME:-$HOME/.codex}
# Read what the host sends all the same when refusing: an exec that ends with its stdin unread
# can fail on the engine side with a broken pipe.
refuse() { cat >/dev/null; exit "$1"; }
enter_login "$d"
[ $? = 1 ] && refuse "$exit_declined"
if [ -z "$force" ] && [ -f auth.json ]; then
    refreshed auth.json
    # The keeper ($4 non-empty) writes only over its own copies: a login holding a refresh
    # token is the container's own (or a whole copy), which it never replaces.
    # shellcheck disable=SC2154 # `refreshed` sets body
    rest=${body#*\"refresh_token\"}
    if [ -n "$keep" ] && [ "$rest" != "$body" ]; then
        rest=${rest#"${rest%%[!	 :]*}"}
        case $rest in
        '""'*) ;;
        '"'*) cat >/dev/null; printf "own %s\n" "$d"; exit 0 ;;
        esac
    fi
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
