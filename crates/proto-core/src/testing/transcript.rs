//! Transcripts: a conversation written down, run against one machine.
//!
//! ```text
//! # A comment. Blank lines are ignored.
//! S: 220 mx.example.org ESMTP          a line the server sends (CRLF added)
//! C: EHLO client.example               a line the client sends (CRLF added)
//! C+ DATA\r\n                          bytes exactly as written, no CRLF added
//! E: ehlo client.example               the next event of the machine, as `Scripted::describe` renders it
//! A: accept                            an action: `Scripted::act` performs it
//! X: starttls                          the next transport action (starttls, compress, close)
//! T: +300s                             time passes (ms, s or m); the machine's timer is run
//! EOF                                  the peer closes its side
//! ```
//!
//! Which lines are input depends on the [`Side`] the machine plays: for a server, `C:` lines are
//! fed to it and `S:` lines are what it must send; for a client, the other way round. The
//! runner feeds each block of consecutive input lines whole, byte by byte, or at random
//! splits, and compares the output, events and transport actions as streams, so a correct
//! machine passes in every mode. Adjacent body chunk events are merged before comparison.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use super::escape::{escape, unescape};
use super::pump::fake_tls_info;
use crate::machine::{Machine, TransportAction};

/// The side the machine under test plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The machine is the client: `S:` lines are its input.
    Client,
    /// The machine is the server: `C:` lines are its input.
    Server,
}

/// How input blocks are cut into `receive` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each block in one call.
    Whole,
    /// One byte per call.
    Bytewise,
    /// Pieces of random sizes from this seed.
    Random(u64),
}

/// How a test adapter renders an event for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Described {
    /// Compared with an `E:` line as text.
    Line(String),
    /// Body bytes: merged with adjacent chunks, compared as `chunk <escaped bytes>`.
    Chunk(Vec<u8>),
}

/// A test's adapter around the machine under test: it performs `A:` actions and renders events
/// (keeping any decision token it needs for a later action).
pub trait Scripted {
    /// The machine under test.
    type Machine: Machine;

    /// The machine.
    fn machine(&mut self) -> &mut Self::Machine;

    /// Performs the action of an `A:` line at time `now`.
    fn act(&mut self, action: &str, now: Instant) -> Result<(), String>;

    /// Renders an event.
    fn describe(&mut self, event: <Self::Machine as Machine>::Event) -> Described;
}

/// The text of a transcript could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transcript line {line}: {message}")]
pub struct TranscriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A run did not go as the transcript says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFailure {
    /// The split mode of the failing run.
    pub split: Split,
    /// The transcript line where it failed (0 for the end).
    pub line: usize,
    /// What was expected and what happened.
    pub message: String,
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} run, transcript line {}: {}",
            self.split, self.line, self.message
        )
    }
}

impl std::error::Error for RunFailure {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Bytes the peer sends.
    Peer(Vec<u8>),
    /// Bytes the machine must send.
    Expect(Vec<u8>),
    Event(String),
    Action(String),
    Transport(String),
    Advance(Duration),
    Eof,
}

/// A parsed transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    side: Side,
    steps: Vec<(usize, Step)>,
}

impl Transcript {
    /// Reads a transcript for a machine playing `side`.
    pub fn parse(text: &str, side: Side) -> Result<Self, TranscriptError> {
        let mut steps = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let error = |message: String| TranscriptError { line, message };
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed.trim_end() == "EOF" {
                steps.push((line, Step::Eof));
                continue;
            }
            let (tag, rest) =
                split_tag(trimmed).ok_or_else(|| error(format!("no tag in {raw:?}")))?;
            let step = match tag {
                "C:" | "S:" | "C+" | "S+" => {
                    let mut bytes = unescape(rest).map_err(error)?;
                    if tag.ends_with(':') {
                        bytes.extend_from_slice(b"\r\n");
                    }
                    let from_client = tag.starts_with('C');
                    if from_client == (side == Side::Server) {
                        Step::Peer(bytes)
                    } else {
                        Step::Expect(bytes)
                    }
                }
                "E:" => Step::Event(rest.trim_end().to_owned()),
                "A:" => Step::Action(rest.trim_end().to_owned()),
                "X:" => Step::Transport(rest.trim().to_ascii_lowercase()),
                "T:" => Step::Advance(parse_duration(rest.trim()).map_err(error)?),
                other => return Err(error(format!("unknown tag {other:?}"))),
            };
            steps.push((line, step));
        }
        Ok(Self { side, steps })
    }

    /// The side the machine plays.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Runs the transcript whole, byte by byte, and at `random_splits` random splits, each time
    /// on a fresh adapter from `make`.
    pub fn run<S: Scripted>(
        &self,
        random_splits: u64,
        mut make: impl FnMut() -> S,
    ) -> Result<(), RunFailure> {
        let modes = [Split::Whole, Split::Bytewise]
            .into_iter()
            .chain((1..=random_splits).map(Split::Random));
        for split in modes {
            self.run_split(split, &mut make())?;
        }
        Ok(())
    }

    /// Runs the transcript once, cutting input as `split` says.
    pub fn run_split<S: Scripted>(&self, split: Split, scripted: &mut S) -> Result<(), RunFailure> {
        Run::new(split, scripted).run(&self.steps)
    }
}

