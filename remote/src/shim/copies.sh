# Mode `survey`: read-only, alongside a sign-in on the same connection (while the browser is
# open): the places on this host holding the host's login (`sv-copy CONTAINER`: a whole copy,
# or an access-only one of its account, whose access token dies with it too), and its hash
# salted for this machine (`sv-salted`), so that the sign-in can name them before it revokes
# that login. Nothing is started in any container.
# needs: salted say survey_containers $auth $errs $host_access $host_hash

if [ -n "$host_hash" ]; then
    salt_hash=$(salted "$auth")
    [ -z "$salt_hash" ] || say sv-salted "$salt_hash"
    survey_containers
    while read -r n h _; do
        { [ "$h" = "$host_hash" ] || { [ -n "$host_access" ] && [ "$h" = "$host_access" ]; }; } && say sv-copy "$n"
    done <"$errs/.survey"
fi
say done
