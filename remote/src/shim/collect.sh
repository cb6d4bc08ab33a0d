# Mode `collect`: the freshest login among containers brought back to this host. Each
# container's auth.json is read (through a shell where it runs one, else the engine's archive
# copy); one for another account, or refreshed no later than the host's, is passed over. The
# freshest left replaces the host's file: written beside it, private, renamed into place, the
# old one kept as a backup. Nothing travels in a command line, and nothing leaves the host.

valid_login "$auth" || { say ctr-badlogin "$auth"; say done; exit 1; }
host_account=$(json_str account_id <"$auth")

# Container $1's auth.json into $errs/$1.got (empty when it has none); its engine in $errs/$1.engine.
fetch() {
    c=$1
    [ "${2:-}" = known ] || engine_of "$c" || { say ctr-failed "$c" "neither docker nor podman on this host knows it"; return; }
    printf '%s\n' "$e" >"$errs/$c.engine"
    if [ "$running" = true ]; then
        "$e" exec -u "$user" "$c" sh -c 'cat "${CODEX_HOME:-$HOME/.codex}/auth.json" 2>/dev/null; true' \
            >"$errs/$c.got" 2>"$errs/$c"
        case $? in
        0) return ;;
        126 | 127) ;;
        *) say ctr-failed "$c" "$e exec into it failed: $(why "$c")"; return ;;
        esac
    fi
    place_of "$c" "$e" "$user" || return
    "$e" cp "$c:$dir/auth.json" - 2>/dev/null | tar -xOf - >"$errs/$c.got" 2>/dev/null
    true
}

each_container fetch

# One verdict per container read; the freshest of the fresher ones wins.
best= best_at=$host_at
for c in $CRL_CONTAINERS; do
    [ -f "$errs/$c.engine" ] && [ -f "$errs/$c.got" ] || continue
    e=$(cat "$errs/$c.engine")
    if [ ! -s "$errs/$c.got" ]; then
        say col-seen "$c" "$e" none -
        continue
    fi
    if ! valid_login "$errs/$c.got"; then
        say col-seen "$c" "$e" malformed -
        continue
    fi
    shown=$(seconds_of "$(json_str last_refresh <"$errs/$c.got")")
    refreshed "$errs/$c.got"
    if [ "$(json_str account_id <"$errs/$c.got")" != "$host_account" ]; then
        say col-seen "$c" "$e" other-account "$shown"
    elif [ "$at" = - ] || { [ "$best_at" != - ] && ! later "$at" "$best_at"; }; then
        say col-seen "$c" "$e" older "$shown"
    else
        say col-seen "$c" "$e" fresher "$shown"
        best=$c best_at=$at
    fi
done

if [ -n "$best" ]; then
    umask 077
    tmp="$home/.auth.json.crl-$$"
    cp "$errs/$best.got" "$tmp" && chmod 600 "$tmp" || { rm -f "$tmp"; say col-failed "cannot write beside $auth"; say done; exit 1; }
    backup="$auth.bak-$(date +%Y%m%dT%H%M%S)-$$"
    # A backup of credentials is private, whatever mode the old file had.
    cp -p "$auth" "$backup" && chmod 600 "$backup" || { rm -f "$tmp"; say col-failed "cannot back up $auth"; say done; exit 1; }
    mv -f "$tmp" "$auth" || { rm -f "$tmp"; say col-failed "cannot rename into $auth"; say done; exit 1; }
    tmp=
    say col-took "$best" "$backup"
fi
say done
