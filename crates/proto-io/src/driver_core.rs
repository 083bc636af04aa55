//! The one driver loop of proto-io, without I/O: [`DriverCore`] says what to do next for a
//! [`Machine`] and takes the results; the blocking [`Driver`](crate::Driver) and the async
//! [`AsyncDriver`](crate::AsyncDriver) only carry the steps out on their sockets.
//!
//! The order is the one of [`Machine`]'s documented loop, so that nothing waits on a read with
//! output unsent:
//!
//! 1. a transport action the machine asked for is taken as soon as it is known; from then on
//!    no event is handed out and nothing is read until the bytes before it are written and
//!    it is carried out ([`Step::Act`]), so that nothing queued after a STARTTLS go-ahead
//!    crosses the old transport and no byte of the TLS handshake is read as plaintext;
//! 2. events, one at a time ([`Step::Event`]): parsing queues output (a client's next
//!    command, a server's reply), which is why events come before any read;
//! 3. timers: a deadline that is not in the future is handled at once
//!    ([`Machine::handle_timeout`]), never slept on;
//! 4. bytes out ([`Step::Write`]), then a flush of what the transport holds (TLS, DEFLATE);
//!    a full-duplex driver also reads while it waits, as long as the machine wants input and
//!    the output waiting stays under [`MAX_OUTPUT_BACKLOG`];
//! 5. bytes in ([`Step::Read`]), only when nothing is left to hand out, act on or write, only
//!    while the machine wants them, and only until its next deadline.
//!
//! Every write has a deadline: the machine's own (a server's idle limit), and the driver's
//! write timeout, counted from the last time a write made progress. A write that makes no
//! progress by then means the peer is not reading: the core closes and reports
//! [`DriveError::WriteTimedOut`].
//!
//! A half-duplex driver of one's own over a `TcpStream` (no TLS) is a loop over the steps:
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Instant;
//!
//! use proto_core::{Machine, TransportAction};
//! use proto_io::{DriveError, DriverCore, Step};
//!
//! fn run<M: Machine>(
//!     core: &mut DriverCore<M>,
//!     socket: &mut TcpStream,
//!     mut handle: impl FnMut(&mut M, M::Event),
//! ) -> Result<(), DriveError<M::Error>> {
//!     // The socket timeout until a deadline; `None` once it has passed.
//!     let left = |deadline: Option<Instant>| match deadline {
//!         Some(d) => d.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()).map(Some),
//!         None => Some(None),
//!     };
//!     loop {
//!         match core.poll(Instant::now())? {
//!             Step::Event(event) => handle(core.machine(), event),
//!             Step::Write { deadline, .. } => {
//!                 let Some(timeout) = left(deadline) else {
//!                     core.timed_out(Instant::now())?;
//!                     continue;
//!                 };
//!                 socket.set_write_timeout(timeout).map_err(DriveError::Io)?;
//!                 let pending = core.machine_ref().transmit();
//!                 if pending.is_empty() {
//!                     core.flushed(); // a plain socket holds nothing back
//!                     continue;
//!                 }
//!                 match socket.write(pending) {
//!                     Ok(n) => core.wrote(n, Instant::now())?,
//!                     Err(e) => core.write_failed(e, Instant::now())?,
//!                 }
//!             }
//!             Step::Read { deadline } => {
//!                 let Some(timeout) = left(deadline) else {
//!                     core.timed_out(Instant::now())?;
//!                     continue;
//!                 };
//!                 socket.set_read_timeout(timeout).map_err(DriveError::Io)?;
//!                 match socket.read(core.machine().input_buffer()) {
//!                     Ok(n) => core.received(n, Instant::now()),
//!                     Err(e) => core.read_failed(e, Instant::now())?,
//!                 }
//!             }
//!             Step::Act(TransportAction::Close) => {
//!                 let _ = socket.shutdown(std::net::Shutdown::Write);
//!             }
//!             Step::Act(_) => return Err(DriveError::Unsupported("TLS or compression")),
//!             Step::Done => return Ok(()),
//!             _ => return Err(DriveError::Unsupported("a newer step")),
//!         }
//!     }
//! }
//! ```

use std::io;
use std::time::{Duration, Instant};

use proto_core::timer::earliest;
use proto_core::{Machine, TlsInfo, TransportAction};

