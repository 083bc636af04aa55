//! What the tap shows of each line: credentials hidden, bodies folded into one summary.
//!
//! The redactor follows the conversation as the two machines do, so that a peer cannot make
//! the log say something that did not happen:
//!
//! - Every command the client sends waits in a queue for its reply, so a body is recognised
//!   however commands were pipelined: the +OK that answers the second of two pipelined RETRs
//!   starts a body just as the first did. The greeting is the first reply awaited.
//! - After DATA, the client's bytes are held until the server has answered it: a 354 makes
//!   them a body, any other reply makes them commands again. A server-side tap sees a
//!   pipelined body before the server has said whether it takes one.
//! - A body ends where the machine reading it ends it. A server reads DATA to CRLF "." CRLF
//!   only, so a "." line after a bare LF stays inside the body; pop3-proto's client also
//!   takes a "." line after a bare LF (from servers that get line ends wrong), so a
//!   client-side tap does the same for bodies it receives.
//! - LMTP answers the end of data once per accepted recipient; those replies are counted.
//! - In IMAP (a greeting of "* OK", "* PREAUTH" or "* BYE"), a literal announced at the end of
//!   a line, in either direction, is counted and summarised; the line after it continues the
//!   same command or response.

use std::collections::VecDeque;

use super::Direction;
use super::raw::Raw;

/// The most runs of commands awaiting replies that the tap tracks (a run is one command, or
/// commands of no note in a row). A queue this long means a peer pipelines far past any real
/// client; past it replies could no longer be matched, so the client's lines are no longer
/// shown, only counted: a lost tap must hide, never forge.
const PENDING_MAX: usize = 4096;

/// What the reply to a command starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The server's greeting.
    Greeting,
    /// Nothing of note.
    Other,
    /// A new transaction (MAIL, RSET, HELO, EHLO, LHLO): no recipients accepted yet.
    Transaction,
    /// RCPT: a 2xx reply is one more LMTP reply after the data.
    Rcpt,
    /// SMTP DATA: 354 starts the client's body.
    Data,
    /// The end of a body: this many replies (LMTP: one per accepted recipient).
    DataEnd(usize),
    /// POP3 RETR or TOP: +OK starts the server's body.
    Message,
    /// POP3 CAPA, LIST or UIDL without argument: +OK starts lines shown up to ".".
    Listing,
    /// AUTH, AUTHENTICATE: continuations until the final reply.
    Auth,
}

/// A body being folded into a summary.
#[derive(Debug)]
struct Body {
    /// Who sends it (client lines are `Sent`, server lines `Received`).
    from: Direction,
    /// A "." line ends it after a bare LF too (see the module comment).
    lenient: bool,
    /// The line before ended with CRLF (the command or reply before the body did).
    after_crlf: bool,
    lines: usize,
    octets: usize,
}

/// What the redactor knows of the conversation so far. It speaks of client lines as
/// `Sent` and server lines as `Received`, whichever end the tap is on.
#[derive(Debug)]
pub(super) struct Redactor {
    /// This tap is on the client: bodies the server sends end as pop3-proto's client ends them.
    client_side: bool,
    /// A SASL exchange is under way: client lines are secrets until the server's final reply.
    in_auth: bool,
    /// Commands sent and not yet answered, oldest first.
    pending: Pending,
    /// Too many commands were pipelined to follow: client lines are counted, not shown.
    lost: bool,
    /// Client lines not shown since the tap was lost.
    lost_lines: usize,
    /// Recipients accepted in the current transaction (LMTP replies after the data).
    accepted_rcpts: usize,
    /// The session is LMTP (LHLO was sent).
    lmtp: bool,
    /// DATA was sent and not yet answered: the client's bytes are held.
    pub(super) holding: bool,
    /// The reply to DATA came: the held bytes are to be fed again.
    released: bool,
    body: Option<Body>,
    /// A POP3 multi-line listing is being shown, up to its ".".
    listing: bool,
    /// Raw octets the client announced (a BDAT chunk, an IMAP literal).
    client_raw: Option<Raw>,
    /// Raw octets the server announced (an IMAP literal).
    server_raw: Option<Raw>,
    /// The greeting was IMAP's: lines may end in literals.
    imap: bool,
    /// The next line of the client, or of the server, continues one that ended in a literal.
    client_continues: bool,
    server_continues: bool,
}

