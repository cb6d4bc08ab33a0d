//! What one run of the shim does: the [`Job`], its parameters, and its part of the program.

use codex_remote_login_shared::protocol::{
    CollectEvent, ContainersEvent, DoctorEvent, Events, KeeperEvent, LogoutEvent, PushEvent, SignInEvent, StatusEvent,
    SurveyEvent,
};

use crate::engine::Engine;

use crate::pieces::{self, Piece, Piece::*};

/// The shim's common part: finds codex and reports what the host holds.
pub(crate) const COMMON: &[Piece] = &[Run(pieces::CODES), Run(pieces::CLAIMS), Run(pieces::COMMON)];
pub(crate) const LOGIN: &[Piece] = &[
    Carried(pieces::SAFE),
    Run(pieces::FRESH),
    Run(pieces::SIGNIN),
    Run(pieces::REPORT),
    Run(pieces::LOGIN),
];
pub(crate) const SECRET: &[Piece] = &[
    Carried(pieces::SAFE),
    Run(pieces::FRESH),
    Run(pieces::SIGNIN),
    Run(pieces::REPORT),
    Run(pieces::SECRET),
];
pub(crate) const STATUS: &[Piece] = &[
    Carried(pieces::REFRESHED),
    Run(pieces::KEPT),
    Run(pieces::REPORT),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::SURVEY),
    Run(pieces::HELD),
    Run(pieces::STATUS),
];
pub(crate) const PUSH: &[Piece] = &[
    Run(pieces::REPORT),
    Carried(pieces::SAFE),
    Run(pieces::WRITE),
    Run(pieces::PUSH),
];
pub(crate) const DOCTOR: &[Piece] = &[
    Carried(pieces::REFRESHED),
    Run(pieces::KEPT),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::SURVEY),
    Run(pieces::HELD),
    Run(pieces::DOCTOR),
];
pub(crate) const PREFLIGHT: &[Piece] = &[Run(pieces::PREFLIGHT)];
pub(crate) const CONTAINERS: &[Piece] = &[
    Text(pieces::CODES),
    Carried(pieces::REFRESHED),
    Carried(pieces::SAFE),
    Text(pieces::CTR_COPY),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::AUTHJSON),
    Run(pieces::ACCESS),
    Run(pieces::KEPT),
    Run(pieces::CONTAINERS),
];
pub(crate) const KEEPER: &[Piece] = &[
    Carried(pieces::SAFE),
    Run(pieces::AUTHJSON),
    Carried(pieces::KEPT),
    Text(pieces::CLAIMS),
    Text(pieces::KEEPER_LOOP),
    Run(pieces::KEEPER),
];
pub(crate) const COLLECT: &[Piece] = &[
    Carried(pieces::REFRESHED),
    Carried(pieces::SAFE),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::AUTHJSON),
    Run(pieces::WRITE),
    Run(pieces::COLLECT),
];
pub(crate) const LOGOUT: &[Piece] = &[
    Text(pieces::CODES),
    Carried(pieces::REFRESHED),
    Carried(pieces::SAFE),
    Text(pieces::CTR_REMOVE),
    Text(pieces::CTR_LOGOUT),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::SURVEY),
    Run(pieces::LOGOUT),
];
pub(crate) const SURVEY: &[Piece] = &[
    Carried(pieces::REFRESHED),
    Run(pieces::ENGINE),
    Run(pieces::ENGINES),
    Run(pieces::SURVEY),
    Run(pieces::COPIES),
];

/// Every job's part, by name.
pub(crate) const PARTS: [(&str, &[Piece]); 11] = [
    ("login", LOGIN),
    ("secret", SECRET),
    ("status", STATUS),
    ("push", PUSH),
    ("doctor", DOCTOR),
    ("preflight", PREFLIGHT),
    ("containers", CONTAINERS),
    ("collect", COLLECT),
    ("logout", LOGOUT),
    ("survey", SURVEY),
    ("keeper", KEEPER),
];

/// The common part, as sent.
pub fn common() -> String {
    pieces::assemble(COMMON)
}

/// A job: what one run of the shim does once the host's report is made, and the events its
/// shim speaks then, fixed by its type. Each is a type of its own, so that starting a job
/// fixes what its events are parsed as (`Shim::start` takes `J::Event` from it).
pub trait OneJob: Clone + Into<Job> {
    /// The job's own events: one enum of [`codex_remote_login_shared::protocol`].
    type Event: Events;
}

