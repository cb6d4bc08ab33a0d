# Containers on this host, for `containers`, `collect` and `logout`: the engine that knows
# each one, its user and where that user's codex keeps its login, and the selection by
# --all-running or --label.
# needs: engine_env engine_list engine_read engine_state engines later refreshed say $CRL_FORCE
# needs: $CRL_SELECT $at $auth
# provides: capped each_container engine_of keep_theirs place_of seconds_of state_of
# provides: valid_login why $CRL_CONTAINERS $cap $dir $e $errs $gid $host_at $id $running $uid
# provides: $user $why

# Whether file $1 is a login codex can use: a JSON object with tokens or an API key (checked
# with python3 where it is, else by its shape).
valid_login() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
sys.exit(0 if isinstance(d, dict) and (isinstance(d.get("tokens"), dict) or d.get("OPENAI_API_KEY")) else 1)
' "$1" 2>/dev/null
    else
        body=$(tr -d ' \t\r\n' <"$1")
        case $body in '{'*'}') ;; *) return 1 ;; esac
        case $body in *'"tokens":{'* | *'"OPENAI_API_KEY":"'*) return 0 ;; *) return 1 ;; esac
    fi
}

# `state_of RECORD`: sets id, running and user from one record of engine_state, and fails,
# with `why` set, unless it is exactly `ID true|false "USER"`, ID 12 to 64 hex digits and USER
# a plain name: letters, digits, `.`, `_`, `-` and `:` (before a group), not starting with
# `-`. Anything else is not a user this tool runs anything as: whitespace or a control
# character (JSON shows them escaped, with a backslash) could shift the fields of an event,
# or of the next record.
state_of() {
    id=${1%% *}
    rest=${1#"$id" }
    running=${rest%% *}
    user=${rest#"$running" }
    shown=$user
    case $id in
    *[!0-9a-f]* | "$1") why="$e answered something unexpected about it"; return 1 ;;
    esac
    [ ${#id} -ge 12 ] && [ ${#id} -le 64 ] || { why="$e answered something unexpected about it"; return 1; }
    case $running in
    true | false) ;;
    *) why="$e answered something unexpected about it"; return 1 ;;
    esac
    case $user in
    '""') user=root; return 0 ;;
    '"'*'"') user=${user#'"'}; user=${user%'"'} ;;
    *) why="$e answered something unexpected about it"; return 1 ;;
    esac
    case $user in
    *' '* | *\\*) why="its configured user $shown holds whitespace or a control character: nothing is run as it" ;;
    -* | *[![:alnum:]._:-]*) why="its configured user $shown is not a plain user name: nothing is run as it" ;;
    *) return 0 ;;
    esac
    return 1
}

# The engine that knows container $1, the user it runs as, and whether it runs, in one
# inspect (each engine call costs CPU, which fanning out multiplies): sets e, user, running;
# fails with `why` set.
engine_of() {
    for e in $(engines); do
        info=$(engine_state "$1" 2>/dev/null) || continue
        state_of "$info"
        return
    done
    why="neither docker nor podman on this host knows it"
    return 1
}