use crate::error::DriveError;

/// How long a write may make no progress, by default: as long as RFC 5321 4.5.3.2.7 lets a
/// server wait for a client's next command.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(300);

/// How much output may wait before a full-duplex driver stops reading while it writes: a peer
/// that sends commands and never reads their replies must not grow the output without bound.
pub const MAX_OUTPUT_BACKLOG: usize = 256 * 1024;

/// What a driver must do next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Step<E> {
    /// Hand this event to the application.
    Event(E),
    /// Write [`Machine::transmit`], or, when it is empty, flush what the transport still
    /// holds; then report with [`DriverCore::wrote`] or [`DriverCore::flushed`]. A full-duplex
    /// driver also reads (as for [`Step::Read`]) while it waits, when `read` is true; a
    /// half-duplex one only writes.
    Write {
        /// When to give up: report [`DriverCore::timed_out`].
        deadline: Option<Instant>,
        /// Whether reading while the write waits is allowed.
        read: bool,
    },
    /// Read into [`Machine::input_buffer`] and report with [`DriverCore::received`] (0 for
    /// the end of the stream), or [`DriverCore::timed_out`] once `deadline` passes.
    Read {
        /// The machine's next deadline.
        deadline: Option<Instant>,
    },
    /// Carry out this transport action now: every byte before it was written and flushed.
    /// After [`TransportAction::StartTls`], call [`DriverCore::tls_established`].
    Act(TransportAction),
    /// The connection is over and every event was handed out.
    Done,
}

/// The sans-IO driver loop around a machine.
pub struct DriverCore<M: Machine> {
    machine: M,
    /// A transport action taken from the machine, carried out once the output is written.
    action: Option<TransportAction>,
    /// An event taken from the machine, handed out once no transport action is pending.
    event: Option<Result<M::Event, M::Error>>,
    /// Bytes were written since the last flush.
    unflushed: bool,
    /// Input arrived while a write waited for the peer: events go before the rest of it.
    read_while_writing: bool,
    /// The connection was closed by us (a `Close` action or a write timeout).
    closed: bool,
    /// The peer ended its side.
    eof: bool,
    /// The last deadline handed to `handle_timeout`, so that a machine that keeps it is not
    /// woken in a loop.
    handled: Option<Instant>,
    write_timeout: Option<Duration>,
    /// Since when the current output has waited without progress.
    write_since: Option<Instant>,
    /// The machine's deadline given with the last write step.
    write_step_deadline: Option<Instant>,
}

impl<M: Machine + std::fmt::Debug> std::fmt::Debug for DriverCore<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverCore")
            .field("machine", &self.machine)
            .field("action", &self.action)
            .field("event_held", &self.event.is_some())
            .field("unflushed", &self.unflushed)
            .field("closed", &self.closed)
            .field("eof", &self.eof)
            .field("write_timeout", &self.write_timeout)
            .finish_non_exhaustive()
    }
}

impl<M: Machine> DriverCore<M> {
    /// A core around `machine`, with [`DEFAULT_WRITE_TIMEOUT`].
    pub fn new(machine: M) -> Self {
        Self {
            machine,
            action: None,
            event: None,
            unflushed: false,
            read_while_writing: false,
            closed: false,
            eof: false,
            handled: None,
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            write_since: None,
            write_step_deadline: None,
        }
    }

    /// Sets how long a write may make no progress (`None`: only the machine's deadline).
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// The machine.
    pub fn machine(&mut self) -> &mut M {
        &mut self.machine
    }

    /// The machine, to look at.
    pub fn machine_ref(&self) -> &M {
        &self.machine
    }

    /// Gives back the machine.
    pub fn into_machine(self) -> M {
        self.machine
    }

    /// True once the connection was closed by either side.
    pub fn is_closed(&self) -> bool {
        self.closed || self.eof
    }

    /// True while bytes are waiting to be written or flushed.
    pub fn is_writing(&self) -> bool {
        self.unflushed || !self.machine.transmit().is_empty()
    }

