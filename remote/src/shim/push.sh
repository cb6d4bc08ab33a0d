# Mode `push`: the local side has seen `before` and `refreshed`, and answers on stdin with
# `push SIZE` and SIZE bytes of auth.json, or `abort`. The new file replaces the old one as
# write.sh does it (private, renamed into place, under codex's lock, the old one kept).
# needs: replace_auth report_login say store_setting $backup $store

IFS=' ' read -r verb size || verb=abort
if [ "$verb" != push ]; then
    say done
    exit 0
fi
case $size in '' | *[!0-9]*) say push-failed "a bad size"; exit 1 ;; esac
# A host whose codex keeps its login in the OS keyring would never read the pushed file: read
# (the channel carries it all the same) and dropped.
if [ "$(store_setting)" = keyring ]; then
    head -c "$size" >/dev/null
    say push-keyring
    say done
    exit 1
fi
replace_auth push-failed "$size" || exit 1
[ -z "$backup" ] || say backup "$backup"
say pushed
report_login "$store"
say done
