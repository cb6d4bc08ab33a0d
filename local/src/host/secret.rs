//! Secrets the user hands over for `--with-api-key` / `--with-access-token`: from the
//! environment, else stdin when it is not a terminal, else a prompt with echo off. Never
//! from the command line, where `ps` would show them. Read when first needed, once the host
//! is reachable: nobody is asked for a key for a host that turns out to be down.

use std::io::{IsTerminal, Read};
use std::sync::OnceLock;

use codex_remote_login_shared::redact::Secret;

use crate::error::Error;
use crate::settings::Method;
use crate::ui::Ui;
use crate::ui::terminal;

/// The secret of a sign-in, read on first use and kept for the hosts after it.
#[derive(Debug)]
pub struct Pending {
    method: Method,
    value: OnceLock<Option<Secret>>,
}

impl Pending {
    pub fn new(method: Method) -> Self {
        Self {
            method,
            value: OnceLock::new(),
        }
    }

    /// The secret, read now if it has not been: with the progress display hidden while a
    /// prompt waits on the terminal.
    pub fn get(&self, ui: &Ui) -> Result<Option<&Secret>, Error> {
        if let Some(value) = self.value.get() {
            return Ok(value.as_ref());
        }
        let value = ui.suspend(|| read(self.method))?;
        Ok(self.value.get_or_init(|| value).as_ref())
    }
}

/// The secret `method` needs, if any.
fn read(method: Method) -> Result<Option<Secret>, Error> {
    let (var, what) = match method {
        Method::Browser | Method::Device => return Ok(None),
        Method::ApiKey => ("OPENAI_API_KEY", "API key"),
        Method::AccessToken => ("CODEX_ACCESS_TOKEN", "access token"),
    };
    let fail = |why: String| Error::Secret { what, var, why };
    let value = match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => value,
        _ if !std::io::stdin().is_terminal() => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| fail(format!("cannot read stdin: {e}")))?;
            text
        }
        _ if terminal::available() => terminal::ask_secret(&format!("{what}: ")).map_err(|e| fail(e.to_string()))?,
        _ => return Err(fail("there is no terminal to ask on".into())),
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(fail("it is empty".into()));
    }
    if value.contains(['\n', '\r']) {
        return Err(fail("it spans several lines".into()));
    }
    Ok(Some(Secret::new(value.to_owned())))
}
