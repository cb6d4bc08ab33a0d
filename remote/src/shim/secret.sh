# Modes `api-key` and `access-token`: the secret arrives as the first line on this channel's
# stdin, and `head` hands that line to codex's stdin on a pipe. It is never in any argv (nor
# in a shell variable that a `printf` could put there: where printf is no shell builtin, as in
# posh or some busybox builds, it is /usr/bin/printf, its arguments readable in /proc), and
# never in a file (bash before 5.1 keeps here-documents in temporary files).
# needs: finish_sign_in fresh_home one_sign_in refuse_by_policy refuse_keyring say
# needs: skip_if_logged_in $CRL_MODE $codex $fresh $policy_method $store

refuse_keyring
skip_if_logged_in
one_sign_in
# And an API key where it forces ChatGPT logins (the key, sent already, read and dropped).
if [ "$CRL_MODE" = api-key ] && [ "$policy_method" = chatgpt ]; then
    head -n 1 >/dev/null
    refuse_by_policy
fi

flag=--with-api-key
[ "$CRL_MODE" = access-token ] && flag=--with-access-token
fresh_home
head -n 1 | BROWSER=true CODEX_HOME=$fresh "$codex" -c "$store" login "$flag" >&2 7>&-
code=$?
say exited $code
finish_sign_in "$code"
