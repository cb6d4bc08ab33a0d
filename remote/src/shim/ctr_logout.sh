# Run inside a running container, as its user, by `logout` (logout.sh): its codex's own
# `codex logout`, looked for also where installs put it that the exec's PATH may lack.
# needs: $exit_not_found

PATH=$PATH:$HOME/.local/bin:/usr/local/bin
command -v codex >/dev/null || exit "$exit_not_found"
exec codex logout
