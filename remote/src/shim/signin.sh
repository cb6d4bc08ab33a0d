# What the sign-ins (login.sh, secret.sh) share: the gates before codex starts (a host
# already signed in left alone, a method the host's policy forbids refused), and the tail of
# codex's log after a failure.

# --skip-logged-in: a host codex already reports signed in is left alone.
skip_if_logged_in() {
    [ -n "${CRL_SKIP_LOGGED_IN:-}" ] || return 0
    if "$codex" login status >/dev/null 2>&1; then
        say skipped
        say exited 0
        say done
        exit 0
    fi
}

# `refuse_by_policy`: the login method asked for is one the host's codex forbids: said, and
# nothing started.
refuse_by_policy() {
    say policy-refused
    say done
    exit 3
}

# After a failed login: the tail of codex's own log, for the local side to show (redacted).
report_log() {
    log="$home/log/codex-login.log"
    [ -f "$log" ] || return 0
    say log "$log"
    # From tail through sed, never an argument: the lines may hold a code or a token (the
    # local side redacts them before anyone sees them). The `echo` ends a last line that has
    # no line end, which would otherwise swallow the next event.
    { tail -n 5 "$log"; echo; } | sed -n '/./s/^/crl1 logline /p'
}
