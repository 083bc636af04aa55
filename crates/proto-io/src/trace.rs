//! The trace tap: what crossed the socket, line by line, with credentials redacted and message
//! bodies summarised.
//!
//! Every driver feeds the bytes it writes and reads to a [`Trace`]. The tap cuts them into
//! lines, hides what must not reach a log (passwords, SASL exchanges, APOP digests, IMAP LOGIN
//! passwords) and folds message bodies (SMTP DATA and BDAT, POP3 RETR and TOP, IMAP literals)
//! into one summary line, then hands each [`TraceLine`] to a [`TraceSink`]: `tracing` by
//! default, or a collector that a program can print (the walkthrough does). How it follows
//! pipelined and hostile conversations without being fooled is in `trace/redact.rs`.

mod raw;
mod redact;

use std::sync::{Arc, Mutex};

use redact::Redactor;
#[cfg(test)]
use redact::SHOW_MAX;

/// Which way a line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Written by this side.
    Sent,
    /// Read from the peer.
    Received,
}

/// One line of the trace, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    /// The connection's label (for example "alice -> mx.example.org:25").
    pub label: Arc<str>,
    /// Which way it went.
    pub direction: Direction,
    /// The line without its line end, redacted, or a summary in brackets.
    pub text: String,
}

/// Where trace lines go.
pub trait TraceSink: Send + Sync {
    /// Takes one line.
    fn line(&self, line: TraceLine);
}

/// Sends each line to `tracing` at DEBUG level, target `proto_io::wire`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl TraceSink for TracingSink {
    fn line(&self, line: TraceLine) {
        let arrow = match line.direction {
            Direction::Sent => ">>",
            Direction::Received => "<<",
        };
        tracing::debug!(target: "proto_io::wire", "{} {} {}", line.label, arrow, line.text);
    }
}

/// Keeps every line in memory, for programs and tests that show or inspect the trace.
#[derive(Debug, Default, Clone)]
pub struct Collector {
    lines: Arc<Mutex<Vec<TraceLine>>>,
}

impl Collector {
    /// An empty collector; clones share the same lines.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<TraceLine> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Takes the lines so far, leaving the collector empty.
    pub fn take(&self) -> Vec<TraceLine> {
        self.lines
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

impl TraceSink for Collector {
    fn line(&self, line: TraceLine) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line);
        }
    }
}

/// The most the tap buffers of one unfinished line, and of client bytes held after DATA.
const LINE_MAX: usize = 64 * 1024;

/// Which side of the protocol the tapped connection plays: the redactor must know whose
/// lines carry the credentials and which side sends bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// This end is the client (sends commands).
    Client,
    /// This end is the server (sends replies).
    Server,
}

/// The tap of one connection.
pub struct Trace {
    label: Arc<str>,
    sink: Arc<dyn TraceSink>,
    side: Side,
    sent: Partial,
    received: Partial,
    /// Client bytes sent after DATA, before its reply: a body or commands, as the reply says.
    held: Partial,
    redactor: Redactor,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// An unfinished line of one direction.
#[derive(Default)]
struct Partial {
    bytes: Vec<u8>,
    /// Octets dropped because the line passed `LINE_MAX`.
    dropped: usize,
    /// The last octet pushed (kept or dropped) was a CR.
    last_cr: bool,
}

impl Trace {
    /// A tap of a client connection labelled `label` that sends its lines to `sink`.
    pub fn new(label: impl Into<Arc<str>>, sink: Arc<dyn TraceSink>) -> Self {
        Self::with_side(label, sink, Side::Client)
    }

    /// A tap of a server connection: what it receives are the client's commands.
    pub fn server(label: impl Into<Arc<str>>, sink: Arc<dyn TraceSink>) -> Self {
        Self::with_side(label, sink, Side::Server)
    }

    fn with_side(label: impl Into<Arc<str>>, sink: Arc<dyn TraceSink>, side: Side) -> Self {
        Self {
            label: label.into(),
            sink,
            side,
            sent: Partial::default(),
            received: Partial::default(),
            held: Partial::default(),
            redactor: Redactor::new(side == Side::Client),
        }
    }

    /// A tap of a client connection that sends its lines to `tracing`.
    pub fn tracing(label: impl Into<Arc<str>>) -> Self {
        Self::new(label, Arc::new(TracingSink))
    }

