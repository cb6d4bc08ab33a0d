# Replacing the host's auth.json (`push`, `collect`) so that nothing planted in CODEX_HOME is
# written through, and no refresh by codex in between is overwritten.
# needs: enter_login leave_login replace_here say $auth $exit_unlocked $home
# provides: cannot replace_auth $backup

# The auth.json this run judged, as `cksum` sees it (empty when there is none): what must
# still be in place when it is replaced.
seen=$(cksum 2>/dev/null <"$auth" || true)

# `replace_auth KIND [SIZE]`: stdin (SIZE bytes of it, when given) becomes $home/auth.json as
# safe.sh writes a login, provided auth.json is still the one judged. The backup's path is left
# in `backup`. Refusals are said as event KIND; nothing is left behind then.
replace_auth() {
    kind=$1
    cannot() { say "$kind" "$1"; }
    enter_login "$home"
    case $? in
    0) ;;
    "$exit_unlocked") say nolock "$home" ;;
    *) return 1 ;;
    esac
    if [ "$(cksum 2>/dev/null <auth.json || true)" != "$seen" ]; then
        leave_login; say "$kind" "$auth changed while this ran (codex refreshed it?): nothing was written; run again"; return 1
    fi
    replace_here "$(date +%Y%m%dT%H%M%S)" ${2:+"$2"} || { leave_login; return 1; }
    leave_login
    [ -z "$backup" ] || backup=$home/$backup
}
