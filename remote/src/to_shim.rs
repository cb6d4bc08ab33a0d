//! What the local side writes on the shim's stdin, as each job's part reads it. Secrets and
//! files travel here, never in a command line.

use codex_remote_login_shared::redact::Secret;

/// One message to the shim. No `Debug`: a secret may be in it.
pub enum ToShim<'a> {
    /// `--ca-cert` (a sign-in): the PEM bundle, before anything else, as many bytes as
    /// [`CaBundle::Sent`](crate::CaBundle::Sent) said.
    CaBundle(&'a str),
    /// A sign-in with a secret: the API key or access token, one line, which the shim hands to
    /// codex on a pipe.
    Secret(&'a Secret),
    /// A sign-in: codex has printed its URL or device code, so its native process runs now.
    /// The shim notes which binary, to check the result with it directly rather than through
    /// npm's node wrapper (whose start-up costs about 100 ms).
    Running,
    /// A sign-in: end `codex login` early. Closing the channel (or losing the connection)
    /// does the same.
    Cancel,
    /// `push`: replace the host's auth.json with this one.
    Push(&'a str),
    /// `keeper start`: the program of one of the keeper's rounds.
    Round(&'a str),
    /// `collect`, asked (`col-ask`): replace the host's login with the container's.
    Take,
    /// `push`, `collect`: leave the host's login as it is. `logout`, asked (`lo-ask`): sign
    /// nothing out.
    Leave,
    /// `logout`, asked (`lo-ask`): every place holding the login is known, sign out. A
    /// sign-in, asked (`previous-ask`): revoke the login the new one replaced.
    Proceed,
    /// A sign-in, asked (`install-ask`): codex signed in, and this side is not being stopped:
    /// move the new login into place.
    Install,
}

impl ToShim<'_> {
    /// The bytes the shim reads.
    pub fn encode(&self) -> String {
        match self {
            Self::CaBundle(pem) => (*pem).to_owned(),
            Self::Secret(secret) => format!("{}\n", secret.expose()),
            Self::Running => "running\n".to_owned(),
            Self::Cancel => "cancel\n".to_owned(),
            Self::Push(auth) => format!("push {}\n{auth}", auth.len()),
            Self::Round(program) => format!("round {}\n{program}", program.len()),
            Self::Take => "take\n".to_owned(),
            Self::Leave => "abort\n".to_owned(),
            Self::Proceed => "proceed\n".to_owned(),
            Self::Install => "install\n".to_owned(),
        }
    }
}
