//! Test adapters: the server (and client) machines under the proto-core transcript runner.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Instant;

use pop3_proto::StatusLine;
use pop3_proto::{
    LoginRefusal, LoginRequest, MaildropEntry, SaslQuestion, Server, ServerConfig, ServerEvent,
    message_size,
};
use pop3_proto::ResponseCode;
use proto_core::Decision;
use proto_core::testing::{Described, Scripted};
use sasl_proto::MemoryStore;

/// A maildrop for the server adapter: users, passwords, messages.
pub struct Mailbox {
    pub passwords: HashMap<String, String>,
    pub messages: Vec<(Vec<u8>, String)>,
}

impl Mailbox {
    pub fn new(messages: Vec<(Vec<u8>, String)>) -> Self {
        let mut passwords = HashMap::new();
        passwords.insert("mrose".to_owned(), "tanstaaf".to_owned());
        passwords.insert("test".to_owned(), "test".to_owned());
        passwords.insert("user".to_owned(), "pencil".to_owned());
        Self {
            passwords,
            messages,
        }
    }

    pub fn store(&self) -> MemoryStore {
        static SCRAM: std::sync::OnceLock<MemoryStore> = std::sync::OnceLock::new();
        let mut store = SCRAM.get_or_init(Self::scram_store).clone();
        for (user, password) in &self.passwords {
            store.add_password(user, password);
        }
        store
    }

    fn scram_store() -> MemoryStore {
        let mut store = MemoryStore::new();
        // RFC 7677 section 3: user "user", password "pencil", this salt, 4096 iterations.
        let salt = sasl_proto::codec::decode_challenge(b"W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        store
            .add_scram(
                "user",
                "pencil",
                &salt,
                4096,
                &sasl_proto::Limits::default(),
            )
            .unwrap();
        store
    }

    pub fn listing(&self) -> Vec<MaildropEntry> {
        self.messages
            .iter()
            .map(|(content, uid)| MaildropEntry::new(message_size(content), uid.clone()))
            .collect()
    }
}

pub struct ServerScript {
    pub server: Server,
    pub mailbox: Mailbox,
    pub login: Option<(LoginRequest, Decision)>,
    pub sasl: Option<(SaslQuestion, Decision)>,
    pub retrieve: Option<(usize, Decision)>,
    pub update: Option<Decision>,
    pub deleted: Vec<String>,
}

impl ServerScript {
    pub fn new(config: ServerConfig, mailbox: Mailbox) -> Self {
        Self {
            server: Server::new(config, Instant::now()),
            mailbox,
            login: None,
            sasl: None,
            retrieve: None,
            update: None,
            deleted: Vec::new(),
        }
    }
}

impl Scripted for ServerScript {
    type Machine = Server;

    fn machine(&mut self) -> &mut Server {
        &mut self.server
    }

    fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
        let (verb, rest) = action.split_once(' ').unwrap_or((action, ""));
        let err = |e: pop3_proto::UsageError| e.to_string();
        match verb {
            // Checks the credentials against the mailbox, then opens it.
            "check" => {
                let (request, decision) = self.login.take().ok_or("no login open")?;
                let good = match &request {
                    LoginRequest::Password { user, password } => {
                        self.mailbox.passwords.get(user).map(String::as_str)
                            == Some(password.expose())
                    }
                    LoginRequest::Apop { user, .. } => self
                        .mailbox
                        .passwords
                        .get(user)
                        .is_some_and(|s| request.apop_matches(s)),
                    LoginRequest::Sasl { .. } => true,
                    _ => false,
                };
                if good {
                    self.server
                        .accept_login(decision, self.mailbox.listing())
                        .map_err(err)
                } else {
                    self.server
                        .reject_login(decision, LoginRefusal::BadCredentials)
                        .map_err(err)
                }
            }
            "refuse" => {
                let (_, decision) = self.login.take().ok_or("no login open")?;
                let refusal = match rest {
                    "in-use" => LoginRefusal::InUse,
                    "delay" => LoginRefusal::LoginDelay,
                    "temp" => LoginRefusal::SysTemp,
                    "perm" => LoginRefusal::SysPerm,
                    _ => LoginRefusal::BadCredentials,
                };
                self.server.reject_login(decision, refusal).map_err(err)
            }
            "sasl" => {
                let (question, decision) = self.sasl.take().ok_or("no SASL question open")?;
                let store = self.mailbox.store();
                self.server
                    .answer_sasl_with(decision, &question, &store)
                    .map_err(err)
            }
            // Streams the message in chunks of `rest` octets (default 7).
            "send" => {
                let (index, decision) = self.retrieve.take().ok_or("no retrieve open")?;
                let size: usize = rest.parse().unwrap_or(7);
                self.server.accept_retrieve(decision).map_err(err)?;
                let content = self.mailbox.messages[index].0.clone();
                for chunk in content.chunks(size.max(1)) {
                    self.server.write_body(chunk).map_err(err)?;
                }
                self.server.finish_body().map_err(err)
            }
            "unavailable" => {
                let (_, decision) = self.retrieve.take().ok_or("no retrieve open")?;
                let line = StatusLine::err(rest.as_bytes().to_vec()).with_code(ResponseCode::Utf8);
                self.server.reject_retrieve(decision, line).map_err(err)
            }
            "update" => {
                let decision = self.update.take().ok_or("no update open")?;
                let text = if rest.is_empty() { None } else { Some(rest) };
                self.server.accept_update(decision, text).map_err(err)
            }
            "update-failed" => {
                let decision = self.update.take().ok_or("no update open")?;
                self.server.reject_update(decision).map_err(err)
            }
            other => Err(format!("unknown action {other}")),
        }
    }

