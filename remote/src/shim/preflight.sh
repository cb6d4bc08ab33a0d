# Mode `preflight`: what the common part reported is all a sign-in of several hosts needs
# before a host's turn. Asking codex itself whether it is signed in costs a start of codex on
# the host; it is done only for --skip-logged-in (CRL_CHECK_LOGIN), with the store the sign-in
# writes to.
# needs: say $CRL_CHECK_LOGIN $codex $store

if [ -n "${CRL_CHECK_LOGIN:-}" ]; then
    if "$codex" -c "$store" login status >/dev/null 2>&1; then say status logged-in; else say status not-logged-in; fi
fi
say done
