//! An adapter from a synchronous credential store to the server's questions.
//!
//! ```
//! use sasl_proto::{Mechanism, MemoryStore, Server, ServerConfig, ServerStep};
//! use sasl_proto::store::resolve;
//!
//! let mut store = MemoryStore::new();
//! store.add_password("tim", "tanstaaftanstaaf");
//! let mut server = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
//! let step = server.start(Some(b"\0tim\0tanstaaftanstaaf"));
//! let step = resolve(&mut server, step, &store);
//! assert_eq!(
//!     step,
//!     ServerStep::Success { authcid: "tim".into(), authzid: None, additional_data: None }
//! );
//! ```

use std::collections::HashMap;

use crate::mechanism::Mechanism;
use crate::scram::{ScramHash, ScramKeys};
use crate::secret::Secret;
use crate::server::{Server, ServerStep, StoredSecret, TokenVerdict};
use crate::{Error, Limits};

/// A synchronous source of secrets and decisions.
pub trait CredentialStore {
    /// The secret for `authcid` under `mechanism`, or `None` for an unknown user.
    fn secret(&self, mechanism: &Mechanism, authcid: &str) -> Option<StoredSecret>;

    /// Checks a plaintext password (PLAIN, LOGIN) against the store's own records, such as
    /// a password hash. `None`, the default, means "no opinion": the secret from
    /// [`CredentialStore::secret`] is used instead.
    fn check_password(&self, _authcid: &str, _password: &Secret) -> Option<bool> {
        None
    }

    /// Whether `authcid` may act as `authzid`. The default allows a user to act only as
    /// itself.
    fn authorize(&self, authcid: &str, authzid: Option<&str>) -> bool {
        authzid.is_none_or(|z| z == authcid)
    }

    /// Validates an OAuth bearer token. The default refuses every token.
    fn validate_token(
        &self,
        _mechanism: &Mechanism,
        _user: Option<&str>,
        _token: &Secret,
    ) -> TokenVerdict {
        TokenVerdict::Invalid {
            json: r#"{"status":"invalid_token"}"#.to_owned(),
        }
    }
}

/// Answers every question of `step` from `store` until the server needs the client again
/// (a challenge) or the exchange ends.
pub fn resolve<S: CredentialStore + ?Sized>(
    server: &mut Server,
    mut step: ServerStep,
    store: &S,
) -> ServerStep {
    loop {
        step = match step {
            ServerStep::NeedSecret {
                mechanism, authcid, ..
            } => {
                let verdict = server
                    .presented_password()
                    .and_then(|p| store.check_password(&authcid, p));
                match verdict {
                    Some(ok) => server.password_verified(ok),
                    None => server.provide_secret(store.secret(&mechanism, &authcid)),
                }
            }
            ServerStep::NeedToken {
                mechanism,
                user,
                token,
                ..
            } => server.provide_token(store.validate_token(&mechanism, user.as_deref(), &token)),
            // A store knows no TLS client certificate.
            ServerStep::NeedExternal { .. } => server.provide_external(None),
            ServerStep::NeedAuthorize { authcid, authzid } => {
                server.authorize(store.authorize(&authcid, authzid.as_deref()))
            }
            other => return other,
        }
    }
}

impl Server {
    /// [`Server::start`], then [`resolve`] against `store`.
    pub fn start_with<S: CredentialStore + ?Sized>(
        &mut self,
        initial_response: Option<&[u8]>,
        store: &S,
    ) -> ServerStep {
        let step = self.start(initial_response);
        resolve(self, step, store)
    }

    /// [`Server::step`], then [`resolve`] against `store`.
    pub fn step_with<S: CredentialStore + ?Sized>(
        &mut self,
        client_message: &[u8],
        store: &S,
    ) -> ServerStep {
        let step = self.step(client_message);
        resolve(self, step, store)
    }
}

#[derive(Clone, Debug, Default)]
struct Entry {
    password: Option<Secret>,
    sha1: Option<ScramKeys>,
    sha256: Option<ScramKeys>,
}

/// An in-memory [`CredentialStore`] for tests and small programs.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    users: HashMap<String, Entry>,
    tokens: HashMap<String, String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a plaintext password (needed for CRAM-MD5; also serves PLAIN, LOGIN and, by
    /// deriving keys per exchange, SCRAM).
    pub fn add_password(&mut self, user: &str, password: &str) {
        self.users.entry(user.to_owned()).or_default().password = Some(Secret::new(password));
    }

    /// Derives and stores SCRAM-SHA-1 and SCRAM-SHA-256 keys (the password itself is not
    /// kept).
    pub fn add_scram(
        &mut self,
        user: &str,
        password: &str,
        salt: &[u8],
        iterations: u32,
        limits: &Limits,
    ) -> Result<(), Error> {
        let sha1 = ScramKeys::derive_with(password, salt, iterations, ScramHash::Sha1, limits)?;
        let sha256 = ScramKeys::derive_with(password, salt, iterations, ScramHash::Sha256, limits)?;
        let entry = self.users.entry(user.to_owned()).or_default();
        entry.sha1 = Some(sha1);
        entry.sha256 = Some(sha256);
        Ok(())
    }

    /// Accepts `token` as a bearer token for `authcid`.
    pub fn add_token(&mut self, token: &str, authcid: &str) {
        self.tokens.insert(token.to_owned(), authcid.to_owned());
    }
}

impl CredentialStore for MemoryStore {
    fn secret(&self, mechanism: &Mechanism, authcid: &str) -> Option<StoredSecret> {
        let entry = self.users.get(authcid)?;
        let scram = match mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => entry.sha1.clone(),
            Mechanism::CramMd5 => None,
            _ => entry.sha256.clone(),
        };
        match (mechanism, scram, &entry.password) {
            (Mechanism::Plain | Mechanism::Login, _, Some(p)) => {
                Some(StoredSecret::Password(p.clone()))
            }
            (_, Some(keys), _) => Some(StoredSecret::Scram(keys)),
            (_, None, Some(p)) => Some(StoredSecret::Password(p.clone())),
            (_, None, None) => None,
        }
    }

    fn validate_token(
        &self,
        _mechanism: &Mechanism,
        user: Option<&str>,
        token: &Secret,
    ) -> TokenVerdict {
        match self.tokens.get(token.expose()) {
            Some(authcid) if user.is_none_or(|u| u == authcid) => TokenVerdict::Valid {
                authcid: authcid.clone(),
            },
            _ => TokenVerdict::Invalid {
                json: r#"{"status":"invalid_token"}"#.to_owned(),
            },
        }
    }
}