/// `codex login`, or a login with a secret. `ca`: a CA bundle for codex; `skip_logged_in`:
/// leave a host that is already signed in alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub method: LoginMethod,
    pub ca: Option<CaBundle>,
    pub skip_logged_in: bool,
}

/// Where the login stands, read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status;

/// Before a host's turn among several, read-only: the host's report, and (`check_login`)
/// whether codex itself reports a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub check_login: bool,
}

/// The host's side of `doctor`, read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doctor;

/// Replace the host's auth.json with one sent on stdin after `push SIZE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push;

/// Copy the host's login into containers on the host; `force`: even where theirs is
/// fresher. `share_refresh`: the whole auth.json, refresh token included (every copy then a
/// writer of one rotating token); otherwise an access-only copy (`shim/access.sh`). `keep`:
/// this is a round of the keeper, run by it on the host (`shim/keeper_loop.sh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Containers {
    pub containers: Selection,
    pub force: bool,
    pub share_refresh: bool,
    pub keep: bool,
}

/// Start or stop the keeper on the host (`shim/keeper.sh`). Starting sends it the program of
/// one round ([`crate::ToShim::Round`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeper {
    Start,
    Stop,
}

/// Bring the freshest auth.json of the same account back from containers on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collect(pub Selection);

/// Sign the host out, and the containers named, after naming every place on it that shares
/// the login; `local_only`: remove auth.json without revoking. `salt`: fresh for each run,
/// for this machine to tell whether its own login is the host's (`lo-salted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub containers: Selection,
    pub local_only: bool,
    pub salt: String,
}

/// Read-only, alongside a sign-in: the containers on the host holding the host's login, and
/// its hash salted with `salt` for this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub salt: String,
}

/// Each job with its events, and as a [`Job`].
macro_rules! jobs {
    ($($name:ident => $event:ident),* $(,)?) => {
        /// Any job, as the program is built from it.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Job {
            $($name($name),)*
        }
        $(
            impl OneJob for $name {
                type Event = $event;
            }
            impl From<$name> for Job {
                fn from(job: $name) -> Self {
                    Job::$name(job)
                }
            }
        )*
    };
}

jobs! {
    SignIn => SignInEvent,
    Status => StatusEvent,
    Preflight => StatusEvent,
    Doctor => DoctorEvent,
    Push => PushEvent,
    Containers => ContainersEvent,
    Collect => CollectEvent,
    Logout => LogoutEvent,
    Survey => SurveyEvent,
    Keeper => KeeperEvent,
}

/// How a sign-in proves who the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// `codex login`, with the browser's callback carried to it. `hold_port`: hold this port
    /// on the host's loopback while codex starts, so that codex falls back to its other
    /// registered port (the local one is taken).
    Browser { hold_port: Option<u16> },
    /// `codex login --device-auth`: a one-time code to approve on the issuer's page.
    Device,
    /// `codex login --with-api-key`, the key sent as the first line on stdin.
    ApiKey,
    /// `codex login --with-access-token`, the token sent as the first line on stdin.
    AccessToken,
}

