//! The test adapter: actions in transcript text, events rendered as text.

use std::time::Instant;

use bytes::Bytes;
use imap_proto::codec::{ParseOptions, Parsed, parse_command};
use imap_proto::{Client, ClientConfig, ClientEvent, Data, FetchItem, Mailbox, Mode};
use proto_core::testing::{Described, Scripted, Side, Transcript};
use sasl_proto::Credentials;

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

/// A cleartext client allowed to log in without TLS, as on loopback.
pub fn plain_config() -> ClientConfig {
    ClientConfig::new()
        .with_tls(proto_core::TlsPolicy::Never)
        .with_plaintext_auth(true)
}

/// Runs `text` whole, byte by byte and at 20 random splits, each on a fresh client.
pub fn run(text: &str, config: impl Fn() -> ClientConfig) {
    let transcript = Transcript::parse(text, Side::Client).unwrap();
    if let Err(failure) = transcript.run(20, || ClientScript::new(config())) {
        panic!("{failure}");
    }
}

/// The command `line` (escapes such as `\r\n` allowed, for literals) as the client's value.
pub fn body_of(line: &str, mode: Mode) -> Result<imap_proto::CommandBody, String> {
    let mut wire = b"X ".to_vec();
    wire.extend(proto_core::testing::unescape(line)?);
    wire.extend_from_slice(b"\r\n");
    let wire = Bytes::from(wire);
    match parse_command(&wire, ParseOptions::strict(mode)) {
        Ok(Parsed::Complete { value, .. }) => Ok(value.body),
        other => Err(format!("cannot read command {line:?}: {other:?}")),
    }
}

impl Scripted for ClientScript {
    type Machine = Client;

    fn machine(&mut self) -> &mut Client {
        &mut self.client
    }

    fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
        if let Some(rest) = action.strip_prefix("refused ") {
            return match self.act(rest, _now) {
                Ok(()) => Err(format!("{rest:?} was not refused")),
                Err(_) => Ok(()),
            };
        }
        let (verb, rest) = action.split_once(' ').unwrap_or((action, ""));
        let c = &mut self.client;
        let words: Vec<&str> = rest.split(' ').collect();
        let result = match verb {
            "send" => c.send(body_of(rest, c.mode())?).map(drop),
            "login" => c.login(words[0], words[1]).map(drop),
            "authenticate" => c
                .authenticate(
                    Credentials::password(words[0], words[1]),
                    sasl_proto::ClientConfig::default(),
                )
                .map(drop),
            // A fixed client nonce, for the RFC examples' SCRAM exchanges.
            "authenticate-nonce" => c
                .authenticate(
                    Credentials::password(words[0], words[1]),
                    sasl_proto::ClientConfig::default()
                        .with_nonce_source(sasl_proto::FixedNonce(words[2].to_owned())),
                )
                .map(drop),
            "idle" => c.idle().map(drop),
            "done" => c.idle_done(),
            "append-stream" => c
                .append_stream(
                    Mailbox::new(words[0]).unwrap(),
                    Vec::new(),
                    None,
                    words[1].parse().unwrap(),
                )
                .map(drop),
            "write" => {
                let data = proto_core::testing::unescape(rest)?;
                let n = c.write_append(&data).map_err(|e| e.to_string())?;
                if n != data.len() {
                    return Err(format!("took {n} of {} octets", data.len()));
                }
                Ok(())
            }
            "logout" => c.logout().map(drop),
            _ => return Err(format!("unknown action {action:?}")),
        };
        result.map_err(|e| e.to_string())
    }

    fn describe(&mut self, event: ClientEvent) -> Described {
        match event {
            ClientEvent::BodyChunk { data, .. } => Described::Chunk(data.to_vec()),
            other => Described::Line(describe(other)),
        }
    }
}

