//! What both sides of codex-remote-login speak: the remote shim's event protocol, the
//! auth.json model, and redaction of anything that may carry a secret.
//!
//! No SSH, HTTP or processes here: only types, framing and pure functions.
#![forbid(unsafe_code)]

pub mod auth_json;
pub mod protocol;
pub mod redact;
pub mod time;
pub mod untrusted;

pub use auth_json::AuthJson;
pub use protocol::{Account, ProtocolError, ShimEvent};
pub use untrusted::Untrusted;
