#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
mod error;
pub mod exchange;
mod limits;
pub mod md5;
pub mod mechanism;
mod negotiate;
mod nonce;
pub mod scram;
pub mod secret;
pub mod server;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{Client, ClientConfig, ClientStep, Credentials, OAuthError};
pub use codec::{CodecError, StepResponse};
pub use error::Error;
pub use exchange::{Answer, ExchangeStep, Question, QuestionKind, ServerExchange};
pub use limits::Limits;
pub use mechanism::{Mechanism, MechanismError};
pub use negotiate::{Link, NegotiateError};
#[cfg(feature = "getrandom")]
pub use nonce::OsNonce;
pub use nonce::{ChannelBinding, FixedNonce, NO_NONCE_SOURCE, NonceSource};
pub use scram::{ScramHash, ScramKeys, saslprep_string};
pub use secret::{Secret, SecretBytes};
pub use server::{Server, ServerConfig, ServerStep, StoredSecret, TokenVerdict};
pub use store::{CredentialStore, MemoryStore};
