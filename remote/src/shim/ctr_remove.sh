# Run inside a running container, as its user, by `logout --local-only` (logout.sh): its
# codex's auth.json removed without revoking anything, under codex's lock, through no link.
# Says `none` (it held no login) or `removed` on stdout, why not on stderr.
# needs: no_links private_here take_lock $exit_declined

d=${CODEX_HOME:-$HOME/.codex}
[ -e "$d/auth.json" ] || { echo none; exit 0; }
cd -P "$d" || exit 1
private_here && no_links auth.json auth.lock auth.json.lock || exit "$exit_declined"
set -C
exec 8>>auth.lock 9>>auth.json.lock
take_lock
[ $? = 1 ] && { echo "codex has held its lock on $PWD/auth.json for over 10 s" >&2; exit "$exit_declined"; }
rm -f ./auth.json || exit 1
echo removed
