//! `--ca-cert FILE`: a local PEM bundle, checked before anything connects.

use std::path::Path;

use crate::error::Error;

/// Larger than any real CA bundle (Debian's holds ~150 certificates in ~220 KB).
const MAX_BYTES: u64 = 4 << 20;

pub fn read(path: &Path) -> Result<String, Error> {
    let fail = |why: String| Error::CaCert {
        path: path.to_owned(),
        why,
    };
    let size = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.len();
    if size > MAX_BYTES {
        return Err(fail(format!("it is {size} bytes, more than a CA bundle holds")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(fail("it holds no PEM certificate".into()));
    }
    if text.contains("PRIVATE KEY-----") {
        return Err(fail("it holds a private key, which must not leave this machine".into()));
    }
    Ok(text)
}