# Runs `$1 CONTAINER` for every container in $CRL_CONTAINERS at once and waits for them all.
# When one engine knows them all (the usual case) a single inspect answers for every one and
# e, running and user are set before each starts, with `known` as its second argument; engine
# calls are what fanning out costs. Otherwise each finds its own with engine_of. Only an
# answer of exactly one record per container is read so; for a container whose record does
# not pass state_of, the second argument is `bad` (and `why` says why): it gets a failed row
# and nothing else.
each_container() {
    each=$1
    for e in $(engines); do
        # shellcheck disable=SC2086 # container names hold no spaces
        engine_state $CRL_CONTAINERS >"$errs/.known" 2>/dev/null || continue
        # shellcheck disable=SC2086
        set -- $CRL_CONTAINERS
        [ "$(wc -l <"$errs/.known" | tr -d ' ')" = $# ] || break
        while IFS= read -r record; do
            if state_of "$record"; then
                "$each" "$1" known &
            else
                "$each" "$1" bad
            fi
            shift
        done <"$errs/.known"
        wait
        return
    done
    for c in $CRL_CONTAINERS; do
        "$each" "$c" &
    done
    wait
}

# RFC 3339 to whole seconds, for showing (codex writes UTC).
seconds_of() {
    printf '%s\n' "$1" | sed 's/\..*//; s/Z$//'
}


refreshed "$auth"
# shellcheck disable=SC2154 # `refreshed` (defined by eval) sets it
host_at=$at

# Whether a copy refreshed at $1 (digits, or -) is fresher than the host's and must be kept.
keep_theirs() {
    [ -z "${CRL_FORCE:-}" ] && [ "$1" != - ] && { [ "$host_at" = - ] || later "$1" "$host_at"; }
}

# The engines' complaints, one file per container, for the reason of a failure.
errs=$(mktemp -d "${TMPDIR:-/tmp}/crl-errs.XXXXXX") ||
    { say ctr-aborted "cannot make a temporary directory in ${TMPDIR:-/tmp}"; say done; exit 1; }

# What a container sends this host is cut at this many bytes: it must not fill the disk. An
# auth.json larger than that is no login anyway.
cap=1048576

# `capped OUT ERR CMD...`: CMD's status, with its stdout in file OUT (cut at $cap + 1 bytes,
# to tell a file that is too large) and its stderr in file ERR (cut at $cap).
capped() {
    out=$1 err=$2
    shift 2
    { { "$@" 2>&1 >&3 3>&-; echo $? >"$err.rc"; } | head -c "$cap" >"$err"; } 3>&1 | head -c $((cap + 1)) >"$out"
    return "$(cat "$err.rc")"
}

# The engine's last words about container $1.
why() {
    tail -n 1 "$errs/$1" 2>/dev/null | tr -d '\r' | cut -c 1-200
}

# Where container $1 (engine $2) keeps the login of its user $3 without running anything in
# it: sets uid, gid and dir from its settings and its /etc/passwd. Fails, with `why` set, when
# the user cannot be placed.
# shellcheck disable=SC2034 # uid and gid are for containers.sh's archive; collect needs dir only
place_of() {
    ctr=$1 ctr_engine=$2 ctr_user=$3
    name=${ctr_user%%:*}
    entry=$(e=$ctr_engine engine_read "$ctr" /etc/passwd |
        awk -F: -v u="$name" '$1 == u || $3 == u { print; exit }')
    if [ -n "$entry" ]; then
        uid=$(printf '%s\n' "$entry" | cut -d: -f3)
        gid=$(printf '%s\n' "$entry" | cut -d: -f4)
        pw_home=$(printf '%s\n' "$entry" | cut -d: -f6)
    else
        case $name in '' | *[!0-9]*) why="its user $ctr_user is not in its /etc/passwd"; return 1 ;; esac
        uid=$name gid=$name pw_home=/
    fi
    case $ctr_user in *:*) gid=${ctr_user#*:} ;; esac
    # The container's environment may hold keys: it stays in this pipe, never an argument.
    found=$(e=$ctr_engine engine_env "$ctr" 2>/dev/null |
        sed -n 's/^CODEX_HOME=/c /p; s/^HOME=/h /p')
    dir='' h=''
    while IFS= read -r kv; do
        case $kv in
        "c "*) [ -n "$dir" ] || dir=${kv#c } ;;
        "h "*) [ -n "$h" ] || h=${kv#h } ;;
        esac
    done <<EOF
$found
EOF
    [ -n "$dir" ] || dir=${h:-$pw_home}/.codex
}

# --all-running / --label: the running containers every engine here knows, once each.
if [ -n "${CRL_SELECT:-}" ]; then
    label=$CRL_SELECT
    [ "$label" != all ] || label=
    for e in $(engines); do
        engine_list "$label" 2>/dev/null
    done >"$errs/.selected"
    for c in $(sort -u "$errs/.selected"); do
        case " $CRL_CONTAINERS " in *" $c "*) ;; *) CRL_CONTAINERS="$CRL_CONTAINERS $c" ;; esac
    done
fi

