# Where the keeper keeps itself on this host: in the user's own home, nothing outside it.
# provides: alive keeper_pid $kdir

kdir=${HOME:?}/.codex-remote-login/keeper

# `keeper_pid`: the pid of the running keeper, if one runs: its pid file names a live process
# (not one that died and was never reaped: a killed keeper's parent is whatever adopted it).
keeper_pid() {
    pid=$(cat "$kdir/pid" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    alive "$pid" && printf '%s\n' "$pid"
}

# `alive PID`: whether process PID runs (and is not a zombie).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 1 ;; esac
}

