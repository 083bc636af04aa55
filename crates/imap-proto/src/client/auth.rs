//! Logging in: LOGIN only where allowed (never on cleartext unless configured, never under
//! LOGINDISABLED), and AUTHENTICATE through sasl-proto with SASL-IR when offered.

use proto_core::CommandId;
use sasl_proto::{ChannelBinding, ClientStep, Credentials, Link, Mechanism, NegotiateError};

use super::send::Kind;
use super::{Client, ClientEvent, Completion, ProtocolError, UsageError};
use crate::types::{AString, Atom, Capability, CommandBody, Condition, Continue};

impl Client {
    /// LOGIN with a user name and password (RFC 9051 section 6.2.3). Refused on a cleartext
    /// connection unless [`ClientConfig::plaintext_auth`](super::ClientConfig::plaintext_auth),
    /// and when the server announced LOGINDISABLED.
    pub fn login(&mut self, user: &str, password: &str) -> Result<CommandId, UsageError> {
        let caps = self.ready_caps("LOGIN")?;
        if caps.has(&Capability::LoginDisabled) {
            return Err(UsageError::LoginDisabled);
        }
        if !self.tls && !self.config.plaintext_auth {
            return Err(UsageError::Plaintext);
        }
        let body = CommandBody::Login {
            username: AString::new(user.as_bytes().to_vec())?,
            password: AString::new(password.as_bytes().to_vec())?,
        };
        self.submit(body, Kind::Login)
    }

    /// AUTHENTICATE with the strongest mechanism both sides support (RFC 9051 section
    /// 6.2.2), sending the initial response with the command when the server offers
    /// SASL-IR (RFC 4959). Password mechanisms are refused on cleartext unless
    /// [`ClientConfig::plaintext_auth`](super::ClientConfig::plaintext_auth); SCRAM's -PLUS
    /// variants run where TLS gave a channel binding.
    pub fn authenticate(
        &mut self,
        credentials: Credentials,
        sasl: sasl_proto::ClientConfig,
    ) -> Result<CommandId, UsageError> {
        self.authenticate_with(None, credentials, sasl)
    }

    /// AUTHENTICATE as [`Client::authenticate`], with `mechanism` only when given (it must be
    /// offered and usable).
    pub fn authenticate_with(
        &mut self,
        mechanism: Option<Mechanism>,
        credentials: Credentials,
        sasl: sasl_proto::ClientConfig,
    ) -> Result<CommandId, UsageError> {
        let caps = self.ready_caps("AUTHENTICATE")?;
        let offered: Vec<Mechanism> = caps
            .auth_mechanisms()
            .filter_map(|m| Mechanism::parse(m.as_str()).ok())
            .collect();
        if offered.is_empty() {
            return Err(UsageError::NotOffered("AUTHENTICATE"));
        }
        let binding = self.tls_info.as_ref().and_then(|i| {
            ChannelBinding::from_tls(i.tls_exporter.as_deref(), i.tls_server_end_point.as_deref())
        });
        let link = Link::new(self.tls || self.config.plaintext_auth)
            .with_channel_binding(binding)
            .with_only(mechanism);
        let mut client = sasl_proto::Client::negotiate(&offered, credentials, sasl, link).map_err(
            |e| match e {
                NegotiateError::Plaintext => UsageError::Plaintext,
                NegotiateError::Sasl(e) => UsageError::Sasl(e),
                _ => UsageError::NoMechanism,
            },
        )?;
        let initial = if caps.has(&Capability::SaslIr) {
            client.initial_response().map_err(UsageError::Sasl)?
        } else {
            None
        };
        let body = CommandBody::Authenticate {
            mechanism: Atom::new(client.mechanism().as_str().to_owned())?,
            initial: initial.map(|r| bytes::Bytes::from(sasl_proto::codec::encode(&r))),
        };
        self.submit(body, Kind::Authenticate(Box::new(client)))
    }

    /// Answers a `+` challenge of the AUTHENTICATE in flight; false when none runs.
    pub(super) fn sasl_step(&mut self, c: &Continue) -> bool {
        let Some(flight) = self
            .in_flight
            .iter_mut()
            .find(|f| matches!(f.kind, Kind::Authenticate(_)))
        else {
            return false;
        };
        let Kind::Authenticate(sasl) = &mut flight.kind else {
            return false;
        };
        // The challenge is base64 in the text (RFC 9051 section 6.2.2); `+` alone is empty.
        let line = match sasl_proto::codec::decode_challenge(&c.text) {
            Ok(challenge) => match sasl.step(&challenge) {
                Ok(ClientStep::Response(r)) => {
                    let mut line = sasl_proto::codec::encode_continuation(&r);
                    line.extend_from_slice(b"\r\n");
                    line
                }
                Ok(_) => b"\r\n".to_vec(),
                // The exchange cannot go on: cancel it (the server answers BAD).
                Err(_) => b"*\r\n".to_vec(),
            },
            Err(_) => b"*\r\n".to_vec(),
        };
        self.output.push(&line);
        true
    }

    pub(super) fn on_login_done(&mut self, completion: Completion, kind: Kind) {
        if completion.status != Condition::Ok {
            self.push(ClientEvent::Completed(completion));
            return;
        }
        if let Kind::Authenticate(mut sasl) = kind
            && let Err(e) = sasl.finish(None)
        {
            // The server said OK but did not prove it knows the password (SCRAM's v=).
            self.fail(ProtocolError::Sasl(e));
            return;
        }
        self.login_succeeded(completion);
    }
}
