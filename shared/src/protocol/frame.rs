//! The framing of one event line, which every stage's events are parsed from: the prefix,
//! the protocol's version, its errors, and the fields of a line taken in order.

use crate::untrusted::Untrusted;

/// Version of this protocol; the shim announces it in its first event. 2: the `ready` event,
/// and no pids.
pub const PROTOCOL_VERSION: u32 = 2;

/// Every event line starts with this.
pub const PREFIX: &str = "crl1 ";

/// A line that carries our prefix but is not an event of the stage it came in.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("the remote shim sent a malformed `{kind}` event")]
    Malformed { kind: Untrusted },
    #[error("the remote shim sent an unknown event `{kind}`")]
    Unknown { kind: Untrusted },
    #[error("the remote shim sent a `{kind}` event in {stage}, where it has no place")]
    Unexpected { kind: Untrusted, stage: &'static str },
    #[error("the remote shim speaks protocol {found}, this tool speaks {PROTOCOL_VERSION}")]
    Version { found: u32 },
}

/// The events of one stage of a run.
pub trait Events: Sized {
    /// The stage, as errors name it ("the host's report", "a push").
    const STAGE: &'static str;
    /// The kinds its events take.
    const KINDS: &'static [&'static str];
    /// The event of `kind` (one of [`Self::KINDS`]) from its fields.
    fn from_fields(kind: &str, fields: Fields<'_>) -> Result<Self, ProtocolError>;
}

/// The fields of one event line, taken in order.
pub struct Fields<'a> {
    kind: &'a str,
    rest: &'a str,
}

impl<'a> Fields<'a> {
    /// The fields after `kind` on its line.
    pub(super) fn new(kind: &'a str, rest: &'a str) -> Self {
        Self { kind, rest }
    }

    pub(super) fn malformed(&self) -> ProtocolError {
        ProtocolError::Malformed { kind: self.kind.into() }
    }

    /// The next field, which holds no space.
    pub fn field(&mut self) -> Result<&'a str, ProtocolError> {
        if self.rest.is_empty() {
            return Err(self.malformed());
        }
        let (field, rest) = self.rest.split_once(' ').unwrap_or((self.rest, ""));
        self.rest = rest;
        Ok(field)
    }

    /// The next field as a number.
    pub fn num<T: std::str::FromStr>(&mut self) -> Result<T, ProtocolError> {
        let field = self.field()?;
        field.parse().map_err(|_| self.malformed())
    }

    /// The next field, `-` standing for none.
    pub fn opt(&mut self) -> Result<Option<Untrusted>, ProtocolError> {
        self.field().map(opt)
    }

    /// Everything left, spaces included (the last field of a kind).
    pub fn rest(self) -> Untrusted {
        self.rest.into()
    }

    /// Everything left, which must not be empty.
    pub fn last(self) -> Result<Untrusted, ProtocolError> {
        if self.rest.is_empty() {
            return Err(self.malformed());
        }
        Ok(self.rest())
    }

    /// Everything left, `-` or nothing standing for none.
    pub fn rest_opt(self) -> Option<Untrusted> {
        opt(self.rest)
    }

    /// The rest as one of `words`, the value each stands for.
    pub fn word<T: Copy>(self, words: &[(&str, T)]) -> Result<T, ProtocolError> {
        let found = words.iter().find(|(word, _)| *word == self.rest);
        found.map(|(_, value)| *value).ok_or_else(|| self.malformed())
    }

    /// A kind of no fields has none.
    pub fn none(self) -> Result<(), ProtocolError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }
}

/// `-` stands for "none" in the shim's fields.
fn opt(field: &str) -> Option<Untrusted> {
    (field != "-" && !field.is_empty()).then(|| field.into())
}
