//! Writes every program the shim sends, as it is sent, into a folder: one file per job (the
//! common part and the job's part, with its parameters), the relay, and a job run inside a
//! container. Each is decoded from the exec request's command line itself, so what is
//! checked (`.ci/run` runs shellcheck on them) is exactly what a host's shell runs. And the
//! programs the shim carries as text for containers' shells, each alone (`carried-*.sh`).
//!
//!     cargo run -p codex-remote-login-remote --example shim_programs -- DIR

use std::path::PathBuf;

use base64::Engine as _;
use codex_remote_login_remote::{
    CaBundle, CodexAt, ContainerRef, Engine, Job, Launch, LoginMethod, Relay, RelayTool, Running, Selection, job,
};

/// The program an exec request's command line carries (`sh -c 'eval "$(echo BASE64|...)"'`).
fn sent(command_line: &str) -> String {
    let encoded = command_line
        .split("echo ")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .expect("the command line carries the program base64-encoded");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    String::from_utf8(bytes).expect("the program is UTF-8")
}

fn main() {
    let dir = PathBuf::from(std::env::args_os().nth(1).expect("usage: shim_programs DIR"));
    std::fs::create_dir_all(&dir).expect("the folder");
    let codex = CodexAt {
        path: Some("/opt/codex/bin/codex".into()),
        home: Some("~/.codex-work".into()),
    };
    let selection = Selection {
        names: vec!["web".into(), "db".into()],
        running: Some(Running::Labelled("team=a".into())),
        engine: Some(Engine::Docker),
    };
    let sign_in = |method| {
        Job::from(job::SignIn {
            method,
            ca: Some(CaBundle::Sent { size: 1200 }),
            skip_logged_in: true,
        })
    };
    let jobs = [
        ("browser", sign_in(LoginMethod::Browser { hold_port: Some(1455) })),
        ("device", sign_in(LoginMethod::Device)),
        ("api-key", sign_in(LoginMethod::ApiKey)),
        ("access-token", sign_in(LoginMethod::AccessToken)),
        ("status", job::Status.into()),
        ("preflight", job::Preflight { check_login: true }.into()),
        ("doctor", job::Doctor.into()),
        ("push", job::Push.into()),
        (
            "containers",
            job::Containers {
                containers: selection.clone(),
                force: true,
                share_refresh: false,
                keep: false,
            }
            .into(),
        ),
        ("collect", job::Collect(selection.clone()).into()),
        (
            "logout",
            job::Logout {
                containers: selection,
                local_only: true,
                salt: "00".into(),
            }
            .into(),
        ),
    ];
    let container = ContainerRef {
        name: "web".into(),
        engine: Some(Engine::Podman),
    };
    let mut programs: Vec<(String, String)> = Vec::new();
    for (name, job) in jobs {
        let launch = Launch {
            codex: codex.clone(),
            job: job.clone(),
            inside: None,
        };
        programs.push((name.to_owned(), sent(&launch.command_line())));
        if name == "browser" {
            let inside = Launch {
                inside: Some(container.clone()),
                ..launch
            };
            programs.push(("browser-inside".to_owned(), sent(&inside.command_line())));
        }
    }
    for tool in RelayTool::ALL {
        let relay = Relay {
            tool,
            port: 1455,
            inside: None,
        };
        programs.push((format!("relay-{}", tool.as_str()), sent(&relay.command_line())));
    }
    let relay = Relay {
        tool: RelayTool::Nc,
        port: 1457,
        inside: Some(&container),
    };
    programs.push(("relay-inside".to_owned(), sent(&relay.command_line())));
    // The programs containers' shells run, carried as text inside the others.
    for (var, text) in codex_remote_login_remote::carried() {
        programs.push((format!("carried-{var}"), text.to_owned()));
    }
    for (name, program) in programs {
        std::fs::write(dir.join(format!("{name}.sh")), program).expect("write a program");
    }
}
