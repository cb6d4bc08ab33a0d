//! The long help's extra sections (`--help`, and so the man page): examples, exit codes and
//! the `--json` events, so that what the README documents is also there without it.

/// After the options of `codex-remote-login --help`.
pub const AFTER_LONG_HELP: &str = "\
Examples:
  codex-remote-login dev-vm                    sign in on dev-vm, the browser opening here
  codex-remote-login --paste dev-vm            the browser is on another device
  codex-remote-login --device-auth me@dev-vm   a one-time code instead of the callback
  codex-remote-login -J bastion dev-vm         through a jump host, as ssh -J
  codex-remote-login --hosts-file hosts.txt    several hosts, one after another
  codex-remote-login status dev-vm ci-1        where each host's login stands
  codex-remote-login containers dev-vm web     copy dev-vm's login into its container web
  codex-remote-login logout dev-vm ci-1        sign each host out (revoked at the issuer)

HOST is [user@]host, ssh://[user@]host[:port], or a Host from the ssh config.
Each command's --help tells it in full, e.g. codex-remote-login containers --help.

Exit codes:
  0    done (status: every host is logged in; logout: every place is signed out)
  1    the sign-in did not complete (codex failed, approval denied, connection lost, a URL
       refused, a push refused); doctor: a check failed
  2    bad command line or input
  3    could not connect, verify the host key, or authenticate
  4    the local callback ports are taken
  5    codex not found on the host
  6    status: a host is not logged in
  124  --timeout passed
  130  interrupted (SIGINT); 143: terminated (SIGTERM); the remote login was cancelled";

/// The long help of `--json`.
pub const JSON_LONG_HELP: &str = "\
Write JSON Lines events on stdout, one object per line, each with a \"type\"; text for
people stays on stderr. No event carries a token, an authorization code or a key. A usage
error is an error event too (exit_code 2) when --json is on the command line.

  connected    host, user, port
  codex_found  host, path, found_via
  url          host, url, callback_port
  device_code  host, url, code, expires_in_secs
  callback     host
  skipped      host, auth_mode, email, plan (--skip-logged-in: signed in already)
  success      host, auth_mode, email, plan, auth_file, replaced, previous (revocation_requested,
               kept, set_aside), previous_backup, previous_also_in
  kept         host, auth_mode, email, plan (a sign-in that did not finish: the host's own
               login is still in place, untouched)
  status       host, logged_in, auth_mode, email, plan, auth_file, auth_file_mode, store,
               expires_in_secs, last_refresh, forced_login_method,
               forced_chatgpt_workspace_id
  logout       host, container, result (signed_out, removed, not_signed_in, failed),
               shared (other places on the host with the same login), reason
  pushed       host, auth_file, backup
  container    host, container, result (copied, kept, failed), engine, user, auth_file,
               backup, reason
  collected    host, container, result (taken, fresher, not_taken, older, other_account,
               unconfirmed, future, malformed, too_large, none, failed), engine,
               last_refresh, backup, account, reason
  check        name, verdict (pass, warn, fail, skip), detail, fix
  error        host, message, hint, exit_code";
