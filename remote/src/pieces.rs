//! The shim's shell files, and how a list of them becomes one program.
//!
//! Every file is plain shell, read and shellchecked as such. Each opens with a header, its
//! leading comment lines: what it is for, what it needs from the other files (`# needs:`) and
//! what it provides them (`# provides:`), which a test checks against what the file defines
//! and uses. The header is for its readers and is left out of what is sent, on every run. A
//! program some container's shell runs is a file too: the host's part carries its text in a
//! variable named after it ([`Piece::Carried`], [`Piece::Text`]), and no program is written
//! inside a quoted string.

use crate::sh_quote;

/// One shell file of the remote crate's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct File {
    /// Its path under `src/`.
    pub(crate) path: &'static str,
    pub(crate) text: &'static str,
}

macro_rules! file {
    ($path:literal) => {
        File {
            path: $path,
            text: include_str!($path),
        }
    };
}

pub(crate) const CODES: File = file!("shim/codes.sh");
pub(crate) const COMMON: File = file!("shim/common.sh");
pub(crate) const CLAIMS: File = file!("shim/claims.sh");
pub(crate) const SAFE: File = file!("shim/safe.sh");
pub(crate) const REFRESHED: File = file!("shim/refreshed.sh");
pub(crate) const FRESH: File = file!("shim/fresh.sh");
pub(crate) const SIGNIN: File = file!("shim/signin.sh");
pub(crate) const REPORT: File = file!("shim/report.sh");
pub(crate) const WRITE: File = file!("shim/write.sh");
pub(crate) const AUTHJSON: File = file!("shim/authjson.sh");
pub(crate) const ACCESS: File = file!("shim/access.sh");
pub(crate) const ENGINES: File = file!("shim/engines.sh");
pub(crate) const SURVEY: File = file!("shim/survey.sh");
pub(crate) const CTR_COPY: File = file!("shim/ctr_copy.sh");
pub(crate) const CTR_REMOVE: File = file!("shim/ctr_remove.sh");
pub(crate) const CTR_LOGOUT: File = file!("shim/ctr_logout.sh");
pub(crate) const LOGIN: File = file!("shim/login.sh");
pub(crate) const SECRET: File = file!("shim/secret.sh");
pub(crate) const STATUS: File = file!("shim/status.sh");
pub(crate) const PUSH: File = file!("shim/push.sh");
pub(crate) const DOCTOR: File = file!("shim/doctor.sh");
pub(crate) const PREFLIGHT: File = file!("shim/preflight.sh");
pub(crate) const CONTAINERS: File = file!("shim/containers.sh");
pub(crate) const COLLECT: File = file!("shim/collect.sh");
pub(crate) const LOGOUT: File = file!("shim/logout.sh");
pub(crate) const COPIES: File = file!("shim/copies.sh");
pub(crate) const KEPT: File = file!("shim/kept.sh");
pub(crate) const HELD: File = file!("shim/held.sh");
pub(crate) const KEEPER: File = file!("shim/keeper.sh");
pub(crate) const KEEPER_LOOP: File = file!("shim/keeper_loop.sh");
pub(crate) const ENGINE: File = file!("engine.sh");
pub(crate) const INSIDE: File = file!("inside.sh");
pub(crate) const RELAY: File = file!("relay.sh");

/// Every shell file, for the tests that read them all.
#[cfg(test)]
pub(crate) const ALL: [File; 33] = [
    CODES,
    CLAIMS,
    COMMON,
    SAFE,
    REFRESHED,
    FRESH,
    SIGNIN,
    REPORT,
    WRITE,
    AUTHJSON,
    ACCESS,
    ENGINES,
    SURVEY,
    CTR_COPY,
    CTR_REMOVE,
    CTR_LOGOUT,
    LOGIN,
    SECRET,
    STATUS,
    PUSH,
    DOCTOR,
    PREFLIGHT,
    CONTAINERS,
    COLLECT,
    LOGOUT,
    COPIES,
    KEPT,
    HELD,
    KEEPER,
    KEEPER_LOOP,
    ENGINE,
    INSIDE,
    RELAY,
];

impl File {
    /// The variable that carries its text: `safe.sh`'s is `$safe_sh`.
    pub(crate) fn var(&self) -> String {
        let name = self.path.rsplit('/').next().unwrap_or(self.path);
        name.replace('.', "_")
    }

    /// Its header: the leading comment lines.
    pub(crate) fn header(&self) -> &'static str {
        let end = self
            .text
            .split_inclusive('\n')
            .take_while(|line| line.starts_with('#'))
            .map(str::len)
            .sum();
        &self.text[..end]
    }

    /// Its text as sent: all but the header, and the blank line after it.
    pub(crate) fn body(&self) -> &'static str {
        let body = &self.text[self.header().len()..];
        body.strip_prefix('\n').unwrap_or(body)
    }
}

/// How a file goes into a program.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece {
    /// Run as it is.
    Run(File),
    /// Its text is the value of its variable ([`File::var`]), evaluated here: run here, and
    /// at hand for a container's shell.
    Carried(File),
    /// Its text is the value of its variable, for a container's shell only.
    Text(File),
}

/// The program the pieces make, in their order.
pub(crate) fn assemble(pieces: &[Piece]) -> String {
    let mut program = String::new();
    for piece in pieces {
        match piece {
            Piece::Run(file) => program.push_str(file.body()),
            Piece::Carried(file) | Piece::Text(file) => {
                let var = file.var();
                program.push_str(&format!("{var}={}\n", sh_quote(file.body())));
                if let Piece::Carried(_) = piece {
                    program.push_str(&format!("eval \"${var}\"\n"));
                }
            }
        }
    }
    program
}
