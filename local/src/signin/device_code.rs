//! `--device-auth`: the one-time code codex gets from the issuer, shown with its page and a
//! countdown.

use std::time::{Duration, Instant};

use codex_remote_login_shared::redact;

use super::context::Context;
use crate::codex::authorize::{self, PageUrl};
use crate::error::Error;
use crate::ui::json::Event;

/// How long codex's device codes live.
const DEVICE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// What codex has printed of a device-code sign-in so far.
#[derive(Default)]
pub struct DeviceCode {
    link: Option<PageUrl>,
    code: Option<String>,
    shown_at: Option<Instant>,
}

impl DeviceCode {
    /// Whether the page and the code have been shown (the countdown ticks from then).
    pub fn shown(&self) -> bool {
        self.shown_at.is_some()
    }

    /// One line of codex's output. codex prints the verification page and the one-time code;
    /// once both are in, they are shown (and the page opened), or refused like a bad
    /// authorize URL. A line that is neither comes back, redacted, to be kept for errors.
    pub async fn on_line(&mut self, line: &str, cx: &Context<'_>) -> Result<Option<String>, Error> {
        let clean = authorize::strip_ansi(line);
        if self.link.is_none() && authorize::is_candidate(&clean) {
            let link =
                authorize::device_link(&clean, cx.sign_in.issuer.as_deref()).map_err(|reason| Error::BadUrl {
                    reason,
                    shown: redact::url(clean.trim()),
                })?;
            self.link = Some(link);
        } else if let Some(code) = authorize::device_code(&clean).filter(|_| self.code.is_none()) {
            self.code = Some(code.to_owned());
        } else {
            return Ok(Some(redact::log_line(clean.trim())));
        }
        let (Some(link), Some(code), None) = (&self.link, &self.code, self.shown_at) else {
            return Ok(None);
        };
        self.shown_at = Some(Instant::now());
        let host = cx.host;
        cx.ui.always(&format!(
            "To sign in to Codex on {host}, open\n\n  {link}\n\nand enter the one-time code\n\n  {code}\n\n(it expires in 15 minutes; only enter it if you started this sign-in)\n"
        ));
        cx.open_browser(link, "page").await;
        cx.ui.event(&Event::DeviceCode {
            host,
            url: link.as_str(),
            code,
            expires_in_secs: DEVICE_EXPIRY.as_secs(),
        });
        cx.ui.step(&format!("Waiting for code {code} to be approved"));
        Ok(None)
    }

    /// The spinner's line while the code waits for approval.
    pub fn countdown(&self, cx: &Context<'_>) {
        let (Some(code), Some(shown)) = (&self.code, self.shown_at) else {
            return;
        };
        let left = DEVICE_EXPIRY.saturating_sub(shown.elapsed()).as_secs();
        cx.ui.tick(&format!(
            "Waiting for code {code} to be approved ({}:{:02} left)",
            left / 60,
            left % 60
        ));
    }
}
