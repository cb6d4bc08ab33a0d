//! `status HOST...`: where the Codex login stands on each host, checked concurrently, one
//! SSH connection and one exec per host, nothing changed anywhere.

use std::sync::Arc;

use tokio::task::JoinSet;

use codex_remote_login_remote::{Launch, job};
use codex_remote_login_shared::Untrusted;
use codex_remote_login_shared::protocol::{CopyKind, Reboot};

use crate::error::Error;
use crate::host::status::{HostStatus, KeeperRow, read};
use crate::settings::Settings;
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::{CopySeen, Event, KeeperSeen, KeptSeen};
use ssh::{Connection, config};

/// Checks every host; returns the exit code (0: all logged in, 6: some host is not).
pub async fn run(hosts: &[String], settings: &Settings, ui: Arc<Ui>) -> Result<ExitStatus, Error> {
    ui.step(&format!(
        "Checking {} host{}",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" }
    ));
    let mut checks = JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let (host, settings, ui) = (host.clone(), settings.clone(), ui.clone());
        checks.spawn(async move { (index, check(&host, &settings, ui).await) });
    }
    let mut results: Vec<(usize, Result<HostStatus, Error>)> = checks.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    ui.finish();

    let mut first_error = None;
    let mut lines = Vec::new();
    for (index, result) in results {
        lines.push(match result {
            Ok(status) => Ok(status),
            Err(e) => {
                crate::error::render::show(&ui, &e);
                first_error.get_or_insert(e.exit_status());
                // The table keeps the host's row: the reason in short, the error above it.
                let why = e.to_string().lines().next().unwrap_or_default().to_owned();
                Err((hosts[index].clone(), why))
            }
        });
    }
    let rows: Vec<&HostStatus> = lines.iter().filter_map(|l| l.as_ref().ok()).collect();
    for row in &rows {
        ui.event(&Event::Status {
            host: &row.host,
            logged_in: row.logged_in,
            account: row.account.as_ref(),
            auth_file: row.auth_file.as_ref().map(Untrusted::raw),
            auth_file_mode: row.auth_file_mode.as_ref().map(Untrusted::raw),
            store: row.store.as_ref().map(Untrusted::raw),
            expires_in_secs: row.expires_in,
            last_refresh: row.last_refresh.as_ref().map(Untrusted::raw),
            forced_login_method: row.forced_login_method.as_ref().map(Untrusted::raw),
            forced_chatgpt_workspace_id: row.forced_workspace.as_ref().map(Untrusted::raw),
            copies: row
                .holders
                .copies
                .iter()
                .map(|c| CopySeen {
                    container: c.container.raw(),
                    copy: c.kind.as_str(),
                    expires_in_secs: c.expires_in,
                })
                .collect(),
            keeper: row.holders.keeper.as_ref().map(|k| KeeperSeen {
                running: k.running,
                reboot: k.reboot.as_str(),
                round_secs_ago: k.round_ago,
                refreshed_secs_ago: k.refreshed_ago,
                containers: k
                    .containers
                    .iter()
                    .map(|(name, result, why)| KeptSeen {
                        container: name.raw(),
                        result: result.raw(),
                        reason: why.as_ref().map(Untrusted::raw),
                    })
                    .collect(),
            }),
        });
    }
    if !ui.json() {
        ui.data(&table(&lines));
        if rows.iter().any(|r| !r.holders.copies.is_empty()) {
            ui.data(&copies(&rows));
        }
        for row in &rows {
            if let Some(keeper) = &row.holders.keeper {
                ui.data(&keeper_lines(row, keeper));
            }
        }
    }
    Ok(first_error.unwrap_or(if rows.iter().all(|r| r.logged_in) {
        ExitStatus::Success
    } else {
        ExitStatus::NotLoggedIn
    }))
}

