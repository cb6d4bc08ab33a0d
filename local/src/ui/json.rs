//! The `--json` event stream: one JSON object per line on stdout, each with a `type`.
//!
//! | type | when | fields |
//! |---|---|---|
//! | `connected` | SSH connection authenticated | `host`, `user`, `port` |
//! | `codex_found` | the shim found codex on the host | `host`, `path`, `found_via` |
//! | `url` | the sign-in URL is ready (browser opened unless `--no-browser`) | `host`, `url`, `callback_port` |
//! | `device_code` | `--device-auth`: the code to enter and where | `host`, `url`, `code`, `expires_in_secs` |
//! | `callback` | the browser's callback was carried to the host | `host` |
//! | `success` | codex saved the login on the host | `host`, `auth_mode`, `email`?, `plan`?, `auth_file`, `replaced`?, `previous`? (`revocation_requested`, `kept`, `set_aside`), `previous_backup`?, `previous_also_in`? |
//! | `kept` | a sign-in that did not finish left the host's own login in place, untouched | `host`, `auth_mode`?, `email`?, `plan`? |
//! | `skipped` | `--skip-logged-in`: a host already signed in, left alone | `host`, `auth_mode`?, `email`?, `plan`? |
//! | `status` | `status`: one host's login | `host`, `logged_in`, `auth_mode`?, `email`?, `plan`?, `auth_file`?, `auth_file_mode`?, `store`?, `expires_in_secs`?, `last_refresh`?, `forced_login_method`?, `forced_chatgpt_workspace_id`? |
//! | `pushed` | `push`: the host's auth.json was replaced | `host`, `auth_file`, `backup`? |
//! | `container` | `containers`: one container | `host`, `container`, `result` (`copied`, `kept`, `failed`), `engine`?, `user`?, `auth_file`?, `backup`?, `reason`? |
//! | `collected` | `collect`: one container | `host`, `container`, `result` (`taken`, `fresher`, `older`, `other_account`, `unconfirmed`, `malformed`, `none`, `failed`), `engine`?, `last_refresh`?, `backup`? (with `taken`), `reason`? (with `failed`, and `unconfirmed`: the missing claim) |
//! | `logout` | `logout`: one place signed out | `host`, `container`?, `result` (`signed_out`, `removed`, `not_signed_in`, `failed`), `shared` (other places on the host with the same login), `reason`? |
//! | `check` | `doctor`: one check | `name`, `verdict` (`pass`, `warn`, `fail`, `skip`), `detail`, `fix`? |
//! | `error` | a host failed | `host`?, `message`, `hint`?, `exit_code` |
//!
//! No event ever carries a token, an authorization code or a key.

use serde::Serialize;

use codex_remote_login_shared::Account;

/// A copy of a host's login in one of its containers, in `status`.
#[derive(Debug, Serialize)]
pub struct CopySeen<'a> {
    pub container: &'a str,
    /// `access` (no refresh token) or `full`.
    pub copy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_secs: Option<i64>,
}

/// The keeper on a host, in `status`.
#[derive(Debug, Serialize)]
pub struct KeeperSeen<'a> {
    pub running: bool,
    /// How it comes back after a reboot: `systemd`, `cron` or `none`.
    pub reboot: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_secs_ago: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed_secs_ago: Option<i64>,
    /// Each container of its last round.
    pub containers: Vec<KeptSeen<'a>>,
}