    /// The side this tap's connection plays.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Records bytes written to the peer.
    pub fn sent(&mut self, bytes: &[u8]) {
        self.feed(Direction::Sent, bytes);
    }

    /// Records bytes read from the peer.
    pub fn received(&mut self, bytes: &[u8]) {
        self.feed(Direction::Received, bytes);
    }

    /// Records an event of the transport (TLS established, compression on, closed).
    pub fn note(&mut self, text: impl Into<String>) {
        self.emit(Direction::Received, format!("[{}]", text.into()));
    }

    fn feed(&mut self, direction: Direction, mut bytes: &[u8]) {
        // What the redactor reasons about is who spoke: the client or the server.
        let from_client = (direction == Direction::Sent) == (self.side == Side::Client);
        let speaker = if from_client {
            Direction::Sent
        } else {
            Direction::Received
        };
        while !bytes.is_empty() {
            // Raw octets a line announced (a BDAT chunk, an IMAP literal) are no lines.
            let raw_left = self.redactor.raw_left(speaker);
            if raw_left > 0 {
                let n = bytes.len().min(raw_left);
                // `n` is at most the length: the split always succeeds; were it not to, the
                // rest is passed over (the trace is a record, never the data path).
                let Some((_, after)) = bytes.split_at_checked(n) else {
                    break;
                };
                bytes = after;
                if let Some(summary) = self.redactor.raw(speaker, n) {
                    self.emit(direction, summary);
                }
                continue;
            }
            // After DATA, nothing the client says means anything until the server answers.
            if from_client && self.redactor.holding {
                push_bounded(&mut self.held, bytes);
                return;
            }
            let partial = match direction {
                Direction::Sent => &mut self.sent,
                Direction::Received => &mut self.received,
            };
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    let (head, tail) = bytes.split_at(i + 1);
                    // The LF is not content: keep it out of the bound and the count. A CR
                    // before it is kept until the whole line is there, to tell CRLF apart.
                    push_bounded(partial, head.strip_suffix(b"\n").unwrap_or(head));
                    bytes = tail;
                    let crlf = std::mem::take(&mut partial.last_cr);
                    let mut line = std::mem::take(&mut partial.bytes);
                    let mut dropped = std::mem::take(&mut partial.dropped);
                    if crlf {
                        match dropped {
                            0 => _ = line.pop(),
                            _ => dropped -= 1,
                        }
                    }
                    if let Some(text) = self.redactor.line(speaker, &line, crlf, dropped) {
                        self.emit(direction, text);
                    }
                    if self.redactor.take_released() {
                        self.release_held();
                    }
                }
                None => {
                    push_bounded(partial, bytes);
                    bytes = &[];
                }
            }
        }
    }

    /// Feeds again the client bytes held while DATA awaited its reply.
    fn release_held(&mut self) {
        let held = std::mem::take(&mut self.held);
        let client = match self.side {
            Side::Client => Direction::Sent,
            Side::Server => Direction::Received,
        };
        self.feed(client, &held.bytes);
        if held.dropped > 0 {
            // The line the bound cut is broken: it is not shown.
            match client {
                Direction::Sent => self.sent = Partial::default(),
                Direction::Received => self.received = Partial::default(),
            }
            let text = format!("[{} more octets after DATA, not shown]", held.dropped);
            self.emit(client, text);
        }
    }

    fn emit(&self, direction: Direction, text: String) {
        self.sink.line(TraceLine {
            label: self.label.clone(),
            direction,
            text,
        });
    }
}

