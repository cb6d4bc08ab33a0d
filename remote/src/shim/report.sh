# What codex says of the login once a job is done with it: sign-ins, status, push.
# needs: account_of say $auth $codex $native
# provides: report_login

# What codex itself says of the login, and the file it is in. $1: a store to force (a sign-in
# here forces the file store); none for `status`, which asks as the user's codex would.
# shellcheck disable=SC2120 # $1 is optional
report_login() {
    # shellcheck disable=SC2086
    if "${native:-$codex}" ${1:+-c "$1"} login status >/dev/null 2>&1; then
        say status logged-in
    else
        say status not-logged-in
    fi
    if [ -f "$auth" ]; then
        say authfile "$(ls -ln "$auth" | cut -c 1-10)" "$auth"
        account_of account "$auth"
    else
        say authfile missing "$auth"
    fi
}

