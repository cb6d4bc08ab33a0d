//! Text from the far side: a host, a container, codex's output, an id_token's claims.
//!
//! It may carry terminal escapes (an OSC 52 clipboard write in an email claim, a title change
//! in a container engine's stderr) or bidirectional overrides. [`Untrusted`] keeps the value as
//! it arrived for comparisons and `--json` (where serde escapes it), while its `Display` and
//! `Debug` are the sanitised form, [`redact::printable`]: what reaches a terminal cannot be
//! the raw value by accident. There is no `Deref` to `str`, on purpose: the raw value is had
//! only by asking for it, with [`Untrusted::raw`].

use std::fmt;

use crate::redact;

/// A string from outside this machine's trust (see the module docs).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Untrusted(String);

impl Untrusted {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value as it arrived: for comparing, parsing and JSON, never for a terminal.
    pub fn raw(&self) -> &str {
        &self.0
    }

    pub fn into_raw(self) -> String {
        self.0
    }

    /// The sanitised form, as `Display` shows it.
    pub fn shown(&self) -> String {
        redact::printable(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` keeps width and alignment working for tables.
        f.pad(&self.shown())
    }
}

impl fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.shown(), f)
    }
}

impl serde::Serialize for Untrusted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl From<&str> for Untrusted {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Untrusted {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl PartialEq<str> for Untrusted {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Untrusted {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a@b.c\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}]0;owned\u{1b}\\\u{202e}gpj.exe\u{200b}";

    #[test]
    fn shown_has_no_control_or_bidi_character() {
        let text = Untrusted::from(HOSTILE);
        for shown in [format!("{text}"), format!("{text:?}"), format!("{text:>80}")] {
            assert!(!shown.chars().any(redact::is_hostile), "{shown:?}");
            assert!(shown.contains("]52;c;") && shown.contains("u{202e}"), "{shown}");
        }
        assert!(format!("{text}").starts_with("a@b.c\\u{1b}]52;c;"), "{text}");
    }

    #[test]
    fn json_keeps_the_real_value_escaped() {
        let json = serde_json::to_string(&Untrusted::from(HOSTILE)).unwrap();
        assert!(!json.contains('\u{1b}') && !json.contains('\u{7}'), "{json}");
        assert!(json.contains("\\u001b]52;c;"), "{json}");
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, HOSTILE);
    }

    #[test]
    fn width_pads_the_shown_form() {
        assert_eq!(format!("{:<6}|", Untrusted::from("ab")), "ab    |");
    }
}
