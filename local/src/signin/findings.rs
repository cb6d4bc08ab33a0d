//! What the host reported on the way through a sign-in, and what is said of it at the end:
//! the summary of a sign-in that finished, or that the host's own login is still in place.

use std::collections::VecDeque;

use codex_remote_login_shared::protocol::{Previous, RelayTool};
use codex_remote_login_shared::{Account, Untrusted};

use crate::error::{CodexLog, Error};
use crate::ui::Ui;
use crate::ui::json::Event;

/// What the host reported on the way.
#[derive(Default)]
pub struct Findings {
    /// The login the host had before.
    pub before: Option<Account>,
    pub relays: Vec<RelayTool>,
    pub logged_in: bool,
    /// The new auth.json: its mode and path.
    pub auth_file: Option<(Untrusted, Untrusted)>,
    pub account: Option<Account>,
    pub log: Option<CodexLog>,
    pub last_lines: VecDeque<String>,
    pub policy: Policy,
    /// The new login was moved into place.
    pub installed: bool,
    /// The shim was told to move it into place (it may have, unconfirmed).
    pub install_sent: bool,
    /// What became of the login it replaced.
    pub previous: Option<Previous>,
    /// The credential store the host's codex config asks for, when it is `auto`.
    pub store: Option<Untrusted>,
    /// The other places that held the login the new one replaced (see
    /// [`Survey`](super::survey::Survey)).
    pub previous_holders: Vec<String>,
}

/// The host codex's `forced_login_method` and `forced_chatgpt_workspace_id`, when set.
#[derive(Default)]
pub struct Policy {
    pub method: Option<Untrusted>,
    pub workspace: Option<Untrusted>,
}

impl Findings {
    /// After a sign-in that did not finish: says that the host's own login, when it had one,
    /// is still in place. codex signs in against a private home of its own, and the shim moves
    /// the new login in only when this side says `install`, so this holds whatever ended the
    /// run before that (a timeout, an interrupt, a lost connection, codex failing, a refusal).
    pub fn tell_kept(&self, host: &str, ui: &Ui, error: &Error) {
        let Some(before) = &self.before else { return };
        let unsure = self.install_sent && !matches!(error, Error::NotInstalled { .. });
        if self.installed || unsure {
            return;
        }
        let who = before.email.as_ref().map_or("an API key".to_owned(), Untrusted::shown);
        ui.finish();
        ui.info(&format!(
            "{}'s own login ({who}) is still in place, untouched: this sign-in never changed it.",
            host
        ));
        ui.event(&Event::Kept {
            host,
            account: Some(before),
        });
    }

    /// The sign-in's result as the host confirmed it: said, and returned.
    pub fn summary(&self, host: &str, ui: &Ui) -> Result<Account, Error> {
        let host = host.to_owned();
        let host = &host;
        let found = self;
        let (mode, path) = found.auth_file.clone().unwrap_or_default();
        if !found.logged_in {
            return Err(Error::NotSaved {
                host: host.clone(),
                problem: "`codex login status` says it is not logged in".into(),
            });
        }
        if mode != "-rw-------" {
            return Err(Error::NotSaved {
                host: host.clone(),
                problem: format!("{path} has mode {mode}, not -rw-------"),
            });
        }
        let account = found.account.clone().unwrap_or_default();
        let who = match (&account.email, &account.plan) {
            (Some(email), Some(plan)) => format!(" as {email} ({plan})"),
            (Some(email), None) => format!(" as {email}"),
            _ => String::new(),
        };
        ui.finish();
        ui.info(&format!(
            "Signed in to Codex on {host}{who} using {}.\n  Credentials: {path} (on {host}; they never left it)",
            account.auth_mode
        ));
        if let Some(store) = &found.store {
            ui.info(&format!(
                "  {host}'s codex config asks for cli_auth_credentials_store = \"{store}\": where an OS keyring service runs, a login kept there comes before this file."
            ));
        }
        if let Some(workspace) = &found.policy.workspace {
            ui.info(&format!(
                "  Restricted to workspace {workspace} by {host}'s codex config (forced_chatgpt_workspace_id)."
            ));
        }
        let replaced = found.before.as_ref().filter(|b| **b != account);
        let old_who = found
            .before
            .as_ref()
            .map(|old| old.email.as_ref().map_or("an API key".to_owned(), Untrusted::shown))
            .unwrap_or_default();
        let (previous, previous_backup) = match &found.previous {
            None | Some(Previous::None) => (None, None),
            Some(Previous::RevokeRequested) => {
                ui.info(&format!(
                    "  Replaced the previous login ({old_who}); its revocation was requested at the issuer, as codex requests it."
                ));
                (Some("revocation_requested"), None)
            }
            Some(Previous::Kept { backup }) if !found.previous_holders.is_empty() => {
                ui.info(&format!(
                    "  Replaced the previous login ({old_who}), not revoked: {} hold it too and keep working; it is kept at {backup}.",
                    found.previous_holders.join(", ")
                ));
                (Some("kept"), Some(backup.raw()))
            }
            Some(Previous::Kept { backup }) => {
                ui.info(&format!(
                    "  Replaced the previous login ({old_who}), not revoked: it is kept at {backup}."
                ));
                (Some("kept"), Some(backup.raw()))
            }
            Some(Previous::SetAside { backup }) => {
                ui.info(&format!(
                    "  Set the previous login ({old_who}) aside at {backup}, not revoked: it may be a copy of the host's."
                ));
                (Some("set_aside"), Some(backup.raw()))
            }
        };
        ui.event(&Event::Success {
            host,
            account: &account,
            auth_file: path.raw(),
            replaced,
            previous,
            previous_backup,
            previous_also_in: &found.previous_holders,
        });
        Ok(account)
    }
}