    /// What to do next, at `now`.
    pub fn poll(&mut self, now: Instant) -> Result<Step<M::Event>, DriveError<M::Error>> {
        loop {
            if self.closed {
                // Nothing more crosses the socket; the events already made are still handed out.
                return match self.event.take().or_else(|| self.machine.poll_event()) {
                    Some(event) => event.map(Step::Event).map_err(DriveError::Protocol),
                    None => Ok(Step::Done),
                };
            }
            if self.action.is_none() {
                self.action = self.machine.poll_transport();
            }
            // What the machine already decided to send goes out before the next event is
            // handed to the application, which may take its time over it (a password to
            // hash): a reply must not wait behind the next command's judgement. Only a write
            // that the peer holds up while its input arrives lets events (and so parsing) go
            // first, so that both directions move.
            let write_first = self.is_writing() && !self.read_while_writing;
            if self.action.is_none() && !write_first {
                if let Some(event) = self.event.take() {
                    return event.map(Step::Event).map_err(DriveError::Protocol);
                }
                if let Some(event) = self.machine.poll_event() {
                    // Look for a transport action it asked for before handing it out.
                    self.event = Some(event);
                    continue;
                }
                // Parsing may ask for an action without making an event.
                self.action = self.machine.poll_transport();
            }
            let deadline = self.machine_deadline(now);
            if let Some(deadline) = deadline.filter(|d| *d <= now) {
                if !self.machine.transmit().is_empty() && self.write_step_deadline == Some(deadline)
                {
                    // It passed while a write waited: even if a little went, the peer did not
                    // take our output in time.
                    return Err(self.write_timed_out());
                }
                self.handled = Some(deadline);
                self.machine.handle_timeout(now);
                continue;
            }
            if self.is_writing() {
                let since = *self.write_since.get_or_insert(now);
                let write_deadline = self.write_timeout.and_then(|t| since.checked_add(t));
                if write_deadline.is_some_and(|d| d <= now) {
                    return Err(self.write_timed_out());
                }
                let read = self.action.is_none()
                    && !self.eof
                    && self.machine.wants_input()
                    && self.machine.transmit().len() < MAX_OUTPUT_BACKLOG;
                self.write_step_deadline = deadline;
                return Ok(Step::Write {
                    deadline: earliest([deadline, write_deadline]),
                    read,
                });
            }
            self.write_since = None;
            self.write_step_deadline = None;
            if let Some(action) = self.action.take() {
                if action == TransportAction::Close {
                    self.closed = true;
                }
                return Ok(Step::Act(action));
            }
            if self.eof {
                return Ok(Step::Done);
            }
            if !self.machine.wants_input() {
                return Err(DriveError::Stalled);
            }
            return Ok(Step::Read { deadline });
        }
    }

    /// The machine's deadline, unless it is one already handled and past (a machine that did
    /// not move it would otherwise be woken in a loop).
    fn machine_deadline(&self, now: Instant) -> Option<Instant> {
        self.machine
            .poll_timeout()
            .filter(|d| !(*d <= now && self.handled == Some(*d)))
    }

    /// The deadline for writing what the machine holds outside [`poll`](Self::poll) (an
    /// explicit flush): the earlier of the machine's and the write timeout's.
    pub fn write_deadline(
        &mut self,
        now: Instant,
    ) -> Result<Option<Instant>, DriveError<M::Error>> {
        let since = *self.write_since.get_or_insert(now);
        let write_deadline = self.write_timeout.and_then(|t| since.checked_add(t));
        if write_deadline.is_some_and(|d| d <= now) {
            return Err(self.write_timed_out());
        }
        let machine = self.machine_deadline(now).filter(|d| *d > now);
        self.write_step_deadline = machine;
        Ok(earliest([machine, write_deadline]))
    }

    /// `n` bytes of [`Machine::transmit`] were written at `now`.
    pub fn wrote(&mut self, n: usize, now: Instant) -> Result<(), DriveError<M::Error>> {
        if n == 0 {
            return Err(DriveError::Io(io::ErrorKind::WriteZero.into()));
        }
        self.machine.advance_transmit(n);
        self.unflushed = true;
        self.write_since = Some(now);
        self.read_while_writing = false;
        Ok(())
    }

    /// The transport flushed what it held.
    pub fn flushed(&mut self) {
        self.unflushed = false;
    }

    /// A write or flush failed with `error` at `now`.
    pub fn write_failed(
        &mut self,
        error: io::Error,
        now: Instant,
    ) -> Result<(), DriveError<M::Error>> {
        match error.kind() {
            io::ErrorKind::Interrupted => Ok(()),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => self.timed_out(now),
            _ => Err(DriveError::Io(error)),
        }
    }

