# Modes `api-key` and `access-token`: the secret arrives as the first line on this channel's
# stdin and reaches codex through a pipe from the shell's own printf: never in any argv.

skip_if_logged_in

IFS= read -r secret || true
flag=--with-api-key
[ "$CRL_MODE" = access-token ] && flag=--with-access-token
printf '%s\n' "$secret" | BROWSER=true "$codex" -c "$store" login "$flag" >&2
code=$?
secret=
say exited $code
if [ "$code" -eq 0 ]; then report_login "$store"; else report_log; fi
say done
exit "$code"