impl Redactor {
    pub(super) fn new(client_side: bool) -> Self {
        Self {
            client_side,
            in_auth: false,
            pending: Pending::new(Expect::Greeting),
            lost: false,
            lost_lines: 0,
            accepted_rcpts: 0,
            lmtp: false,
            holding: false,
            released: false,
            body: None,
            listing: false,
            client_raw: None,
            server_raw: None,
            imap: false,
            client_continues: false,
            server_continues: false,
        }
    }

    /// True once: the reply to DATA came and the held client bytes are to be fed again.
    pub(super) fn take_released(&mut self) -> bool {
        std::mem::take(&mut self.released)
    }

    /// Raw octets `speaker` still owes (a BDAT chunk, an IMAP literal).
    pub(super) fn raw_left(&self, speaker: Direction) -> usize {
        let raw = match speaker {
            Direction::Sent => &self.client_raw,
            Direction::Received => &self.server_raw,
        };
        raw.as_ref().map_or(0, |r| r.left)
    }

    /// Counts `n` raw octets of `speaker`; the summary once the run is complete.
    pub(super) fn raw(&mut self, speaker: Direction, n: usize) -> Option<String> {
        let raw = match speaker {
            Direction::Sent => &mut self.client_raw,
            Direction::Received => &mut self.server_raw,
        };
        let summary = raw.as_mut()?.count(n);
        if summary.is_some() {
            *raw = None;
        }
        summary
    }

    /// The text to show for a line, or `None` while it is folded into a body summary. `line`
    /// is the content without its line end; `crlf` tells whether that end was CRLF (not a
    /// bare LF); `dropped` counts octets cut from an overlong line.
    pub(super) fn line(
        &mut self,
        direction: Direction,
        line: &[u8],
        crlf: bool,
        dropped: usize,
    ) -> Option<String> {
        if let Some(body) = self.body.as_mut().filter(|b| b.from == direction) {
            let ends = line == b"." && (body.lenient || (crlf && body.after_crlf));
            if ends {
                let summary = format!(
                    "[message body: {} lines, {} octets]\n.",
                    body.lines, body.octets
                );
                self.body = None;
                if direction == Direction::Sent {
                    let replies = if self.lmtp { self.accepted_rcpts } else { 1 };
                    self.expect(Expect::DataEnd(replies));
                }
                return Some(summary);
            }
            body.lines += 1;
            body.octets += line.len() + if crlf { 2 } else { 1 } + dropped;
            body.after_crlf = crlf;
            return None;
        }
        if self.lost && direction == Direction::Sent {
            self.lost_lines += 1;
            return (self.lost_lines == 1).then(|| {
                "[too many commands pipelined to follow: the client's lines are no longer shown]"
                    .to_owned()
            });
        }
        let text = String::from_utf8_lossy(line);
        let continues = match direction {
            Direction::Sent => std::mem::take(&mut self.client_continues),
            Direction::Received => std::mem::take(&mut self.server_continues),
        };
        let literal = self
            .imap
            .then(|| Raw::literal(line, direction == Direction::Sent))
            .flatten();
        if literal.is_some() {
            match direction {
                Direction::Sent => self.client_continues = true,
                Direction::Received => self.server_continues = true,
            }
        }
        let shown = match direction {
            // The rest of a command or response after a literal: no new command or reply. A
            // client's may hold a password (LOGIN {3} then "bob hunter2"): only the size of a
            // further literal is shown.
            Direction::Sent if continues => match &literal {
                Some(raw) => format!("*** {{{}}}", raw.left),
                None if text.is_empty() => String::new(),
                None => "***".to_owned(),
            },
            Direction::Received if continues => text.into_owned(),
            Direction::Sent => self.client_line(&text),
            Direction::Received if self.listing => {
                self.listing = text != ".";
                text.into_owned()
            }
            Direction::Received => self.server_line(&text),
        };
        if let Some(raw) = literal {
            match direction {
                Direction::Sent => self.client_raw = Some(raw),
                Direction::Received => self.server_raw = Some(raw),
            }
        }
        Some(shorten(visible(&shown), dropped))
    }

