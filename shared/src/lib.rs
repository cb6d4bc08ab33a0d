//! What both sides of codex-remote-login speak: the remote shim's event protocol, the
//! auth.json model, and redaction of anything that may carry a secret.
//!
//! No SSH, HTTP or processes here: only types, framing and pure functions.
//!
//! - [`protocol`]: the shim's events (`crl1 KIND FIELDS`): the host's report up to `ready`, then one
//!   enum per job, each line parsed strictly as the stage it comes in.
//! - [`untrusted`]: text from the far side, shown only escaped.
//! - [`redact`]: what may carry a secret, made safe for logs and terminals.
//! - [`auth_json`]: codex's auth.json, and who it names.
//! - [`time`]: RFC 3339 times as codex writes them.
#![forbid(unsafe_code)]

pub mod auth_json;
pub mod protocol;
pub mod redact;
pub mod time;
pub mod untrusted;

pub use auth_json::AuthJson;
pub use protocol::{Account, Events, ProtocolError};
pub use untrusted::Untrusted;
