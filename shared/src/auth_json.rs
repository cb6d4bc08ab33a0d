//! The model of codex's `auth.json`, enough to tell who is signed in and how fresh a copy is.
//!
//! The tokens are kept as opaque strings and never printed: `Debug` is hand-written to
//! leave them out.

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

use crate::protocol::Account;

/// `$CODEX_HOME/auth.json` as codex writes it.
#[derive(Clone, Deserialize)]
pub struct AuthJson {
    pub auth_mode: Option<String>,
    #[serde(rename = "OPENAI_API_KEY")]
    pub openai_api_key: Option<String>,
    pub tokens: Option<Tokens>,
    /// RFC 3339 time of the last refresh: how fresh this copy is.
    pub last_refresh: Option<String>,
}

/// The ChatGPT tokens of a login.
#[derive(Clone, Deserialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub account_id: Option<String>,
}

/// The parts of an id_token's claims a person may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IdClaims {
    pub email: Option<String>,
    #[serde(rename = "https://api.openai.com/auth", default)]
    pub openai: OpenAiClaims,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OpenAiClaims {
    pub chatgpt_plan_type: Option<String>,
    pub chatgpt_account_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthJsonError {
    #[error("auth.json is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the id_token is not a JWT")]
    NotJwt,
}

impl AuthJson {
    pub fn parse(text: &str) -> Result<Self, AuthJsonError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Who this login belongs to.
    pub fn account(&self) -> Account {
        let claims = self
            .tokens
            .as_ref()
            .and_then(|t| id_claims(&t.id_token).ok())
            .unwrap_or_default();
        Account {
            auth_mode: self
                .auth_mode
                .clone()
                .unwrap_or_else(|| if self.tokens.is_some() { "chatgpt" } else { "apikey" }.to_owned())
                .into(),
            email: claims.email.map(Into::into),
            plan: claims.openai.chatgpt_plan_type.map(Into::into),
        }
    }
}

impl fmt::Debug for AuthJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthJson")
            .field("auth_mode", &self.auth_mode)
            .field("has_api_key", &self.openai_api_key.is_some())
            .field("has_tokens", &self.tokens.is_some())
            .field("last_refresh", &self.last_refresh)
            .finish()
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

/// Decodes the claims of a JWT without verifying it: it came from the user's own file.
pub fn id_claims(jwt: &str) -> Result<IdClaims, AuthJsonError> {
    let payload = jwt.split('.').nth(1).ok_or(AuthJsonError::NotJwt)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| AuthJsonError::NotJwt)?;
    Ok(serde_json::from_slice(&bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"none"}"#), e.encode(claims))
    }

    #[test]
    fn account_comes_from_the_id_token() {
        let id = jwt(r#"{"email":"dev@example.com","https://api.openai.com/auth":{"chatgpt_plan_type":"pro"}}"#);
        let text = format!(
            r#"{{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{{"id_token":"{id}","access_token":"a","refresh_token":"r","account_id":"x"}},"last_refresh":"2026-11-25T10:00:00Z"}}"#
        );
        let auth = AuthJson::parse(&text).unwrap();
        let account = auth.account();
        assert_eq!(account.email.as_ref().map(|e| e.raw()), Some("dev@example.com"));
        assert_eq!(account.plan.as_ref().map(|p| p.raw()), Some("pro"));
        assert_eq!(account.auth_mode, "chatgpt");
    }

    #[test]
    fn debug_never_shows_tokens() {
        let text = r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-secret","tokens":{"id_token":"i","access_token":"a-secret","refresh_token":"r-secret"}}"#;
        let auth = AuthJson::parse(text).unwrap();
        let shown = format!("{auth:?} {:?}", auth.tokens);
        assert!(!shown.contains("secret"), "{shown}");
    }
}
