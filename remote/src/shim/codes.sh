# The exit statuses that mean something to whoever reads them, each named once, here (0 is
# success, 1 a failure already said; a trap's 129, 141 and 143 are 128 plus the signal's
# number, as a shell's own are). Sent to containers' shells too, as $codes_sh.
#   exit_not_found, exit_not_runnable: the shim found no codex, or the --codex given cannot
#     run (as a shell says of a command); `docker exec` and `podman exec` say so of a program
#     a container lacks.
#   exit_refused: the shim refused a sign-in before codex started (a keyring store, a method
#     the policy forbids).
#   exit_unlocked: take_lock, enter_login: ready, but nothing here takes codex's lock (no
#     flock, perl or python3); the caller goes on unlocked.
#   exit_declined: a program in a container left its login alone: the place is not the
#     user's alone, holds a link, or codex held its lock.
# provides: $exit_declined $exit_not_found $exit_not_runnable $exit_refused $exit_unlocked

# shellcheck disable=SC2034 # read by the other files
{
exit_not_found=127 exit_not_runnable=126 exit_refused=3 exit_unlocked=3 exit_declined=8
}