    /// `n` bytes were read into [`Machine::input_buffer`] at `now`; 0 is the end of the stream.
    pub fn received(&mut self, n: usize, now: Instant) {
        if self.is_writing() {
            self.read_while_writing = true;
        }
        self.machine.commit_input(n, now);
        if n == 0 {
            self.machine.receive_eof(now);
            self.eof = true;
        }
    }

    /// A read failed with `error` at `now`. A reset, or a TLS peer that left without
    /// close_notify, is an end of the stream like any other.
    pub fn read_failed(
        &mut self,
        error: io::Error,
        now: Instant,
    ) -> Result<(), DriveError<M::Error>> {
        match error.kind() {
            io::ErrorKind::Interrupted => {
                self.machine.commit_input(0, now);
                Ok(())
            }
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                self.machine.commit_input(0, now);
                self.timed_out(now)
            }
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
                self.received(0, now);
                Ok(())
            }
            _ => {
                self.machine.commit_input(0, now);
                Err(DriveError::Io(error))
            }
        }
    }

    /// The deadline of the last step passed at `now`. If output waited for it, the peer is not
    /// reading: the core closes and reports [`DriveError::WriteTimedOut`]. Otherwise the next
    /// [`poll`](Self::poll) hands the expired deadline to the machine (and a socket timer that
    /// woke a little early just waits again).
    pub fn timed_out(&mut self, now: Instant) -> Result<(), DriveError<M::Error>> {
        if self.is_writing() {
            let write_deadline = self
                .write_since
                .zip(self.write_timeout)
                .and_then(|(since, timeout)| since.checked_add(timeout));
            if earliest([self.write_step_deadline, write_deadline]).is_some_and(|d| d <= now) {
                return Err(self.write_timed_out());
            }
        }
        Ok(())
    }

    fn write_timed_out(&mut self) -> DriveError<M::Error> {
        self.closed = true;
        self.event = None;
        DriveError::WriteTimedOut
    }

    /// The TLS handshake the machine asked for is done.
    pub fn tls_established(&mut self, info: TlsInfo) {
        self.machine.tls_established(info);
    }
}

