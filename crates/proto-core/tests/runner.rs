//! The transcript runner and the pump, tested on a toy echo machine built from proto-core's
//! own pieces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::testing::{Described, Link, Scripted, Sender, Side, Split, Transcript, pump};
use proto_core::{
    BareLineEnding, Decision, Decisions, DotUnstuffer, InputBuffer, LineError, LineFramer, Machine,
    OutputBuffer, Timer, TlsInfo, TransportAction, Unstuffed,
};

#[derive(Debug, PartialEq)]
enum EchoEvent {
    Line(Bytes),
    Ask(String, Decision),
    Body(Bytes),
    BodyEnd,
    Eof,
}

/// A toy server: echoes lines, reads a dot-stuffed body after DATA, asks the application about
/// ASK lines, upgrades on STARTTLS, closes on QUIT or after 10 s idle.
struct Echo {
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    body: Option<DotUnstuffer>,
    decisions: Decisions<String>,
    transport: Option<TransportAction>,
    idle: Timer,
    closed: bool,
}

impl Echo {
    fn new(now: Instant) -> Self {
        let mut idle = Timer::new(Duration::from_secs(10));
        idle.start(now);
        let mut output = OutputBuffer::new();
        output.push(b"+OK echo ready\r\n");
        Self {
            input: InputBuffer::new(64),
            output,
            framer: LineFramer::new(20, BareLineEnding::Reject),
            body: None,
            decisions: Decisions::new(),
            transport: None,
            idle,
            closed: false,
        }
    }

    fn answer(&mut self, decision: Decision, yes: bool) {
        let question = self.decisions.close(decision).expect("open decision");
        let reply = if yes {
            format!("+OK {question}\r\n")
        } else {
            format!("-ERR {question}\r\n")
        };
        self.output.push(reply.as_bytes());
    }

    fn line(&mut self, line: Bytes) -> Option<EchoEvent> {
        match &line[..] {
            b"DATA" => {
                self.output.push(b"+OK send it\r\n");
                self.body = Some(DotUnstuffer::new(BareLineEnding::Reject));
                None
            }
            b"STARTTLS" => {
                self.output.push(b"+OK go\r\n");
                self.transport = Some(TransportAction::StartTls);
                None
            }
            b"QUIT" => {
                self.output.push(b"+OK bye\r\n");
                self.transport = Some(TransportAction::Close);
                self.closed = true;
                None
            }
            _ if line.starts_with(b"ASK ") => {
                let question = String::from_utf8_lossy(&line[4..]).into_owned();
                let token = self.decisions.open(question.clone());
                Some(EchoEvent::Ask(question, token))
            }
            _ => {
                self.output.push(b"echo: ");
                self.output.push(&line);
                self.output.push(b"\r\n");
                Some(EchoEvent::Line(line))
            }
        }
    }
}

impl Machine for Echo {
    type Event = EchoEvent;
    type Error = LineError;

    fn receive(&mut self, data: &[u8], _now: Instant) {
        self.input.extend(data);
    }
    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }
    fn commit_input(&mut self, n: usize, _now: Instant) {
        self.input.commit(n);
    }
    fn receive_eof(&mut self, _now: Instant) {
        self.closed = true;
    }
    fn wants_input(&self) -> bool {
        !self.closed && self.input.has_room() && self.decisions.is_empty()
    }
    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }
    fn poll_event(&mut self) -> Option<Result<EchoEvent, LineError>> {
        if self.closed && self.input.is_empty() {
            return None;
        }
        if self.transport.is_some() || !self.decisions.is_empty() {
            return None;
        }
        if let Some(unstuffer) = &mut self.body {
            return match unstuffer.poll(self.input.data())? {
                Ok(Unstuffed::Data(chunk)) => Some(Ok(EchoEvent::Body(chunk))),
                Ok(Unstuffed::End) => {
                    self.body = None;
                    self.output.push(b"+OK body\r\n");
                    Some(Ok(EchoEvent::BodyEnd))
                }
                Err(_) => None,
            };
        }
        loop {
            match self.framer.poll_line(self.input.data())? {
                Ok(line) => {
                    if let Some(event) = self.line(line) {
                        return Some(Ok(event));
                    }
                    if self.transport.is_some() || self.body.is_some() {
                        return self.poll_event();
                    }
                }
                Err(error) => {
                    self.output.push(b"-ERR line\r\n");
                    return Some(Err(error));
                }
            }
        }
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.take()
    }
    fn tls_established(&mut self, _info: TlsInfo) {
        self.output.push(b"+OK tls\r\n");
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.idle.deadline()
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.idle.expire(now) {
            self.output.push(b"-ERR timeout\r\n");
            self.transport = Some(TransportAction::Close);
        }
    }
}

struct EchoScript {
    echo: Echo,
    pending: Vec<Decision>,
}

impl Scripted for EchoScript {
    type Machine = Echo;
    fn machine(&mut self) -> &mut Echo {
        &mut self.echo
    }
    fn act(&mut self, action: &str, _now: Instant) -> Result<(), String> {
        let decision = self.pending.pop().ok_or("no decision open")?;
        match action {
            "accept" => self.echo.answer(decision, true),
            "reject" => self.echo.answer(decision, false),
            other => return Err(format!("unknown action {other}")),
        }
        Ok(())
    }
    fn describe(&mut self, event: EchoEvent) -> Described {
        match event {
            EchoEvent::Line(line) => {
                Described::Line(format!("line {}", String::from_utf8_lossy(&line)))
            }
            EchoEvent::Ask(q, token) => {
                self.pending.push(token);
                Described::Line(format!("ask {q}"))
            }
            EchoEvent::Body(chunk) => Described::Chunk(chunk.to_vec()),
            EchoEvent::BodyEnd => Described::Line("body end".into()),
            EchoEvent::Eof => Described::Line("eof".into()),
        }
    }
}