    fn expect(&mut self, expect: Expect) {
        if !self.pending.push(expect) {
            self.lost = true;
        }
    }

    fn client_line(&mut self, text: &str) -> String {
        // The client never speaks first: a client-side tap that sees it do so was attached
        // after the greeting.
        if self.client_side && self.pending.front() == Some(Expect::Greeting) {
            self.pending.pop();
        }
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
        let (expect, shown) = match verb.as_str() {
            // POP3 (RFC 1734) lists the mechanisms for AUTH alone.
            "AUTH" if words.len() == 1 => (Expect::Listing, text.into()),
            "AUTH" => {
                self.in_auth = true;
                (Expect::Auth, keep_words(&words, 2))
            }
            "PASS" => (Expect::Other, "PASS ***".into()),
            "APOP" => (Expect::Other, keep_words(&words, 2)),
            "DATA" => {
                self.holding = true;
                (Expect::Data, text.into())
            }
            "BDAT" => {
                let size = words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                self.client_raw = (size > 0).then(|| Raw::bdat(size));
                (Expect::Other, text.into())
            }
            "RCPT" => (Expect::Rcpt, text.into()),
            "LHLO" => {
                self.lmtp = true;
                (Expect::Transaction, text.into())
            }
            "MAIL" | "RSET" | "HELO" | "EHLO" => (Expect::Transaction, text.into()),
            "RETR" | "TOP" => (Expect::Message, text.into()),
            "CAPA" => (Expect::Listing, text.into()),
            "LIST" | "UIDL" if words.len() == 1 => (Expect::Listing, text.into()),
            _ => match upper(1).as_str() {
                // IMAP: tag AUTHENTICATE mechanism [initial-response]; tag LOGIN user password.
                "AUTHENTICATE" => {
                    self.in_auth = true;
                    (Expect::Auth, keep_words(&words, 3))
                }
                "LOGIN" => (Expect::Other, keep_words(&words, 3)),
                _ => (Expect::Other, text.into()),
            },
        };
        self.expect(expect);
        shown
    }

    fn server_line(&mut self, text: &str) -> String {
        if self.pending.front() == Some(Expect::Greeting) {
            // Any greeting line ends the greeting but an SMTP continuation.
            if !is_continued(text) {
                self.pending.pop();
                self.imap = ["* OK", "* PREAUTH", "* BYE"]
                    .iter()
                    .any(|g| text.starts_with(g));
            }
            return text.into();
        }
        if text.starts_with('+') && !text.starts_with("+OK") {
            // IMAP's go-ahead for a synchronizing literal (or a SASL challenge).
            if let Some(raw) = self.client_raw.as_mut() {
                raw.awaiting_go_ahead = false;
            }
        }
        if !self.is_final(text) {
            return text.into();
        }
        // A synchronizing literal the server refused never comes.
        if self
            .client_raw
            .as_ref()
            .is_some_and(|r| r.awaiting_go_ahead)
        {
            self.client_raw = None;
            self.client_continues = false;
        }
        self.in_auth = false;
        let positive = text.starts_with("+OK") || text.starts_with('2');
        match self.pending.pop() {
            Some(Expect::Data) => self.answered_data(text),
            // A 354 answers DATA only, whatever the queue says.
            _ if text.starts_with("354") && self.holding => {
                self.pending.remove_first(Expect::Data);
                self.answered_data(text);
            }
            Some(Expect::Message) if text.starts_with("+OK") => {
                self.body = Some(Body {
                    from: Direction::Received,
                    lenient: self.client_side,
                    after_crlf: true,
                    lines: 0,
                    octets: 0,
                });
            }
            Some(Expect::Listing) if text.starts_with("+OK") => self.listing = true,
            Some(Expect::Transaction) => self.accepted_rcpts = 0,
            Some(Expect::Rcpt) if positive => self.accepted_rcpts += 1,
            Some(Expect::DataEnd(replies)) if replies > 1 => {
                self.pending.push_front(Expect::DataEnd(replies - 1));
            }
            Some(Expect::DataEnd(_)) => self.accepted_rcpts = 0,
            _ => {}
        }
        text.into()
    }

