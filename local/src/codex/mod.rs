//! What codex says: its sign-in URL and device-code output, and what its last words say went
//! wrong. Parsers of untrusted text, reached by the fuzz checks.

pub mod authorize;
pub mod failure;