fn split_tag(line: &str) -> Option<(&str, &str)> {
    let tag = line.get(..2)?;
    let rest = line.get(2..)?;
    // One space after the tag is part of the notation, not of the content.
    Some((tag, rest.strip_prefix(' ').unwrap_or(rest)))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| text.split_at(i))
        .ok_or_else(|| format!("duration without a unit: {text:?}"))?;
    let n: u64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("unknown duration unit {unit:?}")),
    }
}

/// The state of one run.
struct Run<'a, S: Scripted> {
    split: Split,
    scripted: &'a mut S,
    now: Instant,
    rng: u64,
    /// Bytes the machine sent and the transcript has not matched yet.
    out: Vec<u8>,
    events: VecDeque<Described>,
    transports: VecDeque<String>,
}

impl<'a, S: Scripted> Run<'a, S> {
    fn new(split: Split, scripted: &'a mut S) -> Self {
        let seed = match split {
            Split::Random(seed) => seed,
            _ => 1,
        };
        Self {
            split,
            scripted,
            now: Instant::now(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            out: Vec::new(),
            events: VecDeque::new(),
            transports: VecDeque::new(),
        }
    }

    fn fail(&self, line: usize, message: String) -> RunFailure {
        RunFailure {
            split: self.split,
            line,
            message,
        }
    }

    fn run(mut self, steps: &[(usize, Step)]) -> Result<(), RunFailure> {
        let mut i = 0;
        while let Some((line, step)) = steps.get(i) {
            let line = *line;
            i += 1;
            match step {
                Step::Peer(first) => {
                    let mut block = first.clone();
                    while let Some((_, Step::Peer(more))) = steps.get(i) {
                        block.extend_from_slice(more);
                        i += 1;
                    }
                    self.feed(&block);
                }
                Step::Expect(expected) => {
                    self.drain();
                    if !self.out.starts_with(expected) {
                        return Err(self.fail(
                            line,
                            format!(
                                "expected the machine to send {:?}\n  it sent {:?}",
                                escape(expected),
                                escape(&self.out)
                            ),
                        ));
                    }
                    self.out.drain(..expected.len());
                }
                Step::Event(expected) => {
                    self.drain();
                    let got = self.events.pop_front().map(render);
                    if got.as_deref() != Some(expected.as_str()) {
                        let rest: Vec<String> = self.events.iter().cloned().map(render).collect();
                        return Err(self.fail(
                            line,
                            format!("expected event {expected:?}\n  got {got:?}, then {rest:?}"),
                        ));
                    }
                }
                Step::Action(action) => {
                    self.drain();
                    let now = self.now;
                    self.scripted
                        .act(action, now)
                        .map_err(|e| self.fail(line, format!("action {action:?} failed: {e}")))?;
                    self.drain();
                }
                Step::Transport(expected) => {
                    self.drain();
                    let got = self.transports.pop_front();
                    if got.as_deref() != Some(expected.as_str()) {
                        return Err(self.fail(
                            line,
                            format!("expected transport {expected:?}, got {got:?}"),
                        ));
                    }
                }
                Step::Advance(duration) => {
                    self.drain();
                    // Time passes only once what the machine did was matched: what a timeout
                    // causes must come after the `T:` line that fires it.
                    if !self.out.is_empty() {
                        return Err(self.fail(
                            line,
                            format!("the machine sent {:?} before this", escape(&self.out)),
                        ));
                    }
                    if let Some(event) = self.events.front() {
                        let event = render(event.clone());
                        return Err(self.fail(line, format!("event {event:?} before this")));
                    }
                    self.now += *duration;
                    let machine = self.scripted.machine();
                    if machine.poll_timeout().is_some_and(|t| t <= self.now) {
                        machine.handle_timeout(self.now);
                    }
                    self.drain();
                }
                Step::Eof => {
                    self.scripted.machine().receive_eof(self.now);
                    self.drain();
                }
            }
        }
        self.drain();
        if !self.out.is_empty() {
            return Err(self.fail(0, format!("the machine sent more: {:?}", escape(&self.out))));
        }
        if !self.events.is_empty() {
            let rest: Vec<String> = self.events.iter().cloned().map(render).collect();
            return Err(self.fail(0, format!("events not in the transcript: {rest:?}")));
        }
        if !self.transports.is_empty() {
            return Err(self.fail(
                0,
                format!(
                    "transport actions not in the transcript: {:?}",
                    self.transports
                ),
            ));
        }
        Ok(())
    }

    fn feed(&mut self, block: &[u8]) {
        let mut rest = block;
        while !rest.is_empty() {
            let n = match self.split {
                Split::Whole => rest.len(),
                Split::Bytewise => 1,
                Split::Random(_) => {
                    // xorshift64: sizes from 1 to 16, sometimes the whole rest.
                    self.rng ^= self.rng << 13;
                    self.rng ^= self.rng >> 7;
                    self.rng ^= self.rng << 17;
                    let size = (self.rng % 20) as usize;
                    if size >= 16 { rest.len() } else { size + 1 }
                }
            };
            let (piece, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            self.scripted.machine().receive(piece, self.now);
            self.drain();
        }
    }

    /// Collects everything the machine has to say now, as a driver would.
    fn drain(&mut self) {
        let mut fired = None;
        loop {
            let mut progress = false;
            let machine = self.scripted.machine();
            let pending = machine.transmit().to_vec();
            if !pending.is_empty() {
                machine.advance_transmit(pending.len());
                self.out.extend_from_slice(&pending);
                progress = true;
            }
            while let Some(result) = self.scripted.machine().poll_event() {
                progress = true;
                let described = match result {
                    Ok(event) => self.scripted.describe(event),
                    Err(error) => Described::Line(format!("error: {error}")),
                };
                self.push_event(described);
            }
            if let Some(action) = self.scripted.machine().poll_transport() {
                progress = true;
                // Everything written before the action crossed the old transport.
                let machine = self.scripted.machine();
                let pending = machine.transmit().to_vec();
                machine.advance_transmit(pending.len());
                self.out.extend_from_slice(&pending);
                self.transports.push_back(transport_name(action));
                if action == TransportAction::StartTls {
                    self.scripted.machine().tls_established(fake_tls_info());
                }
            }
            // A driver calls handle_timeout whenever the machine's deadline has come, also
            // when the machine asks at once (a client that must learn when it began to wait).
            // (Once per deadline: a machine that keeps a past deadline must not spin the run.)
            let machine = self.scripted.machine();
            let due = machine.poll_timeout().filter(|t| *t <= self.now);
            if due.is_some() && due != fired {
                fired = due;
                machine.handle_timeout(self.now);
                progress = true;
            }
            if !progress {
                break;
            }
        }
    }

    fn push_event(&mut self, event: Described) {
        if let (Described::Chunk(new), Some(Described::Chunk(last))) =
            (&event, self.events.back_mut())
        {
            last.extend_from_slice(new);
            return;
        }
        self.events.push_back(event);
    }
}

fn render(event: Described) -> String {
    match event {
        Described::Line(line) => line,
        Described::Chunk(bytes) => format!("chunk {}", escape(&bytes)),
    }
}

fn transport_name(action: TransportAction) -> String {
    match action {
        TransportAction::StartTls => "starttls".into(),
        TransportAction::Compress(_) => "compress".into(),
        TransportAction::Close => "close".into(),
    }
}
