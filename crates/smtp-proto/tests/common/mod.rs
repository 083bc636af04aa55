//! Test adapters shared by the machine tests.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Instant;

use proto_core::Decision;
use proto_core::testing::{Described, Scripted, escape};
use sasl_proto::{FixedNonce, MemoryStore};
use smtp_proto::codec::encode_command;
use smtp_proto::server::{Event, Server, ServerConfig};
use smtp_proto::types::{Capabilities, Command, EnhancedStatusCode, Reply, ReplyCode};

/// Parses "550 5.1.1 text" into a reply.
pub fn reply_from(text: &str) -> Reply<'static> {
    let (code, rest) = text.split_once(' ').unwrap_or((text, ""));
    let code = ReplyCode::new(code.parse().unwrap()).unwrap();
    let (enhanced, text) = match EnhancedStatusCode::parse_prefix(rest.as_bytes()) {
        Some((e, n)) => (Some(e), rest[n..].trim_start()),
        None => (None, rest),
    };
    Reply::new(code, enhanced, text).unwrap()
}

pub fn store() -> MemoryStore {
    let mut store = MemoryStore::new();
    store.add_password("test", "1234");
    store.add_password("user", "pencil");
    store
        .add_scram("user", "pencil", b"salt of the user", 4096, &sasl_proto::Limits::default())
        .unwrap();
    store.add_token("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "user");
    store
}

pub fn server_config(host: &str) -> ServerConfig {
    ServerConfig::default()
        .with_hostname(host.to_owned())
        .with_sasl(std::sync::Arc::new(|| {
            sasl_proto::ServerConfig::default().with_nonce_source(FixedNonce("server-nonce".into()))
        }))
}

/// A small extension set for short transcripts.
pub fn small_extensions() -> Capabilities {
    let mut e = Capabilities::default();
    e.pipelining = true;
    e.enhanced_status_codes = true;
    e.eight_bit_mime = true;
    e.chunking = true;
    e.dsn = true;
    e
}

pub struct ServerScript {
    pub server: Server,
    pub pending: VecDeque<Decision>,
    pub store: MemoryStore,
}

impl ServerScript {
    pub fn new(config: ServerConfig) -> Self {
        Self { server: Server::new(config, Instant::now()), pending: VecDeque::new(), store: store() }
    }
}

fn params_text(command: &Command<'_>, prefix: &str) -> String {
    let mut out = Vec::new();
    encode_command(command, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    text.trim_end().strip_prefix(prefix).unwrap().to_owned()
}

impl Scripted for ServerScript {
    type Machine = Server;

    fn machine(&mut self) -> &mut Server {
        &mut self.server
    }

    fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
        let decision = self.pending.pop_front().ok_or("no decision open")?;
        let result = if action == "accept" {
            self.server.accept(decision)
        } else if let Some(reply) = action.strip_prefix("accept ") {
            self.server.accept_with(decision, reply_from(reply))
        } else if let Some(reply) = action.strip_prefix("reject ") {
            self.server.reject(decision, reply_from(reply))
        } else {
            return Err(format!("unknown action {action}"));
        };
        result.map_err(|e| e.to_string())
    }

    fn describe(&mut self, event: Event) -> Described {
        let line = match event {
            Event::Connected { decision } => {
                self.pending.push_back(decision);
                "connect".to_owned()
            }
            Event::Hello { kind, domain, decision } => {
                if let Some(d) = decision {
                    self.pending.push_back(d);
                }
                format!("{} {domain}", format!("{kind:?}").to_lowercase())
            }
            Event::MailFrom { from, params, decision } => {
                self.pending.push_back(decision);
                let c = Command::Mail { from, params };
                format!("mail {}", params_text(&c, "MAIL FROM:"))
            }
            Event::RcptTo { to, params, decision } => {
                self.pending.push_back(decision);
                let c = Command::Rcpt { to, params };
                format!("rcpt {}", params_text(&c, "RCPT TO:"))
            }
            Event::Body(chunk) => return Described::Chunk(chunk.to_vec()),
            Event::DataEnd { recipient, size, decision } => {
                self.pending.push_back(decision);
                match recipient {
                    Some(r) => format!("data-end {r} {size}"),
                    None => format!("data-end {size}"),
                }
            }
            Event::MessageRefused { reply } => format!("refused {}", reply.code()),
            Event::AuthSecret { mechanism, authcid, decision, .. } => {
                let secret = sasl_proto::CredentialStore::secret(&self.store, &mechanism, &authcid);
                self.server.provide_secret(decision, secret).unwrap();
                format!("auth-secret {authcid}")
            }
            Event::AuthToken { mechanism, user, token, decision } => {
                let verdict = sasl_proto::CredentialStore::validate_token(&self.store, &mechanism, user.as_deref(), &token);
                self.server.provide_token(decision, verdict).unwrap();
                "auth-token".to_owned()
            }
            Event::AuthIdentity { authcid, authzid, decision, .. } => {
                self.pending.push_back(decision);
                match authzid {
                    Some(z) => format!("auth-identity {authcid} as {z}"),
                    None => format!("auth-identity {authcid}"),
                }
            }
            Event::Reset => "reset".to_owned(),
            Event::TlsEstablished => "tls".to_owned(),
            Event::Quit => "quit".to_owned(),
            Event::Closed => "closed".to_owned(),
            other => format!("{other:?}"),
        };
        Described::Line(line)
    }
}

pub fn show(bytes: &[u8]) -> String {
    escape(bytes)
}
