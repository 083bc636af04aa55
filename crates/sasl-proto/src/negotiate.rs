//! Starting the client side of an exchange as every protocol does (SMTP `AUTH`, POP3 `AUTH`,
//! IMAP `AUTHENTICATE`): pick the strongest mechanism both sides can run, with channel
//! binding where TLS gives it, never a password mechanism on an unprotected link.

use crate::mechanism::{Mechanism, choose};
use crate::nonce::ChannelBinding;
use crate::{Client, ClientConfig, Credentials, Error};

/// What the protocol knows of its connection, for [`Client::negotiate`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Link {
    /// TLS protects the link, or the caller allowed credentials without it.
    pub protected: bool,
    /// The TLS channel binding, when TLS gave one (the -PLUS mechanisms need it).
    pub channel_binding: Option<ChannelBinding>,
    /// Use this mechanism only (when the server offers it), instead of the strongest.
    pub only: Option<Mechanism>,
}

impl Link {
    /// A link protected or not, with no channel binding.
    pub fn new(protected: bool) -> Self {
        Self {
            protected,
            ..Self::default()
        }
    }

    /// The same link with a channel binding.
    #[must_use]
    pub fn with_channel_binding(mut self, binding: Option<ChannelBinding>) -> Self {
        self.channel_binding = binding;
        self
    }

    /// The same link, asking for `mechanism` only.
    #[must_use]
    pub fn with_only(mut self, mechanism: Option<Mechanism>) -> Self {
        self.only = mechanism;
        self
    }
}

/// Why [`Client::negotiate`] found no mechanism to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiateError {
    /// A mechanism would do, but it would send the password on an unprotected link.
    #[error("credentials would cross an unprotected link")]
    Plaintext,
    /// No mechanism the server offers can run with these credentials.
    #[error("no usable SASL mechanism")]
    NoMechanism,
    /// The chosen mechanism refused the credentials or configuration.
    #[error("SASL: {0}")]
    Sasl(Error),
}

impl Client {
    /// A client for the strongest mechanism in `offered` that `credentials` can run over
    /// `link`. SCRAM is never picked without a nonce source (the `getrandom` feature gives
    /// the operating system's), and the -PLUS variants only with a channel binding.
    pub fn negotiate(
        offered: &[Mechanism],
        credentials: Credentials,
        config: ClientConfig,
        link: Link,
    ) -> Result<Self, NegotiateError> {
        let supported: Vec<Mechanism> = credentials
            .mechanisms(link.channel_binding.is_some())
            .into_iter()
            .filter(|m| config.nonce.is_some() || !m.is_scram())
            .filter(|m| link.only.as_ref().is_none_or(|only| only == m))
            .collect();
        let mechanism = match choose(offered, &supported, link.protected) {
            Some(m) => m,
            None if choose(offered, &supported, true).is_some() => {
                return Err(NegotiateError::Plaintext);
            }
            None => return Err(NegotiateError::NoMechanism),
        };
        let mut config = config.with_server_advertised_plus(offered.iter().any(Mechanism::is_plus));
        if let Some(binding) = link.channel_binding {
            config = config.with_channel_binding(binding);
        }
        Client::new(mechanism, credentials, config).map_err(NegotiateError::Sasl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedNonce;

    fn offered(names: &str) -> Vec<Mechanism> {
        Mechanism::parse_list(names)
    }

    fn config() -> ClientConfig {
        ClientConfig::default().with_nonce_source(FixedNonce("fyko+d2lbbFgONRv9qkxdawL".to_owned()))
    }

    #[test]
    fn the_strongest_usable_mechanism_is_picked() {
        let creds = || Credentials::password("user", "pencil");
        let c = Client::negotiate(
            &offered("PLAIN SCRAM-SHA-1 SCRAM-SHA-256"),
            creds(),
            config(),
            Link::new(true),
        )
        .unwrap();
        assert_eq!(c.mechanism(), &Mechanism::ScramSha256);
        // -PLUS only with a channel binding.
        let binding = ChannelBinding::from_tls(Some(&[7; 32]), None);
        let c = Client::negotiate(
            &offered("SCRAM-SHA-256 SCRAM-SHA-256-PLUS"),
            creds(),
            config(),
            Link::new(true).with_channel_binding(binding),
        )
        .unwrap();
        assert_eq!(c.mechanism(), &Mechanism::ScramSha256Plus);
        // Asked for one mechanism: that one.
        let c = Client::negotiate(
            &offered("PLAIN SCRAM-SHA-256"),
            creds(),
            config(),
            Link::new(true).with_only(Some(Mechanism::Plain)),
        )
        .unwrap();
        assert_eq!(c.mechanism(), &Mechanism::Plain);
    }

    #[test]
    fn no_password_on_an_unprotected_link_and_no_scram_without_nonces() {
        let creds = || Credentials::password("user", "pencil");
        assert_eq!(
            Client::negotiate(&offered("PLAIN"), creds(), config(), Link::new(false)).err(),
            Some(NegotiateError::Plaintext)
        );
        assert_eq!(
            Client::negotiate(
                &offered("SCRAM-SHA-256"),
                creds(),
                ClientConfig {
                    nonce: None,
                    ..ClientConfig::default()
                },
                Link::new(true)
            )
            .err(),
            Some(NegotiateError::NoMechanism)
        );
    }
}
