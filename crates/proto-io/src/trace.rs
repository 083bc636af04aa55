//! The trace tap: what crossed the socket, line by line, with credentials redacted and message
//! bodies summarised.
//!
//! Every driver feeds the bytes it writes and reads to a [`Trace`]. The tap cuts them into
//! lines, hides what must not reach a log (passwords, SASL exchanges, APOP digests, IMAP LOGIN
//! passwords) and folds message bodies (SMTP DATA and BDAT, POP3 RETR and TOP) into one summary
//! line, then hands each [`TraceLine`] to a [`TraceSink`]: `tracing` by default, or a
//! collector that a program can print (the walkthrough does).

use std::sync::{Arc, Mutex};

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

/// The longest line the tap shows whole; longer ones are cut with a note.
const SHOW_MAX: usize = 200;
/// The most the tap buffers of one unfinished line.
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
            redactor: Redactor::default(),
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
            // Raw octets a BDAT command announced are no lines: count them.
            if from_client && self.redactor.raw_left > 0 {
                let n = bytes.len().min(self.redactor.raw_left);
                self.redactor.raw_left -= n;
                self.redactor.body_octets += n;
                bytes = bytes.get(n..).unwrap_or_default();
                if self.redactor.raw_left == 0 {
                    let summary = self.redactor.end_raw();
                    self.emit(direction, summary);
                }
                continue;
            }
            let partial = match direction {
                Direction::Sent => &mut self.sent,
                Direction::Received => &mut self.received,
            };
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    let (head, tail) = bytes.split_at(i + 1);
                    // The line end is not content: keep it out of the bound and the count.
                    let content = head.strip_suffix(b"\n").unwrap_or(head);
                    push_bounded(partial, content.strip_suffix(b"\r").unwrap_or(content));
                    bytes = tail;
                    let mut line = std::mem::take(&mut partial.bytes);
                    let dropped = std::mem::take(&mut partial.dropped);
                    while matches!(line.last(), Some(b'\n' | b'\r')) {
                        line.pop();
                    }
                    if let Some(text) = self.redactor.line(speaker, &line, dropped) {
                        self.emit(direction, text);
                    }
                }
                None => {
                    push_bounded(partial, bytes);
                    bytes = &[];
                }
            }
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
    let room = LINE_MAX.saturating_sub(partial.bytes.len());
    let take = bytes.len().min(room);
    partial
        .bytes
        .extend_from_slice(bytes.get(..take).unwrap_or_default());
    partial.dropped += bytes.len() - take;
}

/// What the redactor knows of the conversation so far. It speaks of client lines as
/// `Sent` and server lines as `Received`, whichever end the tap is on.
#[derive(Debug, Default)]
struct Redactor {
    /// A SASL exchange is under way: client lines are secrets until the server's final reply.
    in_auth: bool,
    /// The client sent DATA; a 354 reply starts the body.
    data_asked: bool,
    /// The client sent RETR or TOP; a +OK reply starts the body.
    retr_asked: bool,
    /// Lines of a body are being counted (client side for DATA, server side for RETR).
    body: Option<Direction>,
    body_lines: usize,
    body_octets: usize,
    /// Octets of a BDAT chunk still to come.
    raw_left: usize,
}

