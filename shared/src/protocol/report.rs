//! What codex itself says of the login on the host, and the file it is in (`report_login` in
//! the shim): part of a sign-in's, a status's and a push's events.

use super::frame::{Fields, ProtocolError};
use super::host::Account;
use crate::untrusted::Untrusted;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginReport {
    /// `codex login status`: did codex itself see a login?
    Status { logged_in: bool },
    /// The auth.json: its `ls -l` permission string and path.
    AuthFile { mode: Untrusted, path: Untrusted },
    /// auth.json is missing where it should be.
    AuthFileMissing { path: Untrusted },
    /// The account in auth.json.
    Account(Account),
}

impl LoginReport {
    pub(super) const KINDS: [&'static str; 3] = ["status", "authfile", "account"];

    pub(super) fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "status" => Self::Status {
                logged_in: f.word(&[("logged-in", true), ("not-logged-in", false)])?,
            },
            "authfile" => match f.field()? {
                "missing" => Self::AuthFileMissing { path: f.last()? },
                mode => Self::AuthFile {
                    mode: mode.into(),
                    path: f.last()?,
                },
            },
            "account" => {
                let mode = f.field()?;
                Self::Account(Account::from_fields(mode, f)?)
            }
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}
