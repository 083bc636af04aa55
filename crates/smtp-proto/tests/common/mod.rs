//! Test adapters shared by the machine tests.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Instant;

use proto_core::Decision;
use proto_core::testing::{Described, Scripted, escape};
use sasl_proto::{FixedNonce, MemoryStore};
use smtp_proto::encode_command;
use smtp_proto::{Event, Server, ServerConfig};
use smtp_proto::{Capabilities, Command, EnhancedStatusCode, Reply, ReplyCode};

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
        .add_scram(
            "user",
            "pencil",
            b"salt of the user",
            4096,
            &sasl_proto::Limits::default(),
        )
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
        Self {
            server: Server::new(config, Instant::now()),
            pending: VecDeque::new(),
            store: store(),
        }
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
            Event::Hello {
                kind,
                domain,
                decision,
            } => {
                if let Some(d) = decision {
                    self.pending.push_back(d);
                }
                format!("{} {domain}", format!("{kind:?}").to_lowercase())
            }
            Event::MailFrom {
                from,
                params,
                decision,
            } => {
                self.pending.push_back(decision);
                let c = Command::Mail { from, params };
                format!("mail {}", params_text(&c, "MAIL FROM:"))
            }
            Event::RcptTo {
                to,
                params,
                decision,
            } => {
                self.pending.push_back(decision);
                let c = Command::Rcpt { to, params };
                format!("rcpt {}", params_text(&c, "RCPT TO:"))
            }
            Event::Body(chunk) => return Described::Chunk(chunk.to_vec()),
            Event::DataEnd {
                recipient,
                size,
                decision,
            } => {
                self.pending.push_back(decision);
                match recipient {
                    Some(r) => format!("data-end {r} {size}"),
                    None => format!("data-end {size}"),
                }
            }
            Event::MessageRefused { reply } => format!("refused {}", reply.code()),
            Event::AuthSecret {
                mechanism,
                authcid,
                decision,
                ..
            } => {
                let secret = sasl_proto::CredentialStore::secret(&self.store, &mechanism, &authcid);
                self.server.provide_secret(decision, secret).unwrap();
                format!("auth-secret {authcid}")
            }
            Event::AuthToken {
                mechanism,
                user,
                token,
                decision,
            } => {
                let verdict = sasl_proto::CredentialStore::validate_token(
                    &self.store,
                    &mechanism,
                    user.as_deref(),
                    &token,
                );
                self.server.provide_token(decision, verdict).unwrap();
                "auth-token".to_owned()
            }
            Event::AuthIdentity {
                authcid,
                authzid,
                decision,
                ..
            } => {
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

pub mod client {
    use super::*;
    use proto_core::testing::unescape;
    use smtp_proto::Limits;
    use smtp_proto::{Client, ClientConfig, Event, MessageDeclaration};
    use smtp_proto::parse_command_line;
    use smtp_proto::{Body, MailParameters};

    pub struct ClientScript {
        pub client: Client,
    }

    impl ClientScript {
        pub fn new(config: ClientConfig) -> Self {
            Self {
                client: Client::new(config, Instant::now()),
            }
        }
    }

    fn mail_args(
        rest: &str,
    ) -> (
        smtp_proto::ReversePath<'static>,
        MessageDeclaration,
        MailParameters<'static>,
    ) {
        let line = format!("MAIL FROM:{rest}");
        let Command::Mail { from, mut params } =
            parse_command_line(line.as_bytes(), &Limits::default())
                .unwrap()
                .into_owned()
        else {
            panic!()
        };
        let mut info = MessageDeclaration::new();
        match params.body.take() {
            Some(Body::EightBitMime) => info = info.with_eight_bit(true),
            Some(Body::BinaryMime) => info = info.with_binary(true),
            _ => {}
        }
        if std::mem::take(&mut params.smtputf8) {
            info = info.with_utf8(true);
        }
        if let Some(size) = params.size.take() {
            info = info.with_size(size);
        }
        (from, info, params)
    }

    impl Scripted for ClientScript {
        type Machine = Client;

        fn machine(&mut self) -> &mut Client {
            &mut self.client
        }

        fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
            let (verb, rest) = action.split_once(' ').unwrap_or((action, ""));
            let c = &mut self.client;
            let r = match verb {
                "mail" => {
                    let (from, info, params) = mail_args(rest);
                    c.mail_from(from, info, params).map(|_| ())
                }
                "rcpt" => {
                    let line = format!("RCPT TO:{rest}");
                    let Command::Rcpt { to, params } =
                        parse_command_line(line.as_bytes(), &Limits::default()).unwrap()
                    else {
                        panic!()
                    };
                    c.rcpt_to(to, params).map(|_| ())
                }
                "start-body" => c.start_body().map(|_| ()),
                "body" => {
                    let bytes = unescape(rest).unwrap();
                    let n = c.write_body(&bytes).map_err(|e| e.to_string())?;
                    if n != bytes.len() {
                        return Err(format!("took {n} of {}", bytes.len()));
                    }
                    Ok(())
                }
                "finish" => c.finish_body().map(|_| ()),
                "quit" => c.quit().map(|_| ()),
                "rset" => c.rset().map(|_| ()),
                "noop" => c.simple(Command::Noop(None)).map(|_| ()),
                "vrfy" => c.simple(Command::Vrfy(rest.to_owned().into())).map(|_| ()),
                "expn" => c.simple(Command::Expn(rest.to_owned().into())).map(|_| ()),
                "auth" => {
                    let (user, pass) = rest.split_once(' ').unwrap();
                    c.authenticate(
                        sasl_proto::Credentials::password(user, pass),
                        sasl_proto::ClientConfig::default()
                            .with_nonce_source(FixedNonce("client-nonce".into())),
                    )
                    .map(|_| ())
                }
                other => return Err(format!("unknown action {other}")),
            };
            r.map_err(|e| e.to_string())
        }

        fn describe(&mut self, event: Event) -> Described {
            Described::Line(match event {
                Event::Greeting(r) => format!("greeting {}", r.code()),
                Event::Ready(_) => "ready".to_owned(),
                Event::TlsEstablished => "tls".to_owned(),
                Event::Reply { verb, reply, .. } => format!("reply {verb} {}", reply.code()),
                Event::Recipient {
                    recipient, reply, ..
                } => format!("recipient {recipient} {}", reply.code()),
                Event::BodyWritable => "body-writable".to_owned(),
                Event::MessageDone { reply, .. } => format!("done {}", reply.code()),
                Event::LmtpDelivery {
                    recipient, reply, ..
                } => format!("delivery {recipient} {}", reply.code()),
                Event::Authenticated { mechanism, .. } => {
                    format!("authenticated {}", mechanism.as_str())
                }
                Event::AuthFailed { reply, .. } => format!("auth-failed {}", reply.code()),
                Event::Closed(r) => format!(
                    "closed {}",
                    r.map_or("-".to_owned(), |r| r.code().to_string())
                ),
                other => format!("{other:?}"),
            })
        }
    }
}