impl Redactor {
    /// The text to show for a line, or `None` while it is folded into a body summary.
    fn line(&mut self, direction: Direction, line: &[u8], dropped: usize) -> Option<String> {
        if self.body == Some(direction) {
            if line == b"." {
                self.body = None;
                let summary = format!(
                    "[message body: {} lines, {} octets]",
                    self.body_lines, self.body_octets
                );
                self.body_lines = 0;
                self.body_octets = 0;
                return Some(format!("{summary}\n."));
            }
            self.body_lines += 1;
            self.body_octets += line.len() + 2 + dropped;
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let shown = match direction {
            Direction::Sent => self.client_line(&text),
            Direction::Received => self.server_line(&text),
        };
        Some(shorten(shown, dropped))
    }

    fn client_line(&mut self, text: &str) -> String {
        if self.in_auth {
            // A cancel ("*") is no secret; anything else in an exchange is.
            return if text == "*" {
                text.into()
            } else {
                "***".into()
            };
        }
        let words: Vec<&str> = text.split(' ').collect();
        let upper = |i: usize| {
            words
                .get(i)
                .map(|w| w.to_ascii_uppercase())
                .unwrap_or_default()
        };
        let verb = upper(0);
        match verb.as_str() {
            "AUTH" => {
                self.in_auth = true;
                keep_words(&words, 2)
            }
            "PASS" => "PASS ***".into(),
            "APOP" => keep_words(&words, 2),
            "DATA" => {
                self.data_asked = true;
                text.into()
            }
            "BDAT" => {
                self.raw_left = words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                text.into()
            }
            "RETR" | "TOP" => {
                self.retr_asked = true;
                text.into()
            }
            _ => match upper(1).as_str() {
                // IMAP: tag AUTHENTICATE mechanism [initial-response]; tag LOGIN user password.
                "AUTHENTICATE" => {
                    self.in_auth = true;
                    keep_words(&words, 3)
                }
                "LOGIN" => keep_words(&words, 3),
                _ => text.into(),
            },
        }
    }

    fn server_line(&mut self, text: &str) -> String {
        if self.in_auth {
            let continues =
                text.starts_with("334") || text.starts_with('+') && !text.starts_with("+OK");
            if !continues {
                self.in_auth = false;
            }
        }
        if self.data_asked {
            self.data_asked = false;
            if text.starts_with("354") {
                self.body = Some(Direction::Sent);
            }
        }
        if self.retr_asked {
            self.retr_asked = false;
            if text.starts_with("+OK") {
                self.body = Some(Direction::Received);
            }
        }
        text.into()
    }

    fn end_raw(&mut self) -> String {
        let octets = std::mem::take(&mut self.body_octets);
        format!("[BDAT chunk: {octets} octets]")
    }
}

/// The first `keep` words, then "***" if there were more.
fn keep_words(words: &[&str], keep: usize) -> String {
    let mut out = words
        .iter()
        .take(keep)
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if words.len() > keep {
        out.push_str(" ***");
    }
    out
}

fn shorten(mut text: String, dropped: usize) -> String {
    if text.len() > SHOW_MAX {
        let mut cut = SHOW_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let rest = text.len() - cut + dropped;
        text.truncate(cut);
        text.push_str(&format!(" [... {rest} more octets]"));
    } else if dropped > 0 {
        text.push_str(&format!(" [... {dropped} more octets]"));
    }
    text
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
            (C, "USER bob\r\nPASS hunter2 with spaces\r\n"),
            (S, "+OK\r\n"),
            (C, "APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"),
            (C, "a1 LOGIN bob hunter2\r\n"),
            (C, "a2 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy\r\n"),
            (S, "a2 OK\r\n"),
            (C, "RETR 1\r\n"),
            (S, "+OK 20 octets\r\nline one\r\n..two\r\n.\r\n"),
        ]);
        assert_eq!(
            lines,
            vec![
                "USER bob",
                "PASS ***",
                "+OK",
                "APOP bob ***",
                "a1 LOGIN bob ***",
                "a2 AUTHENTICATE PLAIN ***",
                "a2 OK",
                "RETR 1",
                "+OK 20 octets",
                "[message body: 2 lines, 17 octets]\n.",
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
        trace.received(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        trace.sent(b"235 ok\r\n");
        trace.received(b"RETR 1\r\n");
        trace.sent(b"+OK\r\nsecret body\r\n.\r\n");
        let lines: Vec<String> = collector.lines().into_iter().map(|l| l.text).collect();
        assert_eq!(
            lines,
            vec![
                "AUTH PLAIN ***",
                "235 ok",
                "RETR 1",
                "+OK",
                "[message body: 1 lines, 13 octets]\n."
            ]
        );
        assert_eq!(collector.lines()[0].direction, Direction::Received);
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