fn text(b: &Bytes) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn data_name(d: &Data) -> String {
    let debug = format!("{d:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn describe(event: ClientEvent) -> String {
    match event {
        ClientEvent::Greeting(s) => format!("greeting {:?} {}", s.condition, text(&s.text)),
        ClientEvent::Ready(caps) => format!(
            "ready {}",
            caps.0
                .iter()
                .map(|c| c.to_wire())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        ClientEvent::TlsEstablished => "tls".to_owned(),
        ClientEvent::Capabilities(caps) => format!(
            "capabilities {}",
            caps.0
                .iter()
                .map(|c| c.to_wire())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        ClientEvent::Completed(c) => {
            let data: Vec<String> = c.data.iter().map(data_name).collect();
            format!(
                "completed {} {} {:?} {} [{}]",
                c.id,
                c.command,
                c.status,
                text(&c.text),
                data.join(",")
            )
        }
        ClientEvent::Idling { id } => format!("idling {id}"),
        ClientEvent::BodyWritable { id } => format!("writable {id}"),
        ClientEvent::FetchBodyStart { id, seq, item } => {
            let size = match item {
                Some(
                    FetchItem::BodySection { data, .. }
                    | FetchItem::Binary { data, .. }
                    | FetchItem::Rfc822(data),
                ) => format!("{data:?}"),
                other => format!("{other:?}"),
            };
            format!(
                "body-start {} {seq} {size}",
                id.map(|i| i.to_string()).unwrap_or_default()
            )
        }
        ClientEvent::BodyChunk { data, .. } => format!("chunk {}", text(&data)),
        ClientEvent::BodyEnd { id } => {
            format!("body-end {}", id.map(|i| i.to_string()).unwrap_or_default())
        }
        ClientEvent::Exists(n) => format!("exists {n}"),
        ClientEvent::Recent(n) => format!("recent {n}"),
        ClientEvent::Expunged(n) => format!("expunged {n}"),
        ClientEvent::Vanished { earlier, uids } => format!("vanished {earlier} {uids}"),
        ClientEvent::Fetch { seq, items } => format!("fetch {seq} {items:?}"),
        ClientEvent::Alert(t) => format!("alert {}", text(&t)),
        ClientEvent::Status(s) => format!("status {:?} {}", s.condition, text(&s.text)),
        ClientEvent::Data(d) => format!("data {}", data_name(&d)),
        ClientEvent::Unparsed { line, .. } => format!("unparsed {}", text(&line)),
        ClientEvent::Bye(s) => format!("bye {}", text(&s.text)),
        ClientEvent::Closed => "closed".to_owned(),
        other => format!("{other:?}"),
    }
}

/// A client driven by hand, for checks the transcript runner cannot make (what was sent
/// exactly when, errors that depend on how input was cut).
pub struct Harness {
    pub client: Client,
    pub now: Instant,
}

impl Harness {
    /// A client that has read `greeting` (and, with capabilities in it, is ready).
    pub fn new(config: ClientConfig, greeting: &str) -> Self {
        let now = Instant::now();
        let mut h = Self {
            client: Client::new(config, now),
            now,
        };
        h.feed(greeting);
        h.events();
        h
    }

    /// Hands the client `text` in one piece.
    pub fn feed(&mut self, text: &str) {
        use proto_core::Machine;
        self.client.receive(text.as_bytes(), self.now);
    }

    /// What the client wrote since the last call.
    pub fn out(&mut self) -> String {
        use proto_core::Machine;
        let out = String::from_utf8_lossy(self.client.transmit()).into_owned();
        let n = out.len();
        self.client.advance_transmit(n);
        out
    }

    /// Every event (and fatal error) now, rendered.
    pub fn events(&mut self) -> Vec<String> {
        use proto_core::Machine;
        let mut out = Vec::new();
        while let Some(e) = self.client.poll_event() {
            out.push(match e {
                Ok(ClientEvent::BodyChunk { data, .. }) => format!("chunk {}", text(&data)),
                Ok(event) => describe(event),
                Err(error) => format!("error: {error}"),
            });
        }
        out
    }

    /// The transport actions asked for, by name.
    pub fn transport(&mut self) -> Vec<String> {
        use proto_core::Machine;
        let mut out = Vec::new();
        while let Some(a) = self.client.poll_transport() {
            out.push(format!("{a:?}"));
        }
        out
    }

    /// Sends the command written in `line`.
    pub fn send(&mut self, line: &str) -> Result<proto_core::CommandId, imap_proto::UsageError> {
        let body = body_of(line, self.client.mode()).unwrap();
        self.client.send(body)
    }
}