/// One container in the keeper's last round: `copied`, `same`, `own` or `failed`.
#[derive(Debug, Serialize)]
pub struct KeptSeen<'a> {
    pub container: &'a str,
    pub result: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    Connected {
        host: &'a str,
        user: &'a str,
        port: u16,
    },
    CodexFound {
        host: &'a str,
        path: &'a str,
        found_via: String,
    },
    Url {
        host: &'a str,
        url: &'a str,
        callback_port: u16,
    },
    DeviceCode {
        host: &'a str,
        url: &'a str,
        code: &'a str,
        expires_in_secs: u64,
    },
    Callback {
        host: &'a str,
    },
    Success {
        host: &'a str,
        #[serde(flatten)]
        account: &'a Account,
        auth_file: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        replaced: Option<&'a Account>,
        /// What became of the login the new one replaced, when there was one.
        #[serde(skip_serializing_if = "Option::is_none")]
        previous: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_backup: Option<&'a str>,
        /// The other places that held the replaced login, which was then kept, not revoked.
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        previous_also_in: &'a [String],
    },
    /// A sign-in did not finish, and the host's own login (this account, when known) is still
    /// in place, untouched.
    Kept {
        host: &'a str,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        account: Option<&'a Account>,
    },
    /// `--skip-logged-in`: the host was signed in already (with this account, when known).
    Skipped {
        host: &'a str,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        account: Option<&'a Account>,
    },
    Status {
        host: &'a str,
        logged_in: bool,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        account: Option<&'a Account>,
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_file: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_file_mode: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        store: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_in_secs: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_refresh: Option<&'a str>,
        /// The host codex's config.toml `forced_login_method`, when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        forced_login_method: Option<&'a str>,
        /// Its `forced_chatgpt_workspace_id` (several joined by `,`), when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        forced_chatgpt_workspace_id: Option<&'a str>,
        /// The containers on the host holding a copy of its login.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        copies: Vec<CopySeen<'a>>,
        /// The keeper, where one was started on the host.
        #[serde(skip_serializing_if = "Option::is_none")]
        keeper: Option<KeeperSeen<'a>>,
    },
    /// `keeper start` or `keeper stop`: `started`, `stopped`, or `none` (none ran).
    Keeper {
        host: &'a str,
        result: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
        /// How it comes back after a reboot: `systemd`, `cron` or `none`.
        #[serde(skip_serializing_if = "Option::is_none")]
        reboot: Option<&'a str>,
    },
    Pushed {
        host: &'a str,
        auth_file: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        backup: Option<&'a str>,
    },
    Collected {
        host: &'a str,
        container: &'a str,
        result: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        engine: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_refresh: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        backup: Option<&'a str>,
        /// The email of the login in that container, when it was the one to take.
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    Container {
        host: &'a str,
        container: &'a str,
        result: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        engine: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<&'a str>,
        /// What the copy holds: `access` (no refresh token), `apikey` or `full`.
        #[serde(skip_serializing_if = "Option::is_none")]
        copy: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_file: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        backup: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    Logout {
        host: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        container: Option<&'a str>,
        result: &'a str,
        /// The other places on the host that held the same login (`HOST`, `HOST/CTR`).
        shared: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    Check(&'a Check),
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        host: Option<&'a str>,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        exit_code: u8,
    },
}

/// One row of `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    /// Not checked: an earlier check failed.
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One golden line per event type: the stream is an interface.
    #[test]
    fn golden_lines() {
        let also = ["dev/web".to_owned()];
        let account = Account {
            auth_mode: "chatgpt".into(),
            email: Some("a@b.c".into()),
            plan: Some("plus".into()),
        };
        let check = Check {
            name: "clocks",
            verdict: Verdict::Warn,
            detail: "the host is 90 s ahead".into(),
            fix: Some("sync the clocks".into()),
        };
        let cases = [
            (
                Event::Connected {
                    host: "dev",
                    user: "me",
                    port: 22,
                },
                r#"{"type":"connected","host":"dev","user":"me","port":22}"#,
            ),
            (
                Event::CodexFound {
                    host: "dev",
                    path: "/usr/bin/codex",
                    found_via: "PATH".into(),
                },
                r#"{"type":"codex_found","host":"dev","path":"/usr/bin/codex","found_via":"PATH"}"#,
            ),
            (
                Event::Url {
                    host: "dev",
                    url: "https://auth.openai.com/oauth/authorize?x=1",
                    callback_port: 1455,
                },
                r#"{"type":"url","host":"dev","url":"https://auth.openai.com/oauth/authorize?x=1","callback_port":1455}"#,
            ),
            (Event::Callback { host: "dev" }, r#"{"type":"callback","host":"dev"}"#),
            (
                Event::DeviceCode {
                    host: "dev",
                    url: "https://auth.openai.com/codex/device",
                    code: "AB12-CD34",
                    expires_in_secs: 900,
                },
                r#"{"type":"device_code","host":"dev","url":"https://auth.openai.com/codex/device","code":"AB12-CD34","expires_in_secs":900}"#,
            ),
            (
                Event::Success {
                    host: "dev",
                    account: &account,
                    auth_file: "/h/.codex/auth.json",
                    replaced: None,
                    previous: None,
                    previous_backup: None,
                    previous_also_in: &[],
                },
                r#"{"type":"success","host":"dev","auth_mode":"chatgpt","email":"a@b.c","plan":"plus","auth_file":"/h/.codex/auth.json"}"#,
            ),
            (
                Event::Success {
                    host: "dev",
                    account: &account,
                    auth_file: "/h/.codex/auth.json",
                    replaced: None,
                    previous: Some("kept"),
                    previous_backup: Some("/h/.codex/auth.json.bak-1"),
                    previous_also_in: &also,
                },
                r#"{"type":"success","host":"dev","auth_mode":"chatgpt","email":"a@b.c","plan":"plus","auth_file":"/h/.codex/auth.json","previous":"kept","previous_backup":"/h/.codex/auth.json.bak-1","previous_also_in":["dev/web"]}"#,
            ),
            (
                Event::Kept {
                    host: "dev",
                    account: Some(&account),
                },
                r#"{"type":"kept","host":"dev","auth_mode":"chatgpt","email":"a@b.c","plan":"plus"}"#,
            ),
            (
                Event::Status {
                    host: "dev",
                    logged_in: true,
                    account: Some(&account),
                    auth_file: Some("/h/.codex/auth.json"),
                    auth_file_mode: Some("-rw-------"),
                    store: Some("default"),
                    expires_in_secs: Some(3600),
                    last_refresh: Some("2026-11-25T10:00:00Z"),
                    forced_login_method: Some("chatgpt"),
                    forced_chatgpt_workspace_id: Some("ws-1"),
                    copies: Vec::new(),
                    keeper: None,
                },
                r#"{"type":"status","host":"dev","logged_in":true,"auth_mode":"chatgpt","email":"a@b.c","plan":"plus","auth_file":"/h/.codex/auth.json","auth_file_mode":"-rw-------","store":"default","expires_in_secs":3600,"last_refresh":"2026-11-25T10:00:00Z","forced_login_method":"chatgpt","forced_chatgpt_workspace_id":"ws-1"}"#,
            ),
            (
                Event::Status {
                    host: "bare",
                    logged_in: false,
                    account: None,
                    auth_file: None,
                    auth_file_mode: None,
                    store: None,
                    expires_in_secs: None,
                    last_refresh: None,
                    forced_login_method: None,
                    forced_chatgpt_workspace_id: None,
                    copies: Vec::new(),
                    keeper: None,
                },
                r#"{"type":"status","host":"bare","logged_in":false}"#,
            ),
            (
                Event::Skipped {
                    host: "dev",
                    account: Some(&account),
                },
                r#"{"type":"skipped","host":"dev","auth_mode":"chatgpt","email":"a@b.c","plan":"plus"}"#,
            ),
            (
                Event::Skipped {
                    host: "dev",
                    account: None,
                },
                r#"{"type":"skipped","host":"dev"}"#,
            ),
            (
                Event::Logout {
                    host: "dev",
                    container: Some("web"),
                    result: "signed_out",
                    shared: &["dev".to_owned()],
                    reason: None,
                },
                r#"{"type":"logout","host":"dev","container":"web","result":"signed_out","shared":["dev"]}"#,
            ),
            (
                Event::Pushed {
                    host: "dev",
                    auth_file: "/h/.codex/auth.json",
                    backup: Some("/h/.codex/auth.json.bak-1"),
                },
                r#"{"type":"pushed","host":"dev","auth_file":"/h/.codex/auth.json","backup":"/h/.codex/auth.json.bak-1"}"#,
            ),
            (
                Event::Collected {
                    host: "dev",
                    container: "web",
                    result: "taken",
                    engine: Some("docker"),
                    last_refresh: Some("2026-11-25T10:00:00Z"),
                    backup: Some("/h/.codex/auth.json.bak-1"),
                    account: Some("a@b.c"),
                    reason: None,
                },
                r#"{"type":"collected","host":"dev","container":"web","result":"taken","engine":"docker","last_refresh":"2026-11-25T10:00:00Z","backup":"/h/.codex/auth.json.bak-1","account":"a@b.c"}"#,
            ),
            (
                Event::Container {
                    host: "dev",
                    container: "web",
                    result: "copied",
                    engine: Some("podman"),
                    user: Some("node"),
                    copy: Some("access"),
                    auth_file: Some("/home/node/.codex/auth.json"),
                    backup: None,
                    reason: None,
                },
                r#"{"type":"container","host":"dev","container":"web","result":"copied","engine":"podman","user":"node","copy":"access","auth_file":"/home/node/.codex/auth.json"}"#,
            ),
            (
                Event::Keeper {
                    host: "dev",
                    result: "started",
                    pid: Some(4242),
                    reboot: Some("cron"),
                },
                r#"{"type":"keeper","host":"dev","result":"started","pid":4242,"reboot":"cron"}"#,
            ),
            (
                Event::Check(&check),
                r#"{"type":"check","name":"clocks","verdict":"warn","detail":"the host is 90 s ahead","fix":"sync the clocks"}"#,
            ),
            (
                Event::Error {
                    host: None,
                    message: "boom".into(),
                    hint: Some("retry".into()),
                    exit_code: 1,
                },
                r#"{"type":"error","message":"boom","hint":"retry","exit_code":1}"#,
            ),
        ];
        let mut seen = [0; VARIANTS];
        for (event, want) in cases {
            seen[variant(&event)] += 1;
            assert_eq!(serde_json::to_string(&event).unwrap(), want);
        }
        assert!(seen.iter().all(|&n| n > 0), "a type without a golden line: {seen:?}");
    }

    const VARIANTS: usize = 16;

    /// Every type by position, with no catch-all: a new type does not compile here until it
    /// is counted, and the test above fails until it has its golden line.
    fn variant(event: &Event<'_>) -> usize {
        match event {
            Event::Connected { .. } => 0,
            Event::CodexFound { .. } => 1,
            Event::Url { .. } => 2,
            Event::DeviceCode { .. } => 3,
            Event::Callback { .. } => 4,
            Event::Success { .. } => 5,
            Event::Status { .. } => 6,
            Event::Pushed { .. } => 7,
            Event::Collected { .. } => 8,
            Event::Container { .. } => 9,
            Event::Check(_) => 10,
            Event::Error { .. } => 11,
            Event::Skipped { .. } => 12,
            Event::Logout { .. } => 13,
            Event::Kept { .. } => 14,
            Event::Keeper { .. } => 15,
        }
    }
}
