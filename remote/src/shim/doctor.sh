# Mode `doctor`: the host's side of the checks, read-only, and what holds the login besides
# the host (held.sh). The local side judges.
# needs: held say store_setting $codex

[ -n "$codex" ] && say version "$("$codex" --version 2>/dev/null | head -n 1)"
say store "$(store_setting)"
for var in CODEX_CA_CERTIFICATE SSL_CERT_FILE; do
    eval "value=\${$var:-}"
    [ -n "$value" ] || continue
    if [ -r "$value" ]; then say ca "$var" ok "$value"; else say ca "$var" missing "$value"; fi
done
say clock "$(date +%s)"
held
say done
