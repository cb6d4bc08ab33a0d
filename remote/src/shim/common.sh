# codex-remote-login remote shim, common part: finds codex and reports what the host holds,
# as `crl1 <kind> ...` lines on stdout, then says `ready`. One job's part follows it (login,
# secret, status, push...). POSIX sh: runs under dash, busybox ash and bash. The local side
# prepends CRL_* variables. stdout is the event stream and nothing else writes to it: codex's own output
# goes to stderr.
# needs: claims_of $CRL_CA_SIZE $CRL_LOCAL_ONLY $CRL_MODE $exit_not_found $exit_not_runnable
# provides: account_of config_policy find_in json_str login_path say store_setting
# provides: $auth $codex $errs $home $native $policy_method $store

# Fields often hold text from elsewhere (a container's user, settings or complaints, a host's
# files): no line end may reach the stream, where it could start an event line of its own, so
# tabs and line ends become spaces. Other controls pass as they are: the local side holds all
# such text as untrusted, shows it escaped and reports it as it was in --json. The common case
# costs no process.
say() {
    case $* in
    *[![:print:]]*) printf 'crl1 %s\n' "$(printf '%s' "$*" | tr '\011\012\015' '   ')" ;;
    *) printf 'crl1 %s\n' "$*" ;;
    esac
}

# Prints the first executable `codex` in the colon-separated list $1.
find_in() {
    old_ifs=$IFS; IFS=:; set -f
    for path_dir in $1; do
        if [ -n "$path_dir" ] && [ -f "$path_dir/codex" ] && [ -x "$path_dir/codex" ]; then
            IFS=$old_ifs; set +f; printf '%s\n' "$path_dir/codex"; return 0
        fi
    done
    IFS=$old_ifs; set +f; return 1
}

# The PATH the user's login shell would have. npm, nvm and ~/.local/bin installs often put
# codex there only. `-l -c env` works for sh, bash, zsh and fish; csh takes no -l with -c.
login_path() {
    shell=${SHELL:-/bin/sh}
    for flags in "-l -c" "-c"; do
        # shellcheck disable=SC2086
        p=$("$shell" $flags env </dev/null 2>/dev/null | sed -n 's/^PATH=//p' | head -n 1)
        if [ -n "$p" ]; then printf '%s\n' "$p"; return 0; fi
    done
    return 1
}

known_dirs="$HOME/.local/bin:$HOME/.npm-global/bin:$HOME/.volta/bin:$HOME/.bun/bin:$HOME/bin:/usr/local/bin:/opt/homebrew/bin"
for d in "$HOME"/.nvm/versions/node/*/bin; do [ -d "$d" ] && known_dirs="$known_dirs:$d"; done

# Text that holds a token (an auth.json, a JWT's part, a container's environment, a log line)
# reaches a command on its stdin, by a here-document or a redirection: never as an argument.
# A shell without a printf builtin (posh, some busybox builds) runs /usr/bin/printf, and the
# arguments of an external command are in its argv, which any local user can read in /proc.

# The string value of key $1 in the JSON text on stdin, "-" if absent.
json_str() {
    v=$(sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"[:space:]]*\\)\".*/\\1/p" | head -n 1)
    printf '%s\n' "${v:--}"
}

# Reports event $1 with the auth mode, email and plan of auth.json $2 ("-" where unknown),
# read from the id_token's claims without printing any token.
account_of() {
    event=$1 file=$2
    claims=$(claims_of id_token "$file")
    mode=$(json_str auth_mode <"$file")
    if [ "$mode" = - ]; then if [ -n "$claims" ]; then mode=chatgpt; else mode=apikey; fi; fi
    email=$(json_str email <<EOF
$claims
EOF
)
    plan=$(json_str chatgpt_plan_type <<EOF
$claims
EOF
)
    say "$event" "$mode" "$email" "$plan"
}

say hello 2

# Whatever this run leaves in place is removed when it ends, however it ends: a lost channel
# makes the next write raise SIGPIPE.
cadir='' tmp='' errs=''
# The native codex binary behind npm's wrapper, when login.sh learns it; set here so that a
# `native` in the session's environment can never choose what runs the login check.
# shellcheck disable=SC2034 # read by the sign-in's and status's parts
native=
trap 'rm -rf ${cadir:+"$cadir"} ${tmp:+"$tmp"} ${errs:+"$errs"}' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM

if [ -n "${CRL_CODEX_HOME:-}" ]; then
    case $CRL_CODEX_HOME in "~/"*) CRL_CODEX_HOME="$HOME/${CRL_CODEX_HOME#"~/"}" ;; esac
    # codex refuses a CODEX_HOME that does not exist; asked for one, make it private.
    [ -d "$CRL_CODEX_HOME" ] || (umask 077 && mkdir -p "$CRL_CODEX_HOME")
    CODEX_HOME=$CRL_CODEX_HOME; export CODEX_HOME
fi
home=${CODEX_HOME:-$HOME/.codex}
auth="$home/auth.json"

codex=
if [ "$CRL_MODE" = containers ] || [ "$CRL_MODE" = survey ] || [ -n "${CRL_LOCAL_ONLY:-}" ]; then
    : # Copying a login into containers, surveying its copies, or removing one without revoking, needs no codex.
