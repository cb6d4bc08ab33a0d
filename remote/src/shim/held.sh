# What holds the host's login besides the host, for `status` and `doctor`. `held` says the
# copies of it in containers here (survey.sh): `copy NAME KIND EXPIRES`, KIND `full` (the same
# refresh token) or `access` (an access-only copy of its account), EXPIRES its access token's
# (Unix seconds, or -); a container that holds no copy is not named. Then the keeper, where
# one was started (kept.sh): `keeper STATE HOW ROUND REFRESHED`, STATE `running` or `stopped`
# (it was started and is gone: killed, or not back after a reboot), HOW how it comes back
# after a reboot (keeper.sh), ROUND and REFRESHED when its last round ran and when it last had
# codex refresh the login (Unix seconds, or -); and `keeper-ctr NAME RESULT [WHY]` for each
# container of its last round: copied, same (it held the copy already), own (a login of its
# own, left alone), failed.
# needs: keeper_pid say survey_containers $errs $host_access $host_hash $kdir
# provides: held

held() {
    if [ -n "$host_hash" ]; then
        survey_containers
        while read -r n h x; do
            if [ "$h" = "$host_hash" ]; then
                say copy "$n" full "$x"
            elif [ -n "$host_access" ] && [ "$h" = "$host_access" ]; then
                say copy "$n" access "$x"
            fi
        done <"$errs/.survey"
    fi
    if [ -d "$kdir" ]; then
        state=stopped
        keeper_pid >/dev/null && state=running
        round=- refreshed=-
        while read -r k v; do
            case $k in round) round=$v ;; refreshed) refreshed=$v ;; esac
        done <"$kdir/last" 2>/dev/null
        how=$(cat "$kdir/how" 2>/dev/null)
        say keeper "$state" "${how:-none}" "$round" "$refreshed"
        while read -r prefix kind name rest; do
            [ "$prefix" = crl1 ] || continue
            case $kind in
            ctr-copied) say keeper-ctr "$name" copied ;;
            ctr-same) say keeper-ctr "$name" same ;;
            ctr-own) say keeper-ctr "$name" own ;;
            ctr-failed) say keeper-ctr "$name" failed "$rest" ;;
            esac
        done <"$kdir/round.out" 2>/dev/null
    fi
}