async fn check(host_arg: &str, settings: &Settings, ui: Arc<Ui>) -> Result<HostStatus, Error> {
    let config = Arc::new(config::for_host(host_arg, &settings.ssh, ui.as_ref())?);
    let host = config.alias.clone();
    let conn = Connection::open(config, ui).await?;
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Status,
        inside: None,
    };
    let result = read(&conn, &launch, &host).await;
    conn.close().await;
    result
}

/// The table people read: one line per host, a host that could not be checked included
/// (`Err((host, why))`).
pub fn table(rows: &[Result<HostStatus, (String, String)>]) -> String {
    let mut lines = vec![
        [
            "HOST",
            "LOGIN",
            "ACCOUNT",
            "PLAN",
            "TOKEN EXPIRES",
            "REFRESHED",
            "STORE",
            "POLICY",
            "AUTH.JSON",
        ]
        .map(String::from),
    ];
    for row in rows {
        let dash = || "-".to_owned();
        let row = match row {
            Ok(row) => row,
            Err((host, why)) => {
                // The reason goes last, where its length widens no column.
                lines.push([
                    host.clone(),
                    "FAILED".into(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    why.clone(),
                ]);
                continue;
            }
        };
        let account = row.account.as_ref();
        lines.push([
            row.host.clone(),
            if row.logged_in {
                account.map_or("yes".to_owned(), |a| a.auth_mode.shown())
            } else {
                "no".to_owned()
            },
            account
                .and_then(|a| a.email.as_ref())
                .map_or_else(dash, Untrusted::shown),
            account
                .and_then(|a| a.plan.as_ref())
                .map_or_else(dash, Untrusted::shown),
            row.expires_in.map_or_else(dash, expiry),
            row.refreshed_ago
                .map_or_else(dash, |s| format!("{} ago", span(s.max(0)))),
            row.store.as_ref().map_or_else(dash, Untrusted::shown),
            row.policy(),
            match (&row.auth_file, &row.auth_file_mode) {
                (Some(path), Some(mode)) => format!("{path} ({mode})"),
                _ => "(none)".to_owned(),
            },
        ]);
    }
    crate::ui::columns(&lines)
}

/// The copies of each host's login in its containers: one line each.
fn copies(rows: &[&HostStatus]) -> String {
    let mut lines = vec![["HOST", "CONTAINER", "COPY", "TOKEN EXPIRES"].map(String::from)];
    for row in rows {
        for copy in &row.holders.copies {
            lines.push([
                row.host.clone(),
                copy.container.shown(),
                match copy.kind {
                    CopyKind::Access => "access only".to_owned(),
                    CopyKind::ApiKey => "API key".to_owned(),
                    CopyKind::Full => "whole login (a second writer)".to_owned(),
                },
                copy.expires_in.map_or_else(|| "-".to_owned(), expiry),
            ]);
        }
    }
    format!("\n{}", crate::ui::columns(&lines))
}

/// The keeper on one host: how it stands, then its last round's containers.
fn keeper_lines(row: &HostStatus, keeper: &KeeperRow) -> String {
    let host = &row.host;
    let ago = |secs: Option<i64>| secs.map_or_else(|| "never".to_owned(), |s| format!("{} ago", span(s.max(0))));
    let state = if keeper.running {
        "running"
    } else {
        "STOPPED (killed, or not back after a reboot): run `keeper start` again"
    };
    let reboot = match keeper.reboot {
        Reboot::Systemd => "back after a reboot through systemd",
        Reboot::Cron => "back after a reboot through cron",
        Reboot::None => "not back after a reboot",
    };
    let mut text = format!(
        "\nKeeper on {host}: {state}; {reboot}; last round {}; last refresh {}\n",
        ago(keeper.round_ago),
        ago(keeper.refreshed_ago)
    );
    let mut rows = vec![["CONTAINER", "LAST ROUND"].map(String::from)];
    for (name, result, why) in &keeper.containers {
        let holds = row.holders.copies.iter().any(|c| c.container == *name);
        let said = match result.raw() {
            // What the keeper put there is gone: a `codex logout` by hand inside, which also
            // revoked the access token the host and the other copies share.
            "copied" | "same" if !holds => {
                "its copy is gone (signed out inside it? that revokes the others' access too: keeper start renews it)"
                    .to_owned()
            }
            "copied" => "copied the new copy in".to_owned(),
            "same" => "holds the current copy".to_owned(),
            "own" => "holds a login of its own: left alone".to_owned(),
            _ => format!(
                "failed: {}",
                why.as_ref().map_or_else(|| "?".to_owned(), Untrusted::shown)
            ),
        };
        rows.push([name.shown(), said]);
    }
    if rows.len() > 1 {
        text.push_str(&crate::ui::columns(&rows));
    }
    text
}

/// `in 5m`, `3h ago`.
fn expiry(secs: i64) -> String {
    if secs < 0 {
        format!("{} ago", span(-secs))
    } else {
        format!("in {}", span(secs))
    }
}

/// `42s`, `5m`, `3h`, `2d`.
fn span(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_remote_login_shared::Account;

    /// An id_token's claims and a host's paths are the far side's: the table shows them
    /// escaped (an OSC 52 clipboard write, a title change, a bidi override), aligned by what it
    /// shows.
    #[test]
    fn table_shows_hostile_text_escaped() {
        let rows = [Ok(HostStatus {
            host: "dev".into(),
            logged_in: true,
            account: Some(Account {
                auth_mode: "chatgpt\u{1b}[2J".into(),
                email: Some("a@b.c\u{1b}]52;c;aGk=\u{7}".into()),
                plan: Some("plus\u{1b}]0;owned\u{7}\u{202e}".into()),
            }),
            auth_file: Some("/h/\u{9b}31m/auth.json".into()),
            auth_file_mode: Some("-rw-------".into()),
            store: Some("file\u{200b}".into()),
            ..HostStatus::default()
        })];
        let text = table(&rows);
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && codex_remote_login_shared::redact::is_hostile(c)),
            "{text:?}"
        );
        assert!(text.contains("a@b.c\\u{1b}]52;c;aGk=\\u{7}"), "{text}");
    }

    #[test]
    fn table_aligns_and_says_what_is_missing() {
        let rows = [
            Ok(HostStatus {
                host: "dev".into(),
                logged_in: true,
                account: Some(Account {
                    auth_mode: "chatgpt".into(),
                    email: Some("a@b.c".into()),
                    plan: Some("plus".into()),
                }),
                auth_file: Some("/h/.codex/auth.json".into()),
                auth_file_mode: Some("-rw-------".into()),
                store: Some("default".into()),
                expires_in: Some(3500),
                last_refresh: Some("2026-11-25T10:00:00Z".into()),
                refreshed_ago: Some(90),
                forced_login_method: Some("chatgpt".into()),
                forced_workspace: Some("ws-1".into()),
                ..HostStatus::default()
            }),
            Ok(HostStatus {
                host: "bare".into(),
                store: Some("default".into()),
                ..HostStatus::default()
            }),
            Err(("gone".into(), "cannot connect to gone (10.9.9.9:22)".into())),
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(
                "HOST  LOGIN    ACCOUNT  PLAN  TOKEN EXPIRES  REFRESHED  STORE    POLICY                        AUTH.JSON"
            ),
            "{text}"
        );
        assert!(
            lines[1].starts_with(
                "dev   chatgpt  a@b.c    plus  in 58m         90s ago    default  chatgpt only, workspace ws-1  /h/.codex/auth.json (-rw-------)"
            ),
            "{text}"
        );
        assert!(
            lines[2].starts_with(
                "bare  no       -        -     -              -          default  -                             (none)"
            ),
            "{text}"
        );
        assert!(
            lines[3].starts_with(
                "gone  FAILED   -        -     -              -          -        -                             cannot connect to gone (10.9.9.9:22)"
            ),
            "a host that could not be checked keeps its row: {text}"
        );
    }
}
