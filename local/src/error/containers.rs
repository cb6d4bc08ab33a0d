//! What goes wrong with containers (naming them, finding them, copying a login in or
//! collecting one back), each with what to do next and its exit status: wrapped by the
//! application's error as it is.

use crate::ui::exit::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("`{name}` is not a container name or id")]
    Name { name: String },
    #[error("no containers named")]
    NoneNamed,
    #[error("cannot sign in inside {name}: {why}")]
    Unreachable { name: String, why: String },
    #[error("{host} has no login to copy ({path} is missing)")]
    NoLoginToCopy { host: String, path: String },
    #[error("this machine has no login to copy ({path} is missing)")]
    NoLocalLogin { path: String },
    #[error("the login of {host} at {path} is not an auth.json codex can use; nothing was written")]
    BadLogin { host: String, path: String },
    #[error("the login of this machine at {path} is not an auth.json codex can use; nothing was written")]
    BadLocalLogin { path: String },
    /// The work on the host's containers could not start: `nothing` says what was not done.
    #[error("{nothing} on {host}: {why}")]
    Aborted {
        host: String,
        nothing: &'static str,
        why: String,
    },
    #[error("{host} has none of python3, node or perl's JSON::PP to make an access-only copy with; nothing was copied")]
    NoAccessCopy { host: String },
    /// `keeper start` or `keeper stop` changed nothing, because `why`.
    #[error("the keeper on {host}: {why}")]
    Keeper { host: String, why: String },
    #[error("cannot run /bin/sh here to copy into containers")]
    LocalShell {
        #[source]
        source: std::io::Error,
    },
    /// `--container` after a sign-in.
    #[error("{host} is signed in, but its login did not reach every container asked for")]
    Provisioning { host: String },
    #[error(
        "{host} has no login of its own ({path} is missing): collect brings back only a fresher login of the host's account"
    )]
    NoHostLogin { host: String, path: String },
    #[error("the auth.json of {host} could not be replaced ({why}); it is unchanged")]
    CollectFailed { host: String, why: String },
    #[error("collect would replace the login of {host} with the one in {container} ({account}); nothing was changed")]
    CollectNeedsYes {
        host: String,
        container: String,
        account: String,
    },
}

impl ContainerError {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Name { .. } | Self::NoneNamed => ExitStatus::Usage,
            _ => ExitStatus::Failed,
        }
    }

    /// The host the error is about, for `--json`.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Provisioning { host }
            | Self::CollectFailed { host, .. }
            | Self::CollectNeedsYes { host, .. }
            | Self::NoHostLogin { host, .. }
            | Self::BadLogin { host, .. }
            | Self::Aborted { host, .. }
            | Self::NoAccessCopy { host }
            | Self::Keeper { host, .. }
            | Self::NoLoginToCopy { host, .. } => Some(host),
            Self::Name { .. }
            | Self::NoneNamed
            | Self::Unreachable { .. }
            | Self::NoLocalLogin { .. }
            | Self::BadLocalLogin { .. }
            | Self::LocalShell { .. } => None,
        }
    }

    /// What the user can do next.
    pub fn hint(&self) -> String {
        match self {
            Self::Name { .. } => "name containers as `docker ps` shows them".into(),
            Self::NoneNamed => "name containers, or pass --all-running or --label KEY=VALUE".into(),
            Self::Unreachable { .. } => "start it, or name it as `docker ps` shows it".into(),
            Self::NoLoginToCopy { host, .. } => format!("sign {host} in first: codex-remote-login {host}"),
            Self::NoLocalLogin { .. } => "sign this machine in first: codex login".into(),
            Self::BadLogin { host, .. } => format!("sign {host} in again: codex-remote-login {host}"),
            Self::BadLocalLogin { .. } => "sign this machine in again: codex login".into(),
            Self::Aborted { .. } => {
                "check that TMPDIR (default /tmp) is a writable directory with free space, then run again".into()
            }
            Self::NoAccessCopy { .. } => "install python3 on the host (node, or perl with JSON::PP, do too); \
                 or copy the whole login with --share-refresh-token, and the copies log each other out"
                .into(),
            Self::Keeper { host, .. } => {
                format!("fix what is said, then run `codex-remote-login keeper start {host} ...` again")
            }
            Self::LocalShell { .. } => "containers --local needs a POSIX /bin/sh on this machine".into(),
            Self::Provisioning { host } => {
                format!("the table above says which; run `codex-remote-login containers {host} ...` again")
            }
            Self::NoHostLogin { host, .. } => {
                format!("sign {host} in first (codex-remote-login {host}), then copy it with `containers`")
            }
            Self::CollectFailed { .. } => {
                "check the free space and permissions of the host's CODEX_HOME, then run collect again".into()
            }
            Self::CollectNeedsYes { .. } => {
                "run it on a terminal to be asked, or pass --yes if you trust that container".into()
            }
        }
    }
}