impl Job {
    /// `CRL_MODE`, which the shim's parts test.
    pub(crate) fn mode(&self) -> &'static str {
        match self {
            Self::SignIn(SignIn { method, .. }) => match method {
                LoginMethod::Browser { .. } => "browser",
                LoginMethod::Device => "device",
                LoginMethod::ApiKey => "api-key",
                LoginMethod::AccessToken => "access-token",
            },
            Self::Status(_) => "status",
            Self::Push(_) => "push",
            Self::Doctor(_) => "doctor",
            Self::Preflight(_) => "preflight",
            Self::Containers(_) => "containers",
            Self::Collect(_) => "collect",
            Self::Logout(_) => "logout",
            Self::Survey(_) => "survey",
            Self::Keeper(_) => "keeper",
        }
    }

    /// The job's part of the program, after the common one.
    pub fn part(&self) -> String {
        pieces::assemble(self.pieces())
    }

    /// The files of the job's part, in their order.
    pub(crate) fn pieces(&self) -> &'static [Piece] {
        match self {
            Self::SignIn(SignIn { method, .. }) => match method {
                LoginMethod::Browser { .. } | LoginMethod::Device => LOGIN,
                LoginMethod::ApiKey | LoginMethod::AccessToken => SECRET,
            },
            Self::Status(_) => STATUS,
            Self::Push(_) => PUSH,
            Self::Doctor(_) => DOCTOR,
            Self::Preflight(_) => PREFLIGHT,
            Self::Containers(_) => CONTAINERS,
            Self::Collect(_) => COLLECT,
            Self::Logout(_) => LOGOUT,
            Self::Survey(_) => SURVEY,
            Self::Keeper(_) => KEEPER,
        }
    }

    /// The `CRL_*` parameters the job's part reads.
    pub(crate) fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        let on = |flag: bool| flag.then(|| "1".to_owned());
        match self {
            Self::SignIn(SignIn {
                method,
                ca,
                skip_logged_in,
            }) => {
                let hold = match method {
                    LoginMethod::Browser { hold_port } => hold_port.map(|p| p.to_string()),
                    _ => None,
                };
                vec![
                    ("CRL_HOLD_PORT", hold),
                    (
                        "CRL_LOGIN_FLAG",
                        (*method == LoginMethod::Device).then(|| "--device-auth".into()),
                    ),
                    (
                        "CRL_CA_SIZE",
                        match ca {
                            Some(CaBundle::Sent { size }) => Some(size.to_string()),
                            _ => None,
                        },
                    ),
                    (
                        "CRL_CA_PATH",
                        match ca {
                            Some(CaBundle::OnHost(path)) => Some(path.clone()),
                            _ => None,
                        },
                    ),
                    ("CRL_SKIP_LOGGED_IN", on(*skip_logged_in)),
                ]
            }
            Self::Preflight(Preflight { check_login }) => vec![("CRL_CHECK_LOGIN", on(*check_login))],
            Self::Containers(Containers {
                containers,
                force,
                share_refresh,
                keep,
            }) => {
                let mut vars = containers.vars();
                vars.push(("CRL_FORCE", on(*force)));
                vars.push(("CRL_SHARE_REFRESH", on(*share_refresh)));
                vars.push(("CRL_KEEP", on(*keep)));
                vars
            }
            Self::Keeper(keeper) => vec![(
                "CRL_KEEPER",
                Some(
                    match keeper {
                        Keeper::Start => "start",
                        Keeper::Stop => "stop",
                    }
                    .to_owned(),
                ),
            )],
            Self::Collect(Collect(containers)) => containers.vars(),
            Self::Logout(Logout {
                containers,
                local_only,
                salt,
            }) => {
                let mut vars = containers.vars();
                vars.push(("CRL_LOCAL_ONLY", on(*local_only)));
                vars.push(("CRL_SALT", Some(salt.clone())));
                vars
            }
            Self::Survey(Survey { salt }) => vec![("CRL_SALT", Some(salt.clone()))],
            Self::Status(_) | Self::Doctor(_) | Self::Push(_) => Vec::new(),
        }
    }
}

/// A CA bundle for the host's codex (`CODEX_CA_CERTIFICATE`) for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaBundle {
    /// This many bytes of PEM follow first on the shim's stdin; kept private, removed after.
    Sent { size: usize },
    /// A bundle already on the host.
    OnHost(String),
}

/// Which containers on the host a job reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub names: Vec<String>,
    /// Also running containers: every one, or those with a label.
    pub running: Option<Running>,
    /// None: whichever engine knows each container.
    pub engine: Option<Engine>,
}

/// The running containers a job reaches besides those named (`--all-running`, `--label`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Running {
    All,
    /// Those with this label, `KEY=VALUE`.
    Labelled(String),
}

impl Selection {
    pub(crate) fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("CRL_CONTAINERS", Some(self.names.join(" "))),
            ("CRL_ENGINE", self.engine.map(|e| e.name().to_owned())),
            (
                "CRL_SELECT",
                self.running.as_ref().map(|running| match running {
                    Running::All => "all".to_owned(),
                    Running::Labelled(label) => label.clone(),
                }),
            ),
        ]
    }
}

/// Every `CRL_*` parameter a job may set: those a job leaves out are set empty.
pub(crate) const PARAMETERS: [&str; 15] = [
    "CRL_HOLD_PORT",
    "CRL_LOGIN_FLAG",
    "CRL_CA_SIZE",
    "CRL_CA_PATH",
    "CRL_SKIP_LOGGED_IN",
    "CRL_CHECK_LOGIN",
    "CRL_LOCAL_ONLY",
    "CRL_CONTAINERS",
    "CRL_ENGINE",
    "CRL_SELECT",
    "CRL_FORCE",
    "CRL_SHARE_REFRESH",
    "CRL_KEEP",
    "CRL_KEEPER",
    "CRL_SALT",
];
