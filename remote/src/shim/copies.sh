# Mode `survey`: read-only, alongside a sign-in on the same connection (while the browser is
# open): the places on this host holding the host's login (`sv-copy CONTAINER`), and its hash
# salted for this machine (`sv-salted`), so that the sign-in can name them before it revokes
# that login. Nothing is started in any container.
# needs: salted say survey_containers $auth $errs $host_hash

if [ -n "$host_hash" ]; then
    salt_hash=$(salted "$auth")
    [ -z "$salt_hash" ] || say sv-salted "$salt_hash"
    survey_containers
    while read -r n h; do
        [ "$h" = "$host_hash" ] && say sv-copy "$n"
    done <"$errs/.survey"
fi
say done
