//! The sign-in's options: the method, the browser, the callback, the CA bundle, the timeout.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use codex_remote_login_shared::protocol::RelayTool;

use crate::settings::{Browser, CaCert, Method, SignInSettings};

/// The sign-in options' help heading. clap keeps a heading for every option declared after
/// it, so each group names its own.
pub const HEADING: &str = "Sign-in options (the sign-in, and containers --login-inside)";

/// The sign-in's own options. Global, so that they may follow the subcommand they apply to
/// (`containers HOST CTR --login-inside --timeout 100`), as people write them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = HEADING)]
pub struct SignInArgs {
    /// Sign in with a one-time device code instead of the callback.
    ///
    /// The host's codex asks the issuer for a one-time code, shown here with its verification
    /// page (opened in the browser). Needs device codes enabled for the workspace.
    #[arg(long, conflicts_with_all = ["with_api_key", "with_access_token"], global = true)]
    pub device_auth: bool,

    /// Sign in with an API key: OPENAI_API_KEY, stdin, or a prompt.
    ///
    /// Instead of the browser: the key is taken from OPENAI_API_KEY, else from stdin when it
    /// is not a terminal, else asked for with echo off. It reaches the host's codex on the SSH
    /// channel's stdin, never in a command line.
    #[arg(long, conflicts_with = "with_access_token", global = true)]
    pub with_api_key: bool,

    /// Sign in with an access token: CODEX_ACCESS_TOKEN, stdin, or a prompt.
    ///
    /// As --with-api-key: from CODEX_ACCESS_TOKEN, else stdin when it is not a terminal, else
    /// asked for with echo off; it reaches the host's codex on the SSH channel's stdin.
    #[arg(long, global = true, hide_short_help = true)]
    pub with_access_token: bool,

    /// A local PEM CA bundle for the host's codex to trust.
    ///
    /// For corporate TLS proxies: the bundle on this machine is sent over the connection, kept
    /// private (0600) on the host for this sign-in only, and removed afterwards. For a bundle
    /// already on the host: --remote-ca-cert.
    #[arg(long, value_name = "FILE", conflicts_with = "remote_ca_cert", global = true)]
    pub ca_cert: Option<PathBuf>,

    /// A PEM CA bundle already on the host for its codex to trust.
    ///
    /// codex is given the path as CODEX_CA_CERTIFICATE.
    #[arg(long, value_name = "PATH", global = true, hide_short_help = true)]
    pub remote_ca_cert: Option<String>,

    /// The browser is elsewhere: paste the address it lands on.
    ///
    /// For a browser on another device, or when no local port can be had: print the URL (and a
    /// QR code on a large enough terminal), then paste the address the browser lands on after
    /// the approval. Nothing is bound locally. Read from stdin when it is not a terminal.
    #[arg(long, conflicts_with_all = ["device_auth", "with_api_key", "with_access_token"], global = true)]
    pub paste: bool,

    /// Then copy the login into this container on the host (repeatable).
    ///
    /// After signing a host in, its login is copied into the container as the `containers`
    /// command does.
    #[arg(long = "container", value_name = "CONTAINER")]
    pub containers: Vec<String>,

    /// Leave hosts already signed in alone (listed as skipped).
    ///
    /// A host is signed in already when its codex reports so.
    #[arg(long, global = true)]
    pub skip_logged_in: bool,

    /// End a local `codex login` waiting on port 1455 instead of using 1457.
    ///
    /// It is ended as codex itself would end it, with GET /cancel. Without this option you
    /// are asked on a terminal; with no terminal, or a no, this sign-in moves to port 1457.
    #[arg(long, global = true, hide_short_help = true)]
    pub cancel_local: bool,

    /// Where TCP forwarding is forbidden, relay with this tool.
    ///
    /// Where the host forbids it, the callback is relayed with this tool instead of the first
    /// one found on the host (nc, python3, perl, bash).
    #[arg(long, value_name = "TOOL", value_parser = relay_tool(), global = true, hide_short_help = true)]
    pub relay: Option<RelayTool>,

    /// Print the sign-in URL instead of opening a browser.
    #[arg(long, global = true)]
    pub no_browser: bool,

    /// Open the sign-in URL with PROGRAM, not the default browser.
    ///
    /// PROGRAM is given the URL as its one argument, with no shell between. The default is
    /// the system's browser (under WSL: the Windows browser).
    #[arg(long, value_name = "PROGRAM", global = true, conflicts_with = "no_browser")]
    pub browser_command: Option<std::ffi::OsString>,

    /// Give up on a host's sign-in after SECS seconds.
    ///
    /// The seconds count from when the host was reached (with several hosts: from when its
    /// turn came). Connecting is bounded by the ssh option ConnectTimeout (default 30 s).
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub timeout: u64,

    /// Also accept this issuer host in the authorize URL besides auth.openai.com (for test
    /// issuers; the URL must still be https).
    #[arg(long, value_name = "HOST", hide = true, global = true)]
    pub issuer: Option<String>,
}

impl SignInArgs {
    pub(super) fn method(&self) -> Method {
        match (self.device_auth, self.with_api_key, self.with_access_token) {
            (true, _, _) => Method::Device,
            (_, true, _) => Method::ApiKey,
            (_, _, true) => Method::AccessToken,
            _ => Method::Browser,
        }
    }

    /// The sign-in's settings; clap has ruled out the combinations that conflict.
    pub(super) fn settings(self) -> SignInSettings {
        let method = self.method();
        let ca = match (self.ca_cert, self.remote_ca_cert) {
            (Some(file), _) => Some(CaCert::Local(file)),
            (None, Some(path)) => Some(CaCert::OnHost(path)),
            (None, None) => None,
        };
        let browser = match (self.no_browser, self.browser_command) {
            (true, _) => Browser::PrintOnly,
            (false, Some(program)) => Browser::Command(program),
            (false, None) => Browser::Default,
        };
        SignInSettings {
            method,
            paste: self.paste,
            ca,
            skip_logged_in: self.skip_logged_in,
            cancel_local: self.cancel_local,
            relay: self.relay,
            browser,
            timeout: Duration::from_secs(self.timeout),
            issuer: self.issuer,
            containers: self.containers,
        }
    }
}

/// `--relay`'s values: the relay tools the shim knows, named as it names them (and listed
/// so in `--help` and the completions).
fn relay_tool() -> impl clap::builder::TypedValueParser<Value = RelayTool> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(RelayTool::ALL.map(RelayTool::as_str))
        .map(|name| RelayTool::parse(&name).expect("one of RelayTool::ALL"))
}