elif [ -n "${CRL_CODEX:-}" ]; then
    case $CRL_CODEX in "~/"*) CRL_CODEX="$HOME/${CRL_CODEX#"~/"}" ;; esac
    if [ -f "$CRL_CODEX" ] && [ -x "$CRL_CODEX" ]; then
        codex=$CRL_CODEX; say codex override "$codex"
    else
        say bad-override "$CRL_CODEX"
        # `doctor` goes on to check the rest of the host.
        [ "$CRL_MODE" = doctor ] || exit "$exit_not_runnable"
    fi
elif codex=$(find_in "$PATH"); then
    say codex path "$codex"
elif lp=$(login_path) && codex=$(find_in "$lp"); then
    # codex from npm is `#!/usr/bin/env node`: node lives on the same login PATH.
    PATH=$lp:$PATH; export PATH
    say codex login-shell "$codex"
elif codex=$(find_in "$known_dirs"); then
    PATH=${codex%/codex}:$PATH; export PATH
    say codex known-dir "$codex"
else
    say not-found "PATH, the login shell's PATH (${SHELL:-/bin/sh} -l), $known_dirs"
    [ "$CRL_MODE" = doctor ] || exit "$exit_not_found"
fi

# --ca-cert: a PEM bundle sent first on stdin (CRL_CA_SIZE bytes), private to this run and
# removed with it. --remote-ca-cert: a bundle already on the host (CRL_CA_PATH).
if [ -n "${CRL_CA_SIZE:-}" ]; then
    cadir=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/crl-ca.XXXXXX") || { say ca-failed "cannot make a private directory"; exit 1; }
    (umask 077 && head -c "$CRL_CA_SIZE" >"$cadir/ca.pem")
    if [ "$(wc -c <"$cadir/ca.pem" | tr -d ' ')" != "$CRL_CA_SIZE" ]; then say ca-failed "it arrived truncated"; exit 1; fi
    CODEX_CA_CERTIFICATE=$cadir/ca.pem; export CODEX_CA_CERTIFICATE
    say ca-stored "$CODEX_CA_CERTIFICATE"
elif [ -n "${CRL_CA_PATH:-}" ]; then
    case $CRL_CA_PATH in "~/"*) CRL_CA_PATH="$HOME/${CRL_CA_PATH#"~/"}" ;; esac
    [ -r "$CRL_CA_PATH" ] || { say ca-failed "$CRL_CA_PATH is not a readable file"; exit 1; }
    CODEX_CA_CERTIFICATE=$CRL_CA_PATH; export CODEX_CA_CERTIFICATE
fi

if [ -f "$auth" ]; then
    account_of before "$auth"
    say refreshed "$(json_str last_refresh <"$auth")"
else
    say before none
fi

# What could relay the callback if this host's sshd forbids TCP forwarding (see relay.sh).
relays=
for tool in nc python3 perl bash; do
    command -v "$tool" >/dev/null 2>&1 && relays="$relays $tool"
done
say relays$relays

# The login policy of the host's codex (config.toml, as codex 0.169 reads it): which login
# method it forces, and the ChatGPT workspace(s) it accepts. Read, never evaluated: only a
# top-level `key = "value"` line (or, for the workspace, a one-line list of such strings),
# values of letters, digits, `_`, `.` and `-` alone; anything else is not reported. A sign-in
# the policy forbids is refused before codex starts (login.sh, secret.sh).
config_policy() {
    [ -f "$home/config.toml" ] || { echo "- -"; return; }
    awk '
    /^[[:space:]]*\[/ { exit }
    /^[[:space:]]*forced_login_method[[:space:]]*=[[:space:]]*"[A-Za-z0-9_.-]+"[[:space:]]*(#.*)?$/ {
        v = $0; sub(/^[^"]*"/, "", v); sub(/".*$/, "", v); if (m == "") m = v
    }
    /^[[:space:]]*forced_chatgpt_workspace_id[[:space:]]*=[[:space:]]*"[A-Za-z0-9_.-]+"[[:space:]]*(#.*)?$/ {
        v = $0; sub(/^[^"]*"/, "", v); sub(/".*$/, "", v); if (w == "") w = v
    }
    /^[[:space:]]*forced_chatgpt_workspace_id[[:space:]]*=[[:space:]]*\[[[:space:]]*"[A-Za-z0-9_.-]+"([[:space:]]*,[[:space:]]*"[A-Za-z0-9_.-]+")*[[:space:]]*,?[[:space:]]*\][[:space:]]*(#.*)?$/ {
        v = $0; sub(/^[^[]*\[/, "", v); sub(/\].*$/, "", v); gsub(/[[:space:]"]/, "", v); sub(/,$/, "", v); if (w == "") w = v
    }
    END { print (m == "" ? "-" : m) " " (w == "" ? "-" : w) }
    ' "$home/config.toml" 2>/dev/null || echo "- -"
}
read -r policy_method policy_workspace <<EOF
$(config_policy)
EOF
say policy "${policy_method:--}" "${policy_workspace:--}"

# Logins made here are kept in the file, where the user can see and provision them.
# shellcheck disable=SC2034 # read by the sign-in's parts
store=cli_auth_credentials_store=file

# The credential store the user's config.toml asks for ("default" when it does not say).
store_setting() {
    v=$(sed -n 's/^[[:space:]]*cli_auth_credentials_store[[:space:]]*=[[:space:]]*"\{0,1\}\([a-z]*\)"\{0,1\}.*/\1/p' \
        "$home/config.toml" 2>/dev/null | head -n 1)
    printf '%s\n' "${v:-default}"
}

# The host's report is complete: the job's own events follow.
say ready
