//! What every sign-in method reads of its run: the host's name, the person's screen, what was
//! asked for, and what the host can relay with. Lent by `Run` to the method at each turn.

use codex_remote_login_remote::{ContainerRef, RelayTool};

use crate::codex::authorize::PageUrl;
use crate::settings::{Browser, SignInSettings};
use crate::ui::{Ui, browser};

pub struct Context<'a> {
    /// `HOST`, or `HOST/CONTAINER` with `--login-inside`.
    pub host: &'a str,
    pub ui: &'a Ui,
    pub sign_in: &'a SignInSettings,
    /// `--login-inside`: the container whose codex signs in.
    pub inside: Option<&'a ContainerRef>,
    /// The relay tools the host has, best first.
    pub relays: &'a [RelayTool],
}

impl Context<'_> {
    /// Opens `url` as `--no-browser` and `--browser-command` say; `what` it is, to open by
    /// hand when no browser would.
    pub async fn open_browser(&self, url: &PageUrl, what: &str) {
        let command = match &self.sign_in.browser {
            Browser::PrintOnly => return,
            Browser::Default => None,
            Browser::Command(program) => Some(program.as_os_str()),
        };
        if let Err(why) = browser::open(url, command).await {
            self.ui.warn(&format!(
                "could not open a browser ({why}); open the {what} above yourself"
            ));
        }
    }

    /// The relay for a host that forbids forwarding: `--relay` if the host has it, else the
    /// host's best.
    pub fn relay_tool(&self) -> Option<RelayTool> {
        match self.sign_in.relay {
            Some(tool) if self.relays.contains(&tool) => Some(tool),
            Some(tool) => {
                let fallback = self.relays.first().copied();
                self.ui.warn(&format!(
                    "{} has no {tool}; relaying with {} if needed",
                    self.host,
                    fallback.map_or("nothing", RelayTool::as_str)
                ));
                fallback
            }
            None => self.relays.first().copied(),
        }
    }
}