fn script() -> EchoScript {
    EchoScript {
        echo: Echo::new(Instant::now()),
        pending: Vec::new(),
    }
}

const SESSION: &str = r"
S: +OK echo ready
C: hello
S: echo: hello
E: line hello
# A body arrives in chunks; the runner merges them.
C: DATA
S: +OK send it
C: ..leading dot
C: second line
C: .
E: chunk .leading dot\r\nsecond line\r\n
E: body end
S: +OK body
C: ASK may I
E: ask may I
A: accept
S: +OK may I
C: STARTTLS
S: +OK go
X: starttls
S: +OK tls
C: this line is far too long
E: error: line longer than 20 octets (27 octets seen)
S: -ERR line
T: +10s
S: -ERR timeout
X: close
";

#[test]
fn a_whole_session_passes_at_every_split() {
    let transcript = Transcript::parse(SESSION, Side::Server).unwrap();
    transcript.run(50, script).unwrap();
}

#[test]
fn a_wrong_expectation_fails_with_its_line() {
    let wrong = SESSION.replace("S: echo: hello", "S: echo: goodbye");
    let transcript = Transcript::parse(&wrong, Side::Server).unwrap();
    let failure = transcript
        .run_split(Split::Whole, &mut script())
        .unwrap_err();
    assert_eq!(failure.line, 4);
    assert!(failure.message.contains("echo: goodbye"), "{failure}");
}

#[test]
fn a_missing_event_and_unexpected_output_fail() {
    let missing = "S: +OK echo ready\nC: hello\nS: echo: hello\n";
    let failure = Transcript::parse(missing, Side::Server)
        .unwrap()
        .run(0, script)
        .unwrap_err();
    assert!(
        failure.message.contains("events not in the transcript"),
        "{failure}"
    );
    let extra = "S: +OK echo ready\nC: hello\nE: line hello\n";
    let failure = Transcript::parse(extra, Side::Server)
        .unwrap()
        .run(0, script)
        .unwrap_err();
    assert!(failure.message.contains("sent more"), "{failure}");
    let wrong_chunk = "S: +OK echo ready\nC: DATA\nS: +OK send it\nC: x\nC: .\nE: chunk y\\r\\n\nE: body end\nS: +OK body\n";
    assert!(
        Transcript::parse(wrong_chunk, Side::Server)
            .unwrap()
            .run(0, script)
            .is_err()
    );
}

#[test]
fn transcript_syntax_errors_name_the_line() {
    let error = Transcript::parse("S: ok\nQ: what\n", Side::Client).unwrap_err();
    assert_eq!(error.line, 2);
    assert!(Transcript::parse("T: 5 parsecs\n", Side::Client).is_err());
    assert!(Transcript::parse("C: bad \\q escape\n", Side::Client).is_err());
}

/// A toy client: sends the lines it is given, reports each line it receives.
struct Say {
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    quit: bool,
    eof: bool,
    tls: bool,
}

impl Say {
    fn new() -> Self {
        Self {
            input: InputBuffer::new(1024),
            output: OutputBuffer::new(),
            framer: LineFramer::new(100, BareLineEnding::Accept),
            quit: false,
            eof: false,
            tls: false,
        }
    }
    fn say(&mut self, line: &str) {
        self.output.push(line.as_bytes());
        self.output.push(b"\r\n");
    }
}

impl Machine for Say {
    type Event = EchoEvent;
    type Error = LineError;
    fn receive(&mut self, data: &[u8], _now: Instant) {
        self.input.extend(data);
    }
    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }
    fn commit_input(&mut self, n: usize, _now: Instant) {
        self.input.commit(n);
    }
    fn receive_eof(&mut self, _now: Instant) {
        self.eof = true;
    }
    fn wants_input(&self) -> bool {
        !self.eof
    }
    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }
    fn poll_event(&mut self) -> Option<Result<EchoEvent, LineError>> {
        if let Some(line) = self.framer.poll_line(self.input.data()) {
            return Some(line.map(EchoEvent::Line));
        }
        if self.eof && !self.quit {
            self.quit = true;
            return Some(Ok(EchoEvent::Eof));
        }
        None
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        None
    }
    fn tls_established(&mut self, _info: TlsInfo) {
        self.tls = true;
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _now: Instant) {}
}

#[test]
fn pump_pairs_two_machines_until_quiet() {
    let mut client = Say::new();
    let mut server = Echo::new(Instant::now());
    client.say("hi");
    let pumped = pump(&mut client, &mut server);
    let lines: Vec<_> = pumped
        .client_events
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        lines,
        vec![
            EchoEvent::Line(Bytes::from_static(b"+OK echo ready")),
            EchoEvent::Line(Bytes::from_static(b"echo: hi"))
        ]
    );
    assert_eq!(pumped.server_events.len(), 1);

    let mut link = Link::new();
    client.say("STARTTLS");
    client.say("QUIT");
    let pumped = link.pump(&mut client, &mut server);
    assert_eq!(
        pumped.transport,
        vec![
            (Sender::Server, TransportAction::StartTls),
            (Sender::Server, TransportAction::Close)
        ]
    );
    assert!(link.server_closed());
    assert_eq!(
        link.sent_by(Sender::Server),
        b"+OK go\r\n+OK tls\r\n+OK bye\r\n"
    );
    let events: Vec<_> = pumped
        .client_events
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        events.last(),
        Some(&EchoEvent::Eof),
        "the client saw the server close"
    );
}
