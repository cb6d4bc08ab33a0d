//! `--device-auth`: the one-time code codex gets from the issuer, shown with its page and a
//! countdown.

use std::time::{Duration, Instant};

use codex_remote_login_shared::redact;

use super::run::Run;
use super::strategy::Strategy;
use crate::codex::authorize::{self, PageUrl};
use crate::error::Error;
use crate::ui::json::Event;

/// How long codex's device codes live.
const DEVICE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// What codex has printed of a device-code sign-in so far.
#[derive(Default)]
pub struct Device {
    link: Option<PageUrl>,
    code: Option<String>,
    pub shown_at: Option<Instant>,
}

impl Run<'_> {
    /// `--device-auth`: codex prints the verification page and the one-time code; once both
    /// are in, they are shown (and the page opened), or refused like a bad authorize URL.
    pub(super) async fn on_device_line(&mut self, line: &str) -> Result<(), Error> {
        let clean = authorize::strip_ansi(line);
        let Strategy::Device(device) = &mut self.strategy else {
            return Ok(());
        };
        if device.link.is_none() && authorize::is_candidate(&clean) {
            let link =
                authorize::device_link(&clean, self.sign_in.issuer.as_deref()).map_err(|reason| Error::BadUrl {
                    reason,
                    shown: redact::url(clean.trim()),
                })?;
            device.link = Some(link);
        } else if let Some(code) = authorize::device_code(&clean).filter(|_| device.code.is_none()) {
            device.code = Some(code.to_owned());
        } else {
            self.remember(redact::log_line(clean.trim()));
            return Ok(());
        }
        let (Some(link), Some(code), None) = (&device.link, &device.code, device.shown_at) else {
            return Ok(());
        };
        device.shown_at = Some(Instant::now());
        let (link, code) = (link.clone(), code.clone());
        let host = &self.host;
        self.ui.always(&format!(
            "To sign in to Codex on {host}, open\n\n  {link}\n\nand enter the one-time code\n\n  {code}\n\n(it expires in 15 minutes; only enter it if you started this sign-in)\n"
        ));
        self.open_browser(&link, "page").await;
        self.ui.event(&Event::DeviceCode {
            host,
            url: link.as_str(),
            code: &code,
            expires_in_secs: DEVICE_EXPIRY.as_secs(),
        });
        self.ui.step(&format!("Waiting for code {code} to be approved"));
        Ok(())
    }

    /// The spinner's line while a device code waits for approval.
    pub(super) fn device_countdown(&self) {
        let Strategy::Device(Device {
            code: Some(code),
            shown_at: Some(shown),
            ..
        }) = &self.strategy
        else {
            return;
        };
        let left = DEVICE_EXPIRY.saturating_sub(shown.elapsed()).as_secs();
        self.ui.tick(&format!(
            "Waiting for code {code} to be approved ({}:{:02} left)",
            left / 60,
            left % 60
        ));
    }
}
