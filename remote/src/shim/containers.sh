# Mode `containers`: the host's auth.json copied into containers on this host, all at once.
# For each container in $CRL_CONTAINERS: the engine that knows it (docker or podman, or
# $CRL_ENGINE), the user it runs as, and where that user's codex keeps its login (asked of
# the container itself: its CODEX_HOME, else its HOME's .codex). The file is written beside
# the old one as that user, private, and renamed into place, the old one kept as a backup; a
# copy refreshed more recently than the host's is left alone unless $CRL_FORCE. The token
# travels on the exec's stdin, never in a command line.

[ -f "$auth" ] || { say ctr-nologin "$auth"; say done; exit 1; }

# The engine that knows container $1.
engine_of() {
    for e in ${CRL_ENGINE:-docker podman}; do
        if command -v "$e" >/dev/null 2>&1 && "$e" inspect --type container --format '{{.Id}}' "$1" >/dev/null 2>&1; then
            printf '%s\n' "$e"
            return 0
        fi
    done
    return 1
}

# RFC 3339 to whole seconds, comparable as text (codex writes UTC).
seconds_of() {
    printf '%s\n' "$1" | sed 's/\..*//; s/Z$//'
}

host_refreshed=$(seconds_of "$(json_str last_refresh "$(cat "$auth")")")

# The engines' complaints, one file per container, for the reason of a failure.
errs=$(mktemp -d "${TMPDIR:-/tmp}/crl-errs.XXXXXX") || { say ctr-nologin "cannot make a temporary directory"; exit 1; }

# The engine's last words about container $1.
why() {
    tail -n 1 "$errs/$1" 2>/dev/null | tr -d '\r' | cut -c 1-200
}

into() {
    c=$1
    e=$(engine_of "$c") || { say ctr-failed "$c" "neither docker nor podman on this host knows it"; return; }
    info=$("$e" inspect --type container --format '{{.State.Running}} {{.Config.User}}' "$c" 2>/dev/null)
    running=${info%% *}
    user=${info#"$running"}
    user=${user# }
    [ -n "$user" ] || user=root
    if [ "$running" != true ]; then
        say ctr-failed "$c" "it is stopped; start it (copying into stopped containers is not supported yet)"
        return
    fi
    # Where this user's codex looks, and what is there now.
    found=$("$e" exec -u "$user" "$c" sh -c 'd=${CODEX_HOME:-$HOME/.codex}; printf "%s\n" "$d"; cat "$d/auth.json" 2>/dev/null; true' 2>"$errs/$c")
    case $? in
    0) ;;
    126 | 127) say ctr-failed "$c" "it has no shell (sh) to write with, or $e cannot exec into it: $(why "$c")"; return ;;
    *) say ctr-failed "$c" "$e exec into it failed: $(why "$c")"; return ;;
    esac
    dir=$(printf '%s\n' "$found" | head -n 1)
    theirs=$(seconds_of "$(json_str last_refresh "$(printf '%s\n' "$found" | sed 1d)")")
    # Fresher: refreshed at all when the host's never was, or later than the host's.
    if [ -z "${CRL_FORCE:-}" ] && [ "$theirs" != - ] && { [ "$host_refreshed" = - ] || expr "$theirs" \> "$host_refreshed" >/dev/null; }; then
        say ctr-fresher "$c" "$e" "$user" "$dir"
        return
    fi
    stamp=$(date +%Y%m%dT%H%M%S)
    backup=$("$e" exec -i -u "$user" "$c" sh -c '
umask 077
d=$1
mkdir -p "$d" && chmod 700 "$d" || exit 3
t="$d/.auth.json.crl-$$"
cat >"$t" || { rm -f "$t"; exit 4; }
b=-
if [ -f "$d/auth.json" ]; then
    b=$2
    # A backup of credentials is private, whatever mode the old file had.
    cp -p "$d/auth.json" "$d/auth.json.bak-$b" && chmod 600 "$d/auth.json.bak-$b" || { rm -f "$t"; exit 5; }
fi
chmod 600 "$t" && mv -f "$t" "$d/auth.json" || { rm -f "$t"; exit 6; }
printf "%s\n" "$b"' sh "$dir" "$stamp-$$" <"$auth" 2>"$errs/$c") || {
        say ctr-failed "$c" "writing $dir/auth.json as $user failed: $(why "$c")"
        return
    }
    say ctr-copied "$c" "$e" "$user" "$backup" "$dir"
}

# --all-running / --label: the running containers every engine here knows, once each.
if [ -n "${CRL_SELECT:-}" ]; then
    for e in ${CRL_ENGINE:-docker podman}; do
        command -v "$e" >/dev/null 2>&1 || continue
        if [ "$CRL_SELECT" = all ]; then
            "$e" ps --format '{{.Names}}' 2>/dev/null
        else
            "$e" ps --filter "label=$CRL_SELECT" --format '{{.Names}}' 2>/dev/null
        fi
    done >"$errs/.selected"
    for c in $(sort -u "$errs/.selected"); do
        case " $CRL_CONTAINERS " in *" $c "*) ;; *) CRL_CONTAINERS="$CRL_CONTAINERS $c" ;; esac
    done
fi

# All containers at once: each line of output is one short write, so lines do not mix.
for c in $CRL_CONTAINERS; do
    into "$c" &
done
wait
say done
