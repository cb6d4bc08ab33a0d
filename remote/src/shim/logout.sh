# Mode `logout`: the host's login (and, with $CRL_CONTAINERS, those containers' logins) signed
# out. First, before anything is touched, every place on this host that holds the same login
# is named (`lo-shared TARGET PLACE`, the host being `-`): codex's logout revokes the refresh
# token at the issuer, which signs every copy of it out. Copies are compared here, by a hash
# of their refresh token computed on this host; no token and no plain hash leaves it (this
# machine gets a hash salted afresh for each run, `lo-salted`, to find its own copy). Then the
# shim waits for the local side to say `proceed` (`lo-ask`): it asks the person first, or
# needs --yes, where other places hold the login. Then each target is signed out: `codex
# logout` (as the user's own codex would, with their credential store setting), or with
# $CRL_LOCAL_ONLY its auth.json removed without revoking anything (under codex's lock, through
# no link). A container holding an access-only copy has no login of its own to revoke, and
# revoking its access token would sign out the host and the other copies, which share it: its
# auth.json is removed instead, as with $CRL_LOCAL_ONLY. Each gives `lo-result PLACE RESULT
# [DETAIL]`: signed-out, removed, none (it held no login), failed.
# needs: capped engine_exec engine_of no_links private_here salted say survey_containers
# needs: take_lock why $CRL_CONTAINERS $CRL_LOCAL_ONLY $auth $codes_sh $codex $ctr_logout_sh
# needs: $ctr_remove_sh $errs $exit_not_found $exit_not_runnable $home $host_access $host_hash
# needs: $running
# needs: $safe_sh $user $why
# provides: hash_of logout_said shared

if [ -n "$host_hash" ] && [ -z "${CRL_LOCAL_ONLY:-}" ]; then
    salt_hash=$(salted "$auth")
    [ -z "$salt_hash" ] || say lo-salted "$salt_hash"
fi

# Nothing to compare (no login on the host, no container to sign out): no engine is asked.
if [ -z "$host_hash" ] && [ -z "$CRL_CONTAINERS" ]; then
    : >"$errs/.survey"
else
    survey_containers
fi

# `hash_of PLACE`: the hash of the login at PLACE (- for the host), empty when none.
hash_of() {
    place=$1
    if [ "$place" = - ]; then printf '%s\n' "$host_hash"; return; fi
    while read -r n h _; do
        [ "$n" = "$place" ] && [ "$h" != - ] && { printf '%s\n' "$h"; return; }
    done <"$errs/.survey"
}

# `shared TARGET`: names every other place holding TARGET's login: for the host, the
# access-only copies of its account too, which its revocation ends. An access-only copy has
# nothing to revoke, so it shares nothing.
shared() {
    target=$1
    mine=$(hash_of "$target")
    case $mine in "" | acct-*) return 0 ;; esac
    [ "$target" = - ] || [ "$mine" != "$host_hash" ] || say lo-shared "$target" -
    while read -r n h _; do
        [ "$n" != "$target" ] || continue
        if [ "$h" = "$mine" ] || { [ "$target" = - ] && [ -n "$host_access" ] && [ "$h" = "$host_access" ]; }; then
            say lo-shared "$target" "$n"
        fi
    done <"$errs/.survey"
}

shared -
for c in $CRL_CONTAINERS; do shared "$c"; done

# Every place holding a login about to be revoked is named: nothing is revoked before the
# local side says `proceed` (it asks the person, or has --yes, where others hold the login).
if [ -z "${CRL_LOCAL_ONLY:-}" ]; then
    say lo-ask
    IFS= read -r answer || answer=
    if [ "$answer" != proceed ]; then
        say lo-declined
        say done
        exit 0
    fi
fi

# `logout_said OUTPUT CODE PLACE`: codex logout's verdict from its words and exit status.
logout_said() {
    said=$1 status=$2 place=$3
    case $said in
    *"Successfully logged out"*) say lo-result "$place" signed-out ;;
    *"Not logged in"*) say lo-result "$place" none ;;
    *) say lo-result "$place" failed "codex logout exited $status: $(printf '%s\n' "$said" | tail -n 1 | cut -c 1-200)" ;;
    esac
}

# The host.
if [ -n "${CRL_LOCAL_ONLY:-}" ]; then
    if [ ! -e "$auth" ]; then
        say lo-result - none
    elif ! cd -P "$home" 2>/dev/null; then
        say lo-result - failed "cannot enter $home"
    elif complaint=$({ private_here && no_links auth.json auth.lock auth.json.lock; } 2>&1); then
        set -C
        exec 8>>auth.lock 9>>auth.json.lock
        take_lock
        case $? in
        1) say lo-result - failed "codex has held its lock on $auth for over 10 s: nothing was removed; run again" ;;
        *) if rm -f ./auth.json; then say lo-result - removed; else say lo-result - failed "cannot remove $auth"; fi ;;
        esac
        exec 8>&- 9>&-
        set +C
        cd / || :
    else
        say lo-result - failed "$complaint"
    fi
else
    out=$("$codex" logout 2>&1 </dev/null)
    logout_said "$out" $? -
fi

# Each container, as its user, through a shell in it (a stopped one, or one without a shell,
# cannot be signed out: it says so).
for c in $CRL_CONTAINERS; do
    engine_of "$c" || { say lo-result "$c" failed "$why"; continue; }
    if [ "$running" != true ]; then
        say lo-result "$c" failed "it is not running: start it first"
        continue
    fi
    access=
    case $(hash_of "$c") in acct-*) access=" (an access-only copy: nothing of its own to revoke)" ;; esac
    if [ -n "${CRL_LOCAL_ONLY:-}" ] || [ -n "$access" ]; then
        capped "$errs/$c.out" "$errs/$c" engine_exec "$user" "$c" sh -c "$codes_sh
$safe_sh
$ctr_remove_sh" </dev/null
        case $? in
        0) case $(head -n 1 "$errs/$c.out") in
            none) say lo-result "$c" none ;;
            removed) say lo-result "$c" removed ${access:+"${access# }"} ;;
            *) say lo-result "$c" failed "its shell answered something unexpected" ;;
            esac ;;
        "$exit_not_runnable" | "$exit_not_found") say lo-result "$c" failed "it has no shell to remove its auth.json with" ;;
        *) say lo-result "$c" failed "removing its auth.json as $user failed: $(why "$c")" ;;
        esac
    else
        capped "$errs/$c.out" "$errs/$c" engine_exec "$user" "$c" sh -c "$codes_sh
$ctr_logout_sh" </dev/null
        rc=$?
        if [ "$rc" -eq "$exit_not_found" ]; then
            say lo-result "$c" failed "no codex in it to sign out with (--local-only removes its auth.json without revoking)"
        else
            logout_said "$(cat "$errs/$c.out" "$errs/$c" 2>/dev/null)" "$rc" "$c"
        fi
    fi
done
say done
