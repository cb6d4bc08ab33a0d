# Replacing the host's auth.json (`push`, `collect`) so that nothing planted in CODEX_HOME is
# written through, and no refresh by codex in between is overwritten.

# The auth.json this run judged, as `cksum` sees it (empty when there is none): what must
# still be in place when it is replaced.
seen=$(cksum 2>/dev/null <"$auth" || true)

# `replace_auth KIND SRC [SIZE]`: the bytes of file SRC (or, for -, SIZE bytes of stdin) become
# $home/auth.json, private, by a rename, under codex's own lock, provided the directory is this
# user's alone, nothing there is a link, and auth.json is still the one judged. The old file is
# kept as a backup (its path in `backup`), the three newest kept. Refusals are said as event
# KIND; nothing is left behind then.
replace_auth() {
    kind=$1 src=$2 size=${3:-}
    backup=
    [ -d "$home" ] || (umask 077 && mkdir -p "$home") || { say "$kind" "cannot create $home"; return 1; }
    cd -P "$home" 2>/dev/null || { say "$kind" "cannot enter $home"; return 1; }
    why=$({ private_here && no_links auth.json auth.lock auth.json.lock; } 2>&1) || { say "$kind" "$why"; return 1; }
    umask 077
    set -C
    exec 8>>auth.lock 9>>auth.json.lock || { set +C; say "$kind" "cannot open the lock files in $home"; return 1; }
    take_lock
    case $? in
    0) ;;
    3) say nolock "$home" ;;
    *) unlock; say "$kind" "codex has held its lock on $home/auth.json for over 10 s (a refresh?): nothing was written; run again"; return 1 ;;
    esac
    if [ "$(cksum 2>/dev/null <auth.json || true)" != "$seen" ]; then
        unlock; say "$kind" "$auth changed while this ran (codex refreshed it?): nothing was written; run again"; return 1
    fi
    t=$(mktemp .auth.json.crl-XXXXXX) || { unlock; say "$kind" "cannot create a temporary file in $home"; return 1; }
    tmp=$PWD/$t
    if [ "$src" = - ]; then
        head -c "$size" >>"$t"
        [ "$(wc -c <"$t" | tr -d ' ')" = "$size" ] || { unlock; say "$kind" truncated; return 1; }
    else
        cat "$src" >>"$t" || { unlock; say "$kind" "cannot write in $home"; return 1; }
    fi
    b=
    if [ -f auth.json ]; then
        b=$(mktemp "auth.json.bak-$(backup_name "$(date +%Y%m%dT%H%M%S)")-XXXXXX") && cat auth.json >>"$b" ||
            { [ -z "$b" ] || rm -f "./$b"; unlock; say "$kind" "cannot back up $auth"; return 1; }
    fi
    mv -f "$t" auth.json || { [ -z "$b" ] || rm -f "./$b"; unlock; say "$kind" "cannot rename into $auth"; return 1; }
    tmp=
    [ -z "$b" ] || { prune_backups "$b"; backup=$home/$b; }
    unlock
}

# Lets go of codex's lock and of noclobber.
unlock() {
    exec 8>&- 9>&-
    set +C
}
