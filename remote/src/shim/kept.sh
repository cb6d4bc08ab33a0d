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

# `alive PID`: whether process PID runs (and is not a zombie). Its state comes from /proc
# where there is one, else from ps; a process gone between the two looks (rightly) dead.
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -d /proc/self ]; then
        proc_state=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        proc_state=${proc_state##*) }
    elif command -v ps >/dev/null 2>&1; then
        proc_state=$(ps -o stat= -p "$1" 2>/dev/null)
        proc_state=${proc_state# }
    else
        return 0
    fi
    case $proc_state in '' | Z* | X*) return 1 ;; esac
}

