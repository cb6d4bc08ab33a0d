//! What codex's last words say went wrong: read once, beside the reading of its other output
//! (`authorize`), so that errors carry a kind instead of matching text later.

/// Why `codex login` ended without a login, as far as its output tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexFailure {
    /// The workspace has device-code sign-in turned off.
    DeviceCodeDisabled,
    /// Another `codex login` holds both callback ports on the host.
    PortsInUse,
    /// The token exchange failed, most often at TLS (an intercepting proxy).
    Tls,
    /// The person declined in the browser.
    Declined,
    /// Nothing codex said that this tool recognises.
    Other,
}

impl CodexFailure {
    /// The failure `last_lines` (codex's last lines, redacted) describe.
    pub fn of(last_lines: &[String]) -> Self {
        let said = last_lines.join(" | ");
        if said.contains("device code login is not enabled") {
            Self::DeviceCodeDisabled
        } else if said.contains("already in use") {
            Self::PortsInUse
        } else if said.contains("Token exchange failed") || said.contains("certificate") {
            Self::Tls
        } else if said.contains("denied") {
            Self::Declined
        } else {
            Self::Other
        }
    }

    /// What to do about it, where the kind says.
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Self::DeviceCodeDisabled => {
                "device-code sign-in is not enabled for this workspace: its admin must enable it. The browser sign-in \
                 (without --device-auth) works over SSH as well"
            }
            Self::PortsInUse => "another `codex login` holds the host's ports 1455 and 1457: end it, then run again",
            Self::Tls => {
                "the host's codex could not reach the issuer over TLS. Behind a TLS-intercepting proxy, pass its CA \
                 bundle with --ca-cert FILE (or --remote-ca-cert PATH); `codex-remote-login doctor HOST` checks the \
                 host's CA settings"
            }
            Self::Declined => "the sign-in was declined in the browser; run again and approve it",
            Self::Other => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// codex 0.169.0's own words for each.
    #[test]
    fn codex_words_name_the_failure() {
        for (said, kind) in [
            (
                "Error logging in with device code: device code login is not enabled for this workspace",
                CodexFailure::DeviceCodeDisabled,
            ),
            (
                "Error logging in: Port 127.0.0.1:1457 is already in use",
                CodexFailure::PortsInUse,
            ),
            (
                "Error logging in: Token exchange failed: error sending request",
                CodexFailure::Tls,
            ),
            ("Error logging in: access_denied", CodexFailure::Declined),
            ("Error logging in: something else", CodexFailure::Other),
        ] {
            assert_eq!(CodexFailure::of(&["Starting…".into(), said.into()]), kind, "{said}");
        }
        assert_eq!(CodexFailure::of(&[]), CodexFailure::Other);
        assert!(CodexFailure::Other.hint().is_none());
    }
}