    /// The reply to DATA came: a body follows on 354; either way the held bytes go on.
    fn answered_data(&mut self, text: &str) {
        self.holding = false;
        self.released = true;
        if text.starts_with("354") {
            self.body = Some(Body {
                from: Direction::Sent,
                lenient: false,
                after_crlf: true,
                lines: 0,
                octets: 0,
            });
        }
    }

    /// True for the last line of a reply: not an SMTP continuation, a SASL challenge (SMTP
    /// 334 in an exchange, "+" in POP3 and IMAP) or an IMAP untagged line.
    fn is_final(&self, text: &str) -> bool {
        let digits = text
            .as_bytes()
            .get(..3)
            .is_some_and(|c| c.iter().all(u8::is_ascii_digit));
        if digits {
            let challenge = self.in_auth && text.starts_with("334");
            return !is_continued(text) && !challenge;
        }
        if text.starts_with("+OK") || text.starts_with("-ERR") {
            return true;
        }
        if text.starts_with('+') || text.starts_with("* ") {
            return false;
        }
        // IMAP: tag SP (OK / NO / BAD).
        text.split(' ').nth(1).is_some_and(|w| {
            ["OK", "NO", "BAD"]
                .iter()
                .any(|s| w.eq_ignore_ascii_case(s))
        })
    }
}

/// An SMTP reply line that more lines follow ("250-").
fn is_continued(text: &str) -> bool {
    text.as_bytes().get(3) == Some(&b'-')
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

/// Control characters shown as escapes, so that a peer's CR or ESC cannot rewrite a log line
/// on a terminal.
fn visible(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return text.into();
    }
    text.chars()
        .map(|c| match c {
            '\t' => c.to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The longest line the tap shows whole; longer ones are cut with a note.
pub(super) const SHOW_MAX: usize = 200;

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

/// Commands awaiting replies, oldest first: runs of the same kind of no note kept as counts,
/// so that a flood of NOOPs takes one entry.
#[derive(Debug)]
struct Pending {
    runs: VecDeque<(Expect, usize)>,
}

impl Pending {
    fn new(first: Expect) -> Self {
        Self {
            runs: VecDeque::from([(first, 1)]),
        }
    }

    /// Adds a command at the back; false if the queue is full.
    fn push(&mut self, expect: Expect) -> bool {
        if let Some((kind, n)) = self.runs.back_mut()
            && *kind == expect
            && matches!(expect, Expect::Other | Expect::Rcpt | Expect::Message)
        {
            *n += 1;
            return true;
        }
        if self.runs.len() >= PENDING_MAX {
            return false;
        }
        self.runs.push_back((expect, 1));
        true
    }

    /// Puts a command back at the front.
    fn push_front(&mut self, expect: Expect) {
        self.runs.push_front((expect, 1));
    }

    fn front(&self) -> Option<Expect> {
        self.runs.front().map(|(kind, _)| *kind)
    }

    /// Takes the oldest command.
    fn pop(&mut self) -> Option<Expect> {
        let (kind, n) = self.runs.front_mut()?;
        let kind = *kind;
        *n -= 1;
        if *n == 0 {
            self.runs.pop_front();
        }
        Some(kind)
    }

    /// Takes the oldest command of kind `expect`, wherever it is.
    fn remove_first(&mut self, expect: Expect) {
        if let Some(i) = self.runs.iter().position(|(kind, _)| *kind == expect)
            && let Some((_, n)) = self.runs.get_mut(i)
        {
            *n -= 1;
            if *n == 0 {
                self.runs.remove(i);
            }
        }
    }
}
