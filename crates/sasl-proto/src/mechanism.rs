//! SASL mechanism names: parsing, strength order and the client's choice.

use std::fmt;
use std::str::FromStr;

/// A SASL mechanism name (RFC 4422 section 3.1). Names are case-insensitive; unknown names
/// are kept, upper-cased, as [`Mechanism::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// CRAM-MD5 (RFC 2195).
    CramMd5,
    /// XOAUTH2 (Google's OAuth 2.0 mechanism).
    XOAuth2,
    /// OAUTHBEARER (RFC 7628).
    OAuthBearer,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// SCRAM-SHA-1-PLUS (RFC 5802, with channel binding).
    ScramSha1Plus,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-256-PLUS (RFC 7677, with channel binding).
    ScramSha256Plus,
    /// EXTERNAL (RFC 4422 appendix A).
    External,
    /// ANONYMOUS (RFC 4505).
    Anonymous,
    /// Any other valid mechanism name, upper-cased.
    Other(String),
}

/// A mechanism name that breaks RFC 4422 section 3.1 (1 to 20 of `A-Z 0-9 - _`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MechanismError {
    /// Empty name.
    #[error("empty mechanism name")]
    Empty,
    /// More than 20 characters.
    #[error("mechanism name longer than 20 characters")]
    TooLong,
    /// A character outside `A-Z a-z 0-9 - _`.
    #[error("invalid character in mechanism name")]
    InvalidCharacter,
}

impl Mechanism {
    /// Every mechanism this crate knows by name, weakest first.
    pub const KNOWN: [Mechanism; 11] = [
        Mechanism::Anonymous,
        Mechanism::Login,
        Mechanism::Plain,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256Plus,
        Mechanism::External,
    ];

    /// Parses a name, case-insensitively.
    pub fn parse(name: &str) -> Result<Self, MechanismError> {
        if name.is_empty() {
            return Err(MechanismError::Empty);
        }
        if name.len() > 20 {
            return Err(MechanismError::TooLong);
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(MechanismError::InvalidCharacter);
        }
        let upper = name.to_ascii_uppercase();
        Ok(Self::KNOWN
            .iter()
            .find(|m| m.as_str() == upper)
            .cloned()
            .unwrap_or(Self::Other(upper)))
    }

    /// Parses a space-separated list (an SMTP `AUTH` line or POP3 `SASL` capability),
    /// skipping invalid names.
    pub fn parse_list(list: &str) -> Vec<Self> {
        list.split_ascii_whitespace()
            .filter_map(|n| Self::parse(n).ok())
            .collect()
    }

    /// The registered name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::CramMd5 => "CRAM-MD5",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
            Self::Other(name) => name,
        }
    }

    /// The rank used by [`choose`]: higher is stronger. Unknown mechanisms rank 0 and are
    /// never chosen.
    ///
    /// ANONYMOUS < LOGIN < PLAIN < XOAUTH2 < OAUTHBEARER < CRAM-MD5 < SCRAM-SHA-1 <
    /// SCRAM-SHA-256 < SCRAM-SHA-1-PLUS < SCRAM-SHA-256-PLUS < EXTERNAL.
    pub fn strength(&self) -> u8 {
        Self::KNOWN
            .iter()
            .position(|m| m == self)
            .and_then(|p| u8::try_from(p + 1).ok())
            .unwrap_or(0)
    }

    /// Whether the mechanism sends a password or token that an eavesdropper can replay
    /// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER): such a mechanism needs a protected link.
    pub fn is_plaintext_equivalent(&self) -> bool {
        matches!(
            self,
            Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer
        )
    }

    /// Whether the client speaks first, so that it has an initial response (RFC 4422
    /// section 5 item 2a). CRAM-MD5 and LOGIN are server-first.
    pub fn is_client_first(&self) -> bool {
        !matches!(self, Self::CramMd5 | Self::Login | Self::Other(_))
    }

    /// Whether this is a SCRAM -PLUS mechanism (channel binding).
    pub fn is_plus(&self) -> bool {
        matches!(self, Self::ScramSha1Plus | Self::ScramSha256Plus)
    }

    /// Whether this crate implements the mechanism.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mechanism {
    type Err = MechanismError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Picks the strongest mechanism that the server `offered` and the client `supported`
/// (see [`crate::Credentials::mechanisms`]).
///
/// A plaintext-equivalent mechanism is chosen only when `allow_plaintext_equivalent` is true:
/// pass true when the link is protected by TLS, or when the caller explicitly allowed such
/// mechanisms over an unprotected (trusted, local) link. Unknown mechanisms are never chosen.
pub fn choose(
    offered: &[Mechanism],
    supported: &[Mechanism],
    allow_plaintext_equivalent: bool,
) -> Option<Mechanism> {
    offered
        .iter()
        .filter(|m| m.is_known() && supported.contains(m))
        .filter(|m| allow_plaintext_equivalent || !m.is_plaintext_equivalent())
        .max_by_key(|m| m.strength())
        .cloned()
}
