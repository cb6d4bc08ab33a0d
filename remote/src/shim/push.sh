# Mode `push`: the local side has seen `before` and `refreshed`, and answers on stdin with
# `push SIZE` and SIZE bytes of auth.json, or `abort`. The new file is written beside the old
# one, private, and renamed into place; the old one is kept as a backup first.

IFS=' ' read -r verb size || verb=abort
if [ "$verb" != push ]; then
    say done
    exit 0
fi
umask 077
[ -d "$home" ] || mkdir -p "$home"
tmp="$home/.auth.json.crl-$$"
head -c "$size" >"$tmp"
if [ "$(wc -c <"$tmp" | tr -d ' ')" != "$size" ]; then
    say push-failed truncated
    exit 1
fi
if [ -f "$auth" ]; then
    backup="$auth.bak-$(date +%Y%m%dT%H%M%S)-$$"
    # A backup of credentials is private, whatever mode the old file had.
    cp -p "$auth" "$backup" && chmod 600 "$backup" && say backup "$backup"
fi
chmod 600 "$tmp" && mv -f "$tmp" "$auth" || { say push-failed rename; exit 1; }
tmp=
say pushed
report_login "$store"
say done