    fn describe(&mut self, event: ServerEvent) -> Described {
        Described::Line(self.render(event).trim_end().to_owned())
    }
}

impl ServerScript {
    fn render(&mut self, event: ServerEvent) -> String {
        match event {
            ServerEvent::Login { request, decision } => {
                let text = match &request {
                    LoginRequest::Password { user, password } => {
                        format!("login user {user} pass {}", password.expose())
                    }
                    LoginRequest::Apop { user, digest, .. } => {
                        format!("login apop {user} {digest}")
                    }
                    LoginRequest::Sasl {
                        mechanism,
                        authcid,
                        authzid,
                    } => format!(
                        "login sasl {mechanism} {authcid}{}",
                        authzid
                            .as_deref()
                            .map(|z| format!(" as {z}"))
                            .unwrap_or_default()
                    ),
                    _ => "login ?".into(),
                };
                self.login = Some((request, decision));
                text
            }
            ServerEvent::SaslQuestion { question, decision } => {
                let text = match &question {
                    SaslQuestion::Secret {
                        mechanism, authcid, ..
                    } => format!("sasl secret {mechanism} {authcid}"),
                    SaslQuestion::Token { mechanism, .. } => format!("sasl token {mechanism}"),
                    SaslQuestion::Authorize { authcid, authzid } => {
                        format!(
                            "sasl authorize {authcid} {}",
                            authzid.as_deref().unwrap_or("-")
                        )
                    }
                    _ => "sasl ?".into(),
                };
                self.sasl = Some((question, decision));
                text
            }
            ServerEvent::Retrieve {
                number,
                uid,
                size,
                top,
                decision,
            } => {
                self.retrieve = Some((number.index(), decision));
                match top {
                    None => format!("retr {number} {uid} {size}"),
                    Some(n) => format!("top {number} {n} {uid}"),
                }
            }
            ServerEvent::Update {
                user,
                deleted,
                decision,
            } => {
                self.update = Some(decision);
                let list: Vec<String> = deleted.iter().map(|(n, u)| format!("{n}:{u}")).collect();
                self.deleted = deleted.into_iter().map(|(_, u)| u).collect();
                format!("update {user} [{}]", list.join(" "))
            }
            ServerEvent::TlsEstablished => "tls".into(),
            ServerEvent::TooManyFailedLogins => "too many failed logins".into(),
            ServerEvent::Disconnected => "disconnected".into(),
            ServerEvent::TimedOut => "timed out".into(),
            _ => "?".into(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Client adapter

use pop3_proto::{Client, ClientConfig, ClientEvent, LoginMethod};
use pop3_proto::{Capability, MessageNumber};
use sasl_proto::{Credentials, Mechanism};

pub struct ClientScript {
    pub client: Client,
}

impl ClientScript {
    pub fn new(config: ClientConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

fn num(s: &str) -> Result<MessageNumber, String> {
    s.parse::<u32>()
        .ok()
        .and_then(MessageNumber::new)
        .ok_or_else(|| format!("bad message number {s}"))
}

pub fn line_text(line: &StatusLine<'_>) -> String {
    let code = line
        .code
        .as_ref()
        .map(|c| format!("[{}] ", c.as_str()))
        .unwrap_or_default();
    format!("{code}{}", line.text_lossy())
}

pub fn cap_text(cap: &Capability<'_>) -> String {
    let mut out = Vec::new();
    pop3_proto::encode_capability(cap, &mut out).unwrap();
    String::from_utf8(out).unwrap().trim_end().to_owned()
}

impl Scripted for ClientScript {
    type Machine = Client;

    fn machine(&mut self) -> &mut Client {
        &mut self.client
    }

    fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
        let words: Vec<&str> = action.split(' ').collect();
        let c = &mut self.client;
        let result = match words.as_slice() {
            ["capa"] => c.send_capa(),
            ["stls"] => c.send_stls(),
            ["stat"] => c.send_stat(),
            ["list"] => c.send_list(None),
            ["list", n] => c.send_list(Some(num(n)?)),
            ["uidl"] => c.send_uidl(None),
            ["uidl", n] => c.send_uidl(Some(num(n)?)),
            ["retr", n] => c.send_retr(num(n)?),
            ["top", n, l] => c.send_top(num(n)?, l.parse().map_err(|_| "bad lines")?),
            ["dele", n] => c.send_dele(num(n)?),
            ["rset"] => c.send_rset(),
            ["noop"] => c.send_noop(),
            ["quit"] => c.send_quit(),
            ["utf8"] => c.send_utf8(),
            ["lang"] => c.send_lang(None),
            ["lang", tag] => c.send_lang(Some(tag)),
            ["login", rest @ ..] => {
                let (user, password, method, authzid) = match rest {
                    [u, p] => (*u, *p, LoginMethod::Auto, None),
                    [u, p, m] => (*u, *p, method(m)?, None),
                    [u, p, m, z] => (*u, *p, method(m)?, Some(*z)),
                    _ => return Err("login user password [method [authzid]]".into()),
                };
                let mut credentials = Credentials::password(user, password);
                if let Some(z) = authzid {
                    credentials = credentials.with_authzid(z);
                }
                c.login(credentials, method)
            }
            _ => return Err(format!("unknown action {action}")),
        };
        result.map(|_| ()).map_err(|e| format!("usage error: {e}"))
    }

    fn describe(&mut self, event: ClientEvent) -> Described {
        if let ClientEvent::BodyChunk { data, .. } = event {
            return Described::Chunk(data.to_vec());
        }
        Described::Line(render_client(event).trim_end().to_owned())
    }
}

fn render_client(event: ClientEvent) -> String {
    match event {
        ClientEvent::Greeting { line, timestamp } => format!(
            "greeting {} {}",
            if line.is_ok() { "ok" } else { "err" },
            timestamp
                .map(|t| t.as_str().to_owned())
                .unwrap_or("-".into())
        ),
        ClientEvent::Capabilities { id, capabilities } => {
            let caps: Vec<String> = capabilities.0.iter().map(cap_text).collect();
            format!("capa {id} {}", caps.join(", "))
        }
        ClientEvent::TlsEstablished { capa } => format!("tls, capa {capa}"),
        ClientEvent::LoggedIn { id, line } => format!("logged in {id} {}", line_text(&line)),
        ClientEvent::LoginFailed { id, line } => {
            format!("login failed {id} {}", line_text(&line))
        }
        ClientEvent::Stat { id, count, size } => format!("stat {id} {count} {size}"),
        ClientEvent::List { id, entries } => {
            let e: Vec<String> = entries
                .iter()
                .map(|e| format!("{}:{}", e.number, e.size))
                .collect();
            format!("list {id} {}", e.join(" "))
        }
        ClientEvent::Uidl { id, entries } => {
            let e: Vec<String> = entries
                .iter()
                .map(|e| format!("{}:{}", e.number, e.uid))
                .collect();
            format!("uidl {id} {}", e.join(" "))
        }
        ClientEvent::Languages { id, languages } => {
            let l: Vec<String> = languages.iter().map(|l| l.tag.to_string()).collect();
            format!("languages {id} {}", l.join(" "))
        }
        ClientEvent::BodyStart { id, line } => format!("body {id} {}", line_text(&line)),
        ClientEvent::BodyChunk { .. } => "chunk".into(),
        ClientEvent::BodyEnd { id } => format!("body end {id}"),
        ClientEvent::Ok { id, line } => format!("ok {id} {}", line_text(&line)),
        ClientEvent::Err { id, command, line } => {
            format!("err {id} {command} {}", line_text(&line))
        }
        ClientEvent::Closed { id, line } => format!(
            "closed {id} {} {}",
            if line.is_ok() { "ok" } else { "err" },
            line_text(&line)
        ),
        _ => "?".into(),
    }
}

fn method(m: &str) -> Result<LoginMethod, String> {
    Ok(match m {
        "auto" => LoginMethod::Auto,
        "user" => LoginMethod::UserPass,
        "apop" => LoginMethod::Apop,
        other => LoginMethod::Sasl(Mechanism::parse(other).map_err(|e| e.to_string())?),
    })
}
