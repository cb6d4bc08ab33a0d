# What the sign-ins (login.sh, secret.sh) share: the gates before codex starts (a host
# already signed in left alone, a method the host's policy forbids refused), and the tail of
# codex's log after a failure.
# needs: install_login keep_log report_login revoke_old say store_setting $CRL_SKIP_LOGGED_IN
# needs: $auth $codex $exit_refused $fresh $home $native $store
# provides: drop_new_login finish_sign_in refuse_by_policy refuse_keyring report_log
# provides: skip_if_logged_in

# --skip-logged-in: a host codex already reports signed in is left alone. Asked with the store
# the sign-in writes to, as the report after it asks.
skip_if_logged_in() {
    [ -n "${CRL_SKIP_LOGGED_IN:-}" ] || return 0
    if "$codex" -c "$store" login status >/dev/null 2>&1; then
        say skipped
        say exited 0
        say done
        exit 0
    fi
}

# A host whose codex keeps its login in the OS keyring (`cli_auth_credentials_store =
# "keyring"`) never reads the auth.json a sign-in here writes: it would still see its old login,
# or none, while this tool said "signed in". Refused before codex starts.
refuse_keyring() {
    [ -f "$home/config.toml" ] && [ "$(store_setting)" = keyring ] || return 0
    say store-refused keyring
    say done
    exit "$exit_refused"
}

# `refuse_by_policy`: the login method asked for is one the host's codex forbids: said, and
# nothing started.
refuse_by_policy() {
    say policy-refused
    say done
    exit "$exit_refused"
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

# `drop_new_login`: the new login exists at the issuer but will not be put in place: revoked
# (as codex would, best-effort) rather than left alive where nobody has it.
drop_new_login() {
    CODEX_HOME=$fresh "${native:-$codex}" -c "$store" logout </dev/null >/dev/null 2>&1
}

# `finish_sign_in CODE`: after codex exited with CODE in the private home (fresh.sh). On success
# the new login is moved into place, confirmed as codex reads it, and the old one revoked or set
# aside; on failure the host's own login is said to be still there, untouched.
finish_sign_in() {
    codex_status=$1
    keep_log
    if [ "$codex_status" -eq 0 ]; then
        # The local side says `install` unless it is being stopped meanwhile (Ctrl-C, the
        # deadline, its end): a sign-in the user saw fail must leave the host as it was.
        say install-ask
        IFS= read -r answer || answer=
        if [ "$answer" != install ]; then
            drop_new_login
            [ ! -f "$auth" ] || say kept
            say done
            exit 1
        fi
        if install_login; then
            report_login "$store"
            # `auto`: codex reads a login in the OS keyring first, where a keyring service runs.
            [ "$(store_setting)" != auto ] || say store auto
            revoke_old
        else
            drop_new_login
            say done
            exit 1
        fi
    else
        [ ! -f "$auth" ] || say kept
        report_log
    fi
    say done
    exit "$codex_status"
}
