# Modes `api-key` and `access-token`: the secret arrives as the first line on this channel's
# stdin and reaches codex through a pipe from the shell's own printf: never in any argv.

IFS= read -r secret || true
flag=--with-api-key
[ "$CRL_MODE" = access-token ] && flag=--with-access-token
printf '%s\n' "$secret" | BROWSER=true "$codex" -c "$store" login "$flag" >&2
code=$?
secret=
say exited $code
[ "$code" -eq 0 ] && report_login
say done
exit "$code"
