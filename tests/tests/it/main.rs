//! End-to-end tests against the rig: real sshd, real codex, headless Chromium, fake issuer.
//! They share the rig's ports and run one at a time (nextest test group `rig`).

mod alive;
mod codex_rules;
mod collect;
mod containers;
mod copies;
mod failures;
mod fallbacks;
mod hostile;
mod identity;
mod keeper;
mod links;
mod logout;
mod many;
mod modes;
mod neighbours;
mod openssh;
mod paste;
mod policy;
mod reach;
mod rootless;
mod secrets;
mod signin;
mod windows;
