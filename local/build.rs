//! Build script: the version `--version` shows. Built from a git checkout of this repository it
//! names the commit and its date (`0.1.0 (1a2b3c4d5 2026-11-30)`), so a bug report says which
//! code it is about; built from a packaged crate (crates.io, `cargo install`) it is the plain
//! version, since there is no checkout to ask.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(dir).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let manifest = Path::new(&manifest);
    println!("cargo:rerun-if-changed=build.rs");
    // Only this repository's own checkout counts: a packaged crate unpacked inside some other
    // repository (cargo's own package check builds under target/) must not take its commit.
    let ours = manifest.parent().and_then(|root| {
        let top = git(manifest, &["rev-parse", "--show-toplevel"])?;
        (Path::new(&top).canonicalize().ok()? == root.canonicalize().ok()?).then_some(())
    });
    let long = match ours.and_then(|()| git(manifest, &["log", "-1", "--format=%h %cs", "--abbrev=9"])) {
        Some(commit) => {
            // A new commit or checkout changes HEAD or the branch it points to.
            for path in ["HEAD", "packed-refs"] {
                if let Some(p) = git(manifest, &["rev-parse", "--git-path", path]) {
                    println!("cargo:rerun-if-changed={}", manifest.join(p).display());
                }
            }
            if let Some(branch) = git(manifest, &["symbolic-ref", "-q", "HEAD"])
                && let Some(p) = git(manifest, &["rev-parse", "--git-path", &branch])
            {
                println!("cargo:rerun-if-changed={}", manifest.join(p).display());
            }
            format!("{version} ({commit})")
        }
        None => version,
    };
    println!("cargo:rustc-env=CRL_VERSION={long}");
}