fn push_bounded(partial: &mut Partial, bytes: &[u8]) {
    if let Some(&last) = bytes.last() {
        partial.last_cr = last == b'\r';
    }
    let room = LINE_MAX.saturating_sub(partial.bytes.len());
    partial.bytes.extend(bytes.iter().take(room));
    partial.dropped += bytes.len().saturating_sub(room);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exchange: &[(Direction, &str)]) -> Vec<String> {
        let collector = Collector::new();
        let mut trace = Trace::new("t", Arc::new(collector.clone()));
        for (direction, bytes) in exchange {
            match direction {
                Direction::Sent => trace.sent(bytes.as_bytes()),
                Direction::Received => trace.received(bytes.as_bytes()),
            }
        }
        collector.lines().into_iter().map(|l| l.text).collect()
    }

    use Direction::{Received as S, Sent as C};

    #[test]
    fn smtp_auth_and_body_are_hidden() {
        let lines = run(&[
            (C, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
            (S, "235 2.7.0 ok\r\n"),
            (C, "AUTH LOGIN\r\n"),
            (S, "334 VXNlcm5hbWU6\r\n"),
            (C, "YWxpY2U=\r\n"),
            (S, "334 UGFzc3dvcmQ6\r\n"),
            (C, "c2VjcmV0\r\n"),
            (S, "235 ok\r\n"),
            (C, "DATA\r\n"),
            (S, "354 go\r\n"),
            (C, "Subject: hi\r\n\r\nsecret body\r\n.\r\n"),
            (S, "250 queued\r\n"),
            (C, "NOOP\r\n"),
        ]);
        assert_eq!(
            lines,
            vec![
                "AUTH PLAIN ***",
                "235 2.7.0 ok",
                "AUTH LOGIN",
                "334 VXNlcm5hbWU6",
                "***",
                "334 UGFzc3dvcmQ6",
                "***",
                "235 ok",
                "DATA",
                "354 go",
                "[message body: 3 lines, 28 octets]\n.",
                "250 queued",
                "NOOP",
            ]
        );
        assert!(!lines.concat().contains("c2VjcmV0"));
    }

    #[test]
    fn pop3_and_imap_secrets_are_hidden() {
        let lines = run(&[
            (S, "+OK ready\r\n"),
            (C, "USER bob\r\nPASS hunter2 with spaces\r\n"),
            (S, "+OK\r\n-ERR [AUTH] no\r\n"),
            (C, "APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"),
            (S, "+OK\r\n"),
            (C, "RETR 1\r\n"),
            (S, "+OK 20 octets\r\nline one\r\n..two\r\n.\r\n"),
        ]);
        assert_eq!(
            lines,
            vec![
                "+OK ready",
                "USER bob",
                "PASS ***",
                "+OK",
                "-ERR [AUTH] no",
                "APOP bob ***",
                "+OK",
                "RETR 1",
                "+OK 20 octets",
                "[message body: 2 lines, 17 octets]\n.",
            ]
        );
        let lines = run(&[
            (S, "* OK IMAP4rev2 ready\r\n"),
            (C, "a1 LOGIN bob hunter2\r\n"),
            (S, "a1 NO bad\r\n"),
            (C, "a2 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy\r\n"),
            (S, "a2 OK\r\n"),
        ]);
        assert_eq!(
            lines,
            vec![
                "* OK IMAP4rev2 ready",
                "a1 LOGIN bob ***",
                "a1 NO bad",
                "a2 AUTHENTICATE PLAIN ***",
                "a2 OK",
            ]
        );
    }

    #[test]
    fn bdat_chunks_are_counted_not_shown_and_lines_may_split() {
        let lines = run(&[(C, "BDAT 5 LAST\r\nab"), (C, "cdeQU"), (C, "IT\r\n")]);
        assert_eq!(lines, vec!["BDAT 5 LAST", "[BDAT chunk: 5 octets]", "QUIT"]);
    }

    #[test]
    fn a_server_side_tap_hides_the_same_secrets() {
        let collector = Collector::new();
        let mut trace = Trace::server("s", Arc::new(collector.clone()));
        trace.sent(b"+OK ready\r\n");
        trace.received(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        trace.sent(b"235 ok\r\n");
        trace.received(b"RETR 1\r\n");
        trace.sent(b"+OK\r\nsecret body\r\n.\r\n");
        let lines: Vec<String> = collector.lines().into_iter().map(|l| l.text).collect();
        assert_eq!(
            lines,
            vec![
                "+OK ready",
                "AUTH PLAIN ***",
                "235 ok",
                "RETR 1",
                "+OK",
                "[message body: 1 lines, 13 octets]\n."
            ]
        );
        assert_eq!(collector.lines()[1].direction, Direction::Received);
    }

    #[test]
    fn long_lines_are_cut_and_bounded() {
        let long = "x".repeat(LINE_MAX + 10) + "\r\n";
        let lines = run(&[(S, long.as_str())]);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].len() < SHOW_MAX + 40);
        assert!(lines[0].ends_with(&format!("[... {} more octets]", LINE_MAX + 10 - SHOW_MAX)));
    }
}
