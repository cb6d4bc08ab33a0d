# Mode `collect`: the freshest login of the host's own identity among containers, brought back
# to this host. Each container's auth.json is read (through a shell where it runs one, else the
# engine's archive copy, either cut at $cap bytes) and parsed as JSON (authjson.sh). It is
# passed over unless it is the same user and account as the host's login, in its id_token and
# its access token alike (an API key: the very same key), holding a refresh token (an
# access-only copy would leave the host unable to refresh), refreshed later than the host's
# and not in the future. The freshest left is named to the local side (`col-ask`), which answers
# `take` or `abort` on stdin; taken, it replaces the host's file as write.sh does it. Nothing
# travels in a command line, and nothing leaves the host.
# needs: capped each_container engine_exec engine_of engine_read place_of read_login
# needs: replace_auth say seconds_of store_setting valid_login why $CRL_CONTAINERS $auth
# needs: $backup $cap $dir $errs $exit_not_found $exit_not_runnable $json_tool $running $user
# needs: $why
# provides: claim fetch identity_of $e

# A host whose codex keeps its login in the OS keyring would never read the auth.json a
# collect writes.
[ "$(store_setting)" != keyring ] || { say ctr-keyring; say done; exit 1; }
# The host must have a login to compare with.
[ -f "$auth" ] || { say ctr-nologin "$auth"; say done; exit 1; }
valid_login "$auth" || { say ctr-badlogin "$auth"; say done; exit 1; }
[ -n "$json_tool" ] || {
    say col-failed "this host has none of python3, node or perl's JSON::PP to read auth.json with, and collect does not guess"
    say done
    exit 1
}
read_login "$auth" h || { say ctr-badlogin "$auth"; say done; exit 1; }
# shellcheck disable=SC2154 # read_login sets h_* (and c_*) by eval
if [ "$h_mode" = apikey ]; then
    [ "$h_key" != - ] || { say ctr-badlogin "$auth"; say done; exit 1; }
elif [ "$h_isub" = - ] || [ "$h_acct" = - ]; then
    say col-failed "the host's login names no user or account to compare the containers' with"
    say done
    exit 1
fi

# How the login read into c_* stands to the host's identity, as far as a file can show it:
# sets identity to `same`; `other` when the mode, the key or a claim both name differs; or
# `unconfirmed` when the container's lacks a claim the host's has, `missing` naming the
# first such (`access_token.sub`): it may be the same account, but nothing shows it.
# shellcheck disable=SC2154 # read_login sets c_* and h_* by eval
identity_of() {
    identity=same missing=
    if [ "$c_mode" != "$h_mode" ] || [ "$c_key" != "$h_key" ]; then
        identity=other
        return
    fi
    [ "$h_mode" = apikey ] && return
    claim id_token.sub "$c_isub" "$h_isub"
    claim access_token.sub "$c_asub" "$h_isub"
    claim id_token.chatgpt_user_id "$c_iuser" "$h_iuser"
    claim access_token.chatgpt_user_id "$c_auser" "$h_iuser"
    claim tokens.account_id "$c_acct" "$h_acct"
    claim id_token.chatgpt_account_id "$c_iacct" "$h_acct"
    claim access_token.chatgpt_account_id "$c_aacct" "$h_acct"
    [ "$identity" = other ] || [ -z "$missing" ] || identity=unconfirmed
}

# `claim NAME CONTAINER_VALUE HOST_VALUE`, for identity_of (`-` is absent).
claim() {
    claim_name=$1 theirs=$2 ours=$3
    if [ "$theirs" = - ] && [ "$ours" != - ]; then
        missing=${missing:-$claim_name}
    elif [ "$theirs" != "$ours" ]; then
        identity=other
    fi
}

# Container $1's auth.json into $errs/$1.got (empty when it has none); its engine in $errs/$1.engine.
fetch() {
    c=$1
    case ${2:-} in
    known) ;;
    bad) say ctr-failed "$c" "$why"; return ;;
    *) engine_of "$c" || { say ctr-failed "$c" "$why"; return; } ;;
    esac
    printf '%s\n' "$e" >"$errs/$c.engine"
    if [ "$running" = true ]; then
        capped "$errs/$c.got" "$errs/$c" \
            engine_exec "$user" "$c" sh -c 'cat "${CODEX_HOME:-$HOME/.codex}/auth.json" 2>/dev/null; true'
        case $? in
        0) return ;;
        "$exit_not_runnable" | "$exit_not_found") ;;
        *) say ctr-failed "$c" "$e exec into it failed: $(why "$c")"; return ;;
        esac
    fi
    place_of "$c" "$e" "$user" || { say ctr-failed "$c" "$why"; return; }
    engine_read "$c" "$dir/auth.json" | head -c $((cap + 1)) >"$errs/$c.got"
    true
}

each_container fetch

# One verdict per container read; the freshest of the fresher ones wins.
# shellcheck disable=SC2154 # read_login sets c_* and h_* by eval
best='' best_us=$h_us best_email=''
# shellcheck disable=SC2154
for c in $CRL_CONTAINERS; do
    [ -f "$errs/$c.engine" ] && [ -f "$errs/$c.got" ] || continue
    e=$(cat "$errs/$c.engine")
    if [ ! -s "$errs/$c.got" ]; then
        say col-seen "$c" "$e" none -
        continue
    fi
    if [ "$(wc -c <"$errs/$c.got" | tr -d ' ')" -gt "$cap" ]; then
        say col-seen "$c" "$e" too-large -
        continue
    fi
    if ! valid_login "$errs/$c.got" || ! read_login "$errs/$c.got" c; then
        say col-seen "$c" "$e" malformed -
        continue
    fi
    shown=$(seconds_of "$c_shown")
    identity_of
    if [ "$identity" = other ]; then
        say col-seen "$c" "$e" other-account "$shown"
    elif [ "$identity" = unconfirmed ]; then
        say col-seen "$c" "$e" unconfirmed "$shown" "$missing"
    elif [ "$c_mode" != apikey ] && [ "$c_refresh" = - ]; then
        say col-seen "$c" "$e" access-only "$shown"
    elif [ "$c_future" = future ]; then
        say col-seen "$c" "$e" future "$shown"
    elif [ "$c_us" = - ] || { [ "$best_us" != - ] && [ "$c_us" -le "$best_us" ]; }; then
        say col-seen "$c" "$e" older "$shown"
    else
        say col-seen "$c" "$e" fresher "$shown"
        best=$c best_us=$c_us best_email=$c_email
    fi
done

if [ -n "$best" ]; then
    # What no file can show: a container that kept the host's id_token and access token but
    # swapped in a refresh token of its own. The person (or --yes) decides.
    say col-ask "$best" "$best_email"
    IFS=' ' read -r answer || answer=abort
    if [ "$answer" = take ]; then
        replace_auth col-failed <"$errs/$best.got" || { say done; exit 1; }
        say col-took "$best" "$backup"
    fi
fi
say done
