//! This crate's own evaluator of ssh_config files (for machines without OpenSSH) against the
//! real `ssh -G`: the same configs, the same answers. Unix only: the Windows build is tested
//! under Wine, which has no Windows OpenSSH to compare with.
#![cfg(unix)]

use std::path::Path;

use codex_remote_login_ssh::destination::Destination;
use codex_remote_login_ssh::host_config::HostConfig;
use codex_remote_login_ssh::{Settings, config, config_file, places};

/// Configs that exercise what the evaluator claims, each resolved here and by the real
/// `ssh -G`, for several host arguments: the results must agree.
#[test]
fn agrees_with_ssh_g() {
    let dir = std::env::temp_dir().join(format!("crl-config-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(
        dir.join("conf.d/10-work.conf"),
        "Host bastion.work\n  ProxyJump none\nHost *.work\n  User worker\n  ProxyJump bastion.work\n",
    )
    .unwrap();
    std::fs::write(dir.join("conf.d/20-late.conf"), "Host *\n  ConnectTimeout 7\n").unwrap();
    let config = format!(
        r#"# first value wins, Include, negation, Match
Include {dir}/conf.d/*.conf
Host dev dev2
    HostName %h.example.com
    Port 2200
    User = first
    User second
    IdentityFile ~/.ssh/dev_key
    IdentityFile /keys/%r@%h
    IdentitiesOnly yes
    CertificateFile ~/.ssh/dev_key-cert.pub
Host !dev2 dev*
    StrictHostKeyChecking accept-new
Match host dev2.example.com
    UserKnownHostsFile ~/.ssh/known_dev /tmp/known_other
    HostKeyAlias dev-two
Match originalhost dev !user nobody
    ServerAliveInterval 30
    ServerAliveCountMax 5
Host proxied
    ProxyCommand ssh -W %h:%p gateway
    SetEnv A=1 B="two words"
    SendEnv LANG LC_* FOO BAR XY
    SendEnv -LC_* -F?O
    SendEnv LC_X
Host proxied nohosts
    SendEnv -X*
    UserKnownHostsFile none
    GlobalKnownHostsFile NONE
    PreferredAuthentications keyboard-interactive,publickey
    IdentityAgent none
Host *
    HashKnownHosts yes
    BatchMode no
    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts
"#,
        dir = dir.display()
    );
    let file = dir.join("config");
    std::fs::write(&file, config).unwrap();
    let home = places::home_dir();
    let cases: [(&str, &[&str]); 9] = [
        ("dev", &[]),
        ("nohosts", &["-o", "SendEnv=A B", "-o", "SendEnv=-A"]),
        ("dev", &["-o", "SendEnv=LC_*", "-o", "SendEnv=-*"]),
        ("dev2", &[]),
        ("dev3", &["-o", "StrictHostKeyChecking=yes", "-p", "2022"]),
        ("me@host.work", &[]),
        ("bastion.work", &[]),
        ("proxied", &["-o", "User=cli"]),
        ("other", &["-J", "jump:2222"]),
    ];
    for (host, extra) in cases {
        let dest = Destination::parse(host).unwrap();
        let mut args = Settings {
            config: Some(file.clone()),
            ..Settings::default()
        };
        let mut extra = extra.iter();
        while let Some(flag) = extra.next() {
            let value = extra.next().unwrap().to_string();
            match *flag {
                "-o" => args.options.push(value),
                "-p" => args.port = Some(value.parse().unwrap()),
                "-J" => args.jump = Some(value),
                _ => unreachable!(),
            }
        }
        let ours =
            config::parse_ssh_g(&dest.host, &config_file::evaluate(&dest, &args, &home).unwrap(), &home).unwrap();
        let theirs = ssh_g(&dest, &args, &home);
        assert_eq!(comparable(ours), comparable(theirs), "{host} {args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn ssh_g(dest: &Destination, args: &Settings, home: &Path) -> HostConfig {
    let mut cmd = std::process::Command::new("ssh");
    cmd.arg("-G").arg("-F").arg(args.config.as_ref().unwrap());
    if let Some(user) = &dest.user {
        cmd.arg("-l").arg(user);
    }
    if let Some(port) = args.port {
        cmd.arg("-p").arg(port.to_string());
    }
    for o in &args.options {
        cmd.arg("-o").arg(o);
    }
    if let Some(j) = &args.jump {
        cmd.arg("-J").arg(j);
    }
    let out = cmd
        .arg(&dest.host)
        .output()
        .expect("the OpenSSH client, to compare with");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    config::parse_ssh_g(&dest.host, &String::from_utf8_lossy(&out.stdout), home).unwrap()
}

/// Everything but what only one side fills in.
fn comparable(mut c: HostConfig) -> HostConfig {
    c.fallback_reason = None;
    c.ignored.clear();
    // `ssh -G` prints every algorithm list with OpenSSH's defaults; the evaluator leaves them
    // to the built-in client's own (docs/ssh-config.md says so).
    c.algorithms = Default::default();
    c
}
