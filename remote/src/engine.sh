# Container engines: every call this tool makes to one is here. docker and podman take the
# same commands; another engine (kubectl for pods, say) would be these functions for it.
# The engine in use is $e.
# needs: $CRL_ENGINE $e
# provides: engine_all engine_env engine_exec engine_list engine_read engine_state
# provides: engine_unpack engines podman_may_know

# `engines`: the engines to try that are installed here: $CRL_ENGINE, else docker and podman,
# podman only where it may know a container (see podman_may_know).
engines() {
    for engine in ${CRL_ENGINE:-docker podman}; do
        command -v "$engine" >/dev/null 2>&1 || continue
        [ -n "${CRL_ENGINE:-}" ] || [ "$engine" != podman ] || podman_may_know || continue
        printf '%s\n' "$engine"
    done
    true
}

# `podman_may_know`: whether podman, run by this user, may know any container. Run by a user
# other than root, podman is rootless: every call starts a pause process that outlives it (its
# user namespace's keeper), which this tool must not leave behind for nothing. A user with no
# container store of podman's own has no container podman could find, so podman is asked only
# where one exists or its place is configured (storage.conf): then the pause process is
# podman's own, as after any podman command the user runs.
podman_may_know() {
    [ "$(id -u)" != 0 ] || return 0
    [ -z "${CONTAINERS_STORAGE_CONF:-}" ] || return 0
    [ ! -e "${XDG_CONFIG_HOME:-$HOME/.config}/containers/storage.conf" ] || return 0
    [ ! -d "${XDG_DATA_HOME:-$HOME/.local/share}/containers/storage" ] || return 0
    grep -qs '^[[:space:]]*rootless_storage_path' /etc/containers/storage.conf /usr/share/containers/storage.conf
}

# `engine_state CTR...`: a line `ID RUNNING "USER"` per container, in the order asked: its
# id, true or false, and its configured user as a JSON string ("" for the image's). JSON
# escapes every line end and control character, so each container's record is one line
# whatever its user holds (engines.sh checks it); fails when the engine does not know one of
# them.
engine_state() {
    "$e" inspect --type container --format '{{.Id}} {{.State.Running}} {{json .Config.User}}' "$@"
}

# `engine_env CTR`: its configured environment, a NAME=value a line. It may hold keys: keep
# it in a pipe, never in an argument.
engine_env() {
    "$e" inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' "$1"
}

# `engine_list [LABEL]`: the names of the running containers (those with label LABEL).
engine_list() {
    if [ -n "${1:-}" ]; then
        "$e" ps --filter "label=$1" --format '{{.Names}}'
    else
        "$e" ps --format '{{.Names}}'
    fi
}

# `engine_all`: the names of every container, running or not (`logout` compares them all).
engine_all() {
    "$e" ps -a --format '{{.Names}}'
}

# `engine_exec [-i] USER CTR CMD...`: CMD run in running container CTR as USER (empty: its
# own); with -i, this shell's stdin is passed in.
engine_exec() {
    if [ "$1" = -i ]; then
        engine_user=$2
        shift 2
        "$e" exec -i ${engine_user:+-u "$engine_user"} "$@"
    else
        engine_user=$1
        shift
        "$e" exec ${engine_user:+-u "$engine_user"} "$@"
    fi
}

# `engine_read CTR PATH`: file PATH of CTR on stdout, running nothing in it (stopped or not).
engine_read() {
    "$e" cp "$1:$2" - 2>/dev/null | tar -xOf - 2>/dev/null
}

# `engine_unpack CTR DIR`: the tar stream on stdin extracted into DIR of CTR (stopped or not).
engine_unpack() {
    "$e" cp - "$1:$2"
}