/// The first `n` octets of `buf`, which a read or write just said it moved: for the trace. A
/// count past the end of `buf` is a stream that misreports, an I/O error, never an empty slice.
pub(crate) fn moved(buf: &[u8], n: usize) -> io::Result<&[u8]> {
    buf.get(..n).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the stream reported {n} octets moved of {}", buf.len()),
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use std::collections::VecDeque;

    use proto_core::{LineError, OutputBuffer};

    use super::*;

    /// A scripted machine: the test queues its events, output, actions and deadline.
    struct Script {
        events: VecDeque<&'static str>,
        /// Output each event queues when it is polled.
        replies: VecDeque<&'static str>,
        /// An action each event asks for.
        actions: VecDeque<Option<TransportAction>>,
        output: OutputBuffer,
        transport: Option<TransportAction>,
        wants: bool,
        input: Vec<u8>,
        spare: [u8; 64],
        eof: bool,
        deadline: Option<Instant>,
        timeouts: Vec<Instant>,
        tls: bool,
    }

    impl Script {
        fn new() -> Self {
            Self {
                events: VecDeque::new(),
                replies: VecDeque::new(),
                actions: VecDeque::new(),
                output: OutputBuffer::new(),
                transport: None,
                wants: true,
                input: Vec::new(),
                spare: [0; 64],
                eof: false,
                deadline: None,
                timeouts: Vec::new(),
                tls: false,
            }
        }
        fn event(
            mut self,
            name: &'static str,
            reply: &'static str,
            action: Option<TransportAction>,
        ) -> Self {
            self.events.push_back(name);
            self.replies.push_back(reply);
            self.actions.push_back(action);
            self
        }
    }

    impl Machine for Script {
        type Event = &'static str;
        type Error = LineError;
        fn receive(&mut self, data: &[u8], _now: Instant) {
            self.input.extend_from_slice(data);
        }
        fn input_buffer(&mut self) -> &mut [u8] {
            &mut self.spare
        }
        fn commit_input(&mut self, n: usize, _now: Instant) {
            let spare = self.spare;
            self.input.extend_from_slice(&spare[..n]);
        }
        fn receive_eof(&mut self, _now: Instant) {
            self.eof = true;
        }
        fn wants_input(&self) -> bool {
            self.wants
        }
        fn transmit(&self) -> &[u8] {
            self.output.pending()
        }
        fn advance_transmit(&mut self, n: usize) {
            self.output.advance(n);
        }
        fn poll_event(&mut self) -> Option<Result<&'static str, LineError>> {
            let event = self.events.pop_front()?;
            if let Some(reply) = self.replies.pop_front() {
                self.output.push(reply.as_bytes());
            }
            self.transport = self.actions.pop_front().flatten();
            Some(Ok(event))
        }
        fn poll_transport(&mut self) -> Option<TransportAction> {
            self.transport.take()
        }
        fn tls_established(&mut self, _info: TlsInfo) {
            self.tls = true;
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.deadline
        }
        fn handle_timeout(&mut self, now: Instant) {
            self.timeouts.push(now);
        }
    }

    fn secs(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_secs(n)
    }

    fn step(core: &mut DriverCore<Script>, now: Instant) -> Step<&'static str> {
        core.poll(now).unwrap()
    }

    #[test]
    fn a_count_past_the_buffer_is_an_error() {
        assert_eq!(super::moved(b"abc", 2).unwrap(), b"ab");
        let e = super::moved(b"abc", 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn writes_come_before_events_and_events_before_reads() {
        let t0 = Instant::now();
        let machine = Script::new()
            .event("greeting", "EHLO me\r\n", None)
            .event("ready", "", None);
        let mut core = DriverCore::new(machine);
        // Polling made the greeting event and queued the client's EHLO: the EHLO goes out
        // first, reading while it waits.
        let Step::Write {
            read: true,
            deadline,
        } = step(&mut core, t0)
        else {
            panic!("a write, reading while it waits")
        };
        assert_eq!(deadline, Some(t0 + DEFAULT_WRITE_TIMEOUT));
        assert_eq!(core.machine_ref().transmit(), b"EHLO me\r\n");
        core.wrote(4, t0).unwrap();
        assert!(matches!(step(&mut core, t0), Step::Write { .. }));
        core.wrote(5, t0).unwrap();
        // Then a flush of what the transport holds, still a write.
        assert!(matches!(step(&mut core, t0), Step::Write { .. }));
        assert!(core.machine_ref().transmit().is_empty());
        core.flushed();
        assert!(matches!(step(&mut core, t0), Step::Event("greeting")));
        assert!(matches!(step(&mut core, t0), Step::Event("ready")));
        assert!(matches!(step(&mut core, t0), Step::Read { deadline: None }));
    }

    #[test]
    fn input_during_a_held_up_write_lets_events_go_first() {
        let t0 = Instant::now();
        let machine = Script::new()
            .event("first", "a long reply\r\n", None)
            .event("second", "", None);
        let mut core = DriverCore::new(machine);
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: true, .. }
        ));
        // The peer does not take our output but sends its own: parsing must go on.
        core.received(0x10, t0);
        assert!(matches!(step(&mut core, t0), Step::Event("first")));
        assert!(matches!(step(&mut core, t0), Step::Event("second")));
        assert!(matches!(step(&mut core, t0), Step::Write { .. }));
        core.wrote(14, t0).unwrap();
        core.flushed();
        assert!(matches!(step(&mut core, t0), Step::Read { .. }));
    }

    #[test]
    fn a_transport_action_waits_for_its_bytes_and_holds_events_and_reads() {
        let t0 = Instant::now();
        let machine = Script::new()
            .event(
                "STARTTLS",
                "220 go ahead\r\n",
                Some(TransportAction::StartTls),
            )
            .event("after", "", None);
        let mut core = DriverCore::new(machine);
        // The event that asked for TLS is held until TLS is up; nothing is read meanwhile.
        let Step::Write { read: false, .. } = step(&mut core, t0) else {
            panic!("a write without reading")
        };
        core.wrote(14, t0).unwrap();
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: false, .. }
        ));
        core.flushed();
        assert!(matches!(
            step(&mut core, t0),
            Step::Act(TransportAction::StartTls)
        ));
        core.tls_established(TlsInfo::new());
        assert!(core.machine_ref().tls);
        assert!(matches!(step(&mut core, t0), Step::Event("STARTTLS")));
        assert!(matches!(step(&mut core, t0), Step::Event("after")));
    }

    #[test]
    fn a_deadline_not_in_the_future_is_handled_at_once() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.deadline = Some(t0);
        machine.output.push(b"QUIT\r\n");
        let mut core = DriverCore::new(machine);
        // Output is waiting, but the past deadline asks for handle_timeout first, not a write
        // that would time out at once.
        let Step::Write { deadline, .. } = step(&mut core, secs(t0, 1)) else {
            panic!("a write")
        };
        assert_eq!(core.machine_ref().timeouts, vec![secs(t0, 1)]);
        // The machine kept its deadline: it is not woken again in a loop.
        assert_eq!(deadline, Some(secs(t0, 1) + DEFAULT_WRITE_TIMEOUT));
        core.wrote(6, secs(t0, 1)).unwrap();
        core.flushed();
        assert!(matches!(
            step(&mut core, secs(t0, 2)),
            Step::Read { deadline: None }
        ));
        assert_eq!(core.machine_ref().timeouts.len(), 1);
        // A new deadline is honoured.
        core.machine().deadline = Some(secs(t0, 5));
        assert!(
            matches!(step(&mut core, secs(t0, 3)), Step::Read { deadline: Some(d) } if d == secs(t0, 5))
        );
        core.timed_out(secs(t0, 5)).unwrap();
        assert!(matches!(
            step(&mut core, secs(t0, 5)),
            Step::Read { deadline: None }
        ));
        assert_eq!(core.machine_ref().timeouts, vec![secs(t0, 1), secs(t0, 5)]);
    }

    #[test]
    fn a_write_without_progress_past_its_deadline_closes() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.deadline = Some(secs(t0, 60));
        machine.output.push(&[b'x'; 100]);
        let mut core = DriverCore::new(machine);
        core.set_write_timeout(Some(Duration::from_secs(10)));
        let Step::Write { deadline, .. } = step(&mut core, t0) else {
            panic!("a write")
        };
        assert_eq!(deadline, Some(secs(t0, 10)), "the earlier of the two");
        core.wrote(50, secs(t0, 8)).unwrap();
        // Progress at 8 s moves the write deadline to 18 s.
        let Step::Write { deadline, .. } = step(&mut core, secs(t0, 9)) else {
            panic!("a write")
        };
        assert_eq!(deadline, Some(secs(t0, 18)));
        let result = core.timed_out(secs(t0, 18));
        assert!(
            matches!(result, Err(DriveError::WriteTimedOut)),
            "{result:?}"
        );
        assert!(core.is_closed());
        assert!(matches!(step(&mut core, secs(t0, 19)), Step::Done));
        assert!(
            core.machine_ref().timeouts.is_empty(),
            "the machine's timer did not fire"
        );
    }

    #[test]
    fn the_machines_deadline_passing_during_a_write_closes_even_after_a_little_progress() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.deadline = Some(secs(t0, 5));
        machine.output.push(&[b'x'; 100]);
        let mut core = DriverCore::new(machine);
        core.set_write_timeout(None);
        let Step::Write { deadline, .. } = step(&mut core, t0) else {
            panic!("a write")
        };
        assert_eq!(deadline, Some(secs(t0, 5)));
        // A blocking write that timed out after taking a part.
        core.wrote(10, secs(t0, 5)).unwrap();
        let result = core.poll(secs(t0, 5));
        assert!(
            matches!(result, Err(DriveError::WriteTimedOut)),
            "{result:?}"
        );
        assert!(core.machine_ref().timeouts.is_empty());
    }

    #[test]
    fn a_read_timeout_that_wakes_early_does_not_hide_the_deadline() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.deadline = Some(secs(t0, 5));
        let mut core = DriverCore::new(machine);
        assert!(
            matches!(step(&mut core, t0), Step::Read { deadline: Some(d) } if d == secs(t0, 5))
        );
        // The socket gave up a little before the deadline; the machine ignores it.
        core.timed_out(secs(t0, 4)).unwrap();
        assert!(
            matches!(step(&mut core, secs(t0, 4)), Step::Read { deadline: Some(d) } if d == secs(t0, 5))
        );
        // When the deadline comes, the machine is woken.
        assert!(matches!(
            step(&mut core, secs(t0, 5)),
            Step::Read { deadline: None }
        ));
        assert_eq!(core.machine_ref().timeouts, vec![secs(t0, 5)]);
    }

    #[test]
    fn a_write_that_finished_at_the_deadline_is_not_a_timeout() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.deadline = Some(secs(t0, 5));
        machine.output.push(b"250 OK\r\n");
        let mut core = DriverCore::new(machine);
        assert!(matches!(step(&mut core, t0), Step::Write { .. }));
        core.wrote(8, secs(t0, 5)).unwrap();
        // Only the flush is left: the machine's deadline is its own timer, not a stuck write.
        assert!(matches!(step(&mut core, secs(t0, 5)), Step::Write { .. }));
        assert_eq!(core.machine_ref().timeouts, vec![secs(t0, 5)]);
    }

    #[test]
    fn a_large_backlog_stops_reading_while_writing() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.output.push(&vec![b'x'; MAX_OUTPUT_BACKLOG]);
        let mut core = DriverCore::new(machine);
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: false, .. }
        ));
        core.wrote(1, t0).unwrap();
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: true, .. }
        ));
        core.machine().wants = false;
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: false, .. }
        ));
    }

    #[test]
    fn after_the_end_of_the_stream_events_and_output_still_go() {
        let t0 = Instant::now();
        let mut core = DriverCore::new(Script::new());
        assert!(matches!(step(&mut core, t0), Step::Read { .. }));
        core.machine().input_buffer()[..4].copy_from_slice(b"QUIT");
        core.received(4, t0);
        assert_eq!(core.machine_ref().input, b"QUIT");
        core.received(0, t0);
        assert!(core.machine_ref().eof && core.is_closed());
        core.machine().events.push_back("quit");
        core.machine().replies.push_back("221 bye\r\n");
        // The reply made while the event was polled goes first, then the event.
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: false, .. }
        ));
        core.wrote(9, t0).unwrap();
        core.flushed();
        assert!(matches!(step(&mut core, t0), Step::Event("quit")));
        assert!(matches!(step(&mut core, t0), Step::Done));
    }

    #[test]
    fn close_ends_the_io_and_hands_out_what_is_left() {
        let t0 = Instant::now();
        let machine = Script::new()
            .event("QUIT", "221 bye\r\n", Some(TransportAction::Close))
            .event("late", "ignored\r\n", None);
        let mut core = DriverCore::new(machine);
        assert!(matches!(
            step(&mut core, t0),
            Step::Write { read: false, .. }
        ));
        core.wrote(9, t0).unwrap();
        core.flushed();
        assert!(matches!(
            step(&mut core, t0),
            Step::Act(TransportAction::Close)
        ));
        assert!(matches!(step(&mut core, t0), Step::Event("QUIT")));
        assert!(matches!(step(&mut core, t0), Step::Event("late")));
        assert!(matches!(step(&mut core, t0), Step::Done));
    }

    #[test]
    fn a_machine_that_wants_nothing_is_stalled_and_errors_are_classified() {
        let t0 = Instant::now();
        let mut machine = Script::new();
        machine.wants = false;
        let mut core = DriverCore::new(machine);
        assert!(matches!(core.poll(t0), Err(DriveError::Stalled)));
        core.machine().wants = true;
        core.read_failed(io::ErrorKind::Interrupted.into(), t0)
            .unwrap();
        core.machine().deadline = Some(secs(t0, 1));
        core.read_failed(io::ErrorKind::TimedOut.into(), secs(t0, 1))
            .unwrap();
        assert!(matches!(step(&mut core, secs(t0, 1)), Step::Read { .. }));
        assert_eq!(
            core.machine_ref().timeouts,
            vec![secs(t0, 1)],
            "a read timeout is the machine's"
        );
        core.read_failed(io::ErrorKind::ConnectionReset.into(), t0)
            .unwrap();
        assert!(core.machine_ref().eof, "a reset ends the stream");
        let other = core.read_failed(io::ErrorKind::PermissionDenied.into(), t0);
        assert!(matches!(other, Err(DriveError::Io(_))));
        assert!(
            matches!(core.wrote(0, t0), Err(DriveError::Io(e)) if e.kind() == io::ErrorKind::WriteZero)
        );
    }
}
