//! What a client asks to log in with (USER/PASS, APOP, a finished SASL exchange), and the
//! application's refusals.

use super::*;

/// How a client asks to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginRequest {
    /// USER then PASS: check the password.
    Password {
        /// The user name.
        user: String,
        /// The password.
        password: Secret,
    },
    /// APOP: check the digest with [`LoginRequest::apop_matches`].
    Apop {
        /// The user name.
        user: String,
        /// The digest the client sent.
        digest: String,
        /// The timestamp of this connection's greeting.
        timestamp: String,
    },
    /// A SASL exchange succeeded: the credentials are checked; decide on the maildrop.
    Sasl {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity, if one was requested.
        authzid: Option<String>,
    },
}

impl LoginRequest {
    /// The user whose maildrop is asked for (the authzid of SASL when given).
    pub fn user(&self) -> &str {
        match self {
            Self::Password { user, .. } | Self::Apop { user, .. } => user,
            Self::Sasl {
                authcid, authzid, ..
            } => authzid.as_deref().unwrap_or(authcid),
        }
    }

    /// For APOP: whether the digest is MD5(timestamp + secret) (RFC 1939 section 7), compared
    /// case-insensitively. False for the other kinds.
    pub fn apop_matches(&self, secret: &str) -> bool {
        match self {
            Self::Apop {
                digest, timestamp, ..
            } => {
                // RFC 6856 2.2: a UTF-8 secret takes part in the digest after SASLprep.
                let prepared;
                let secret = if secret.is_ascii() {
                    secret
                } else {
                    match sasl_proto::saslprep_string(secret) {
                        Ok(p) => {
                            prepared = p;
                            prepared.as_str()
                        }
                        Err(_) => return false,
                    }
                };
                let expected = sasl_proto::md5::apop_digest(timestamp, secret);
                expected.len() == digest.len()
                    && expected
                        .bytes()
                        .zip(digest.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()))
                        == 0
            }
            _ => false,
        }
    }
}

/// Why a login is refused; each gives its response code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// Wrong credentials: `-ERR [AUTH]`, counted as a failed login.
    BadCredentials,
    /// The maildrop is locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// Logged in too recently: `-ERR [LOGIN-DELAY]`.
    LoginDelay,
    /// A temporary failure: `-ERR [SYS/TEMP]`.
    SysTemp,
    /// A permanent failure: `-ERR [SYS/PERM]`.
    SysPerm,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_digest_of_a_utf8_secret_uses_its_saslprep_form() {
        let timestamp = "<1896.697170952@dbc.mtview.ca.us>".to_owned();
        let request = |digest: String| LoginRequest::Apop {
            user: "finn".into(),
            digest,
            timestamp: timestamp.clone(),
        };
        // The stored secret "\u{fb01}" (a ligature) takes part as "fi".
        let prepared = sasl_proto::md5::apop_digest(&timestamp, "fi");
        assert!(request(prepared.clone()).apop_matches("\u{fb01}"));
        assert!(request(prepared.to_uppercase()).apop_matches("\u{fb01}"));
        let raw = sasl_proto::md5::apop_digest(&timestamp, "\u{fb01}");
        assert!(!request(raw).apop_matches("\u{fb01}"));
        // A secret SASLprep refuses never matches.
        let refused = sasl_proto::md5::apop_digest(&timestamp, "a\u{e000}");
        assert!(!request(refused).apop_matches("a\u{e000}"));
    }
}
