//! A client and a server machine paired in memory.

use std::time::Instant;

use crate::machine::{Machine, TlsInfo, TransportAction};

/// The `TlsInfo` every fake upgrade hands over: fixed channel-binding bytes, so that tests of
/// the SASL -PLUS mechanisms are deterministic on both sides.
pub fn fake_tls_info() -> TlsInfo {
    TlsInfo::new()
        .with_tls_exporter(vec![0x5a; 32])
        .with_tls_server_end_point(vec![0xa5; 32])
        .with_protocol_version("fake-TLS")
}

/// Who sent bytes that crossed a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The client machine.
    Client,
    /// The server machine.
    Server,
}

/// What one [`Link::pump`] moved and saw.
#[derive(Debug)]
pub struct Pumped<C: Machine, S: Machine> {
    /// The client's events, in order.
    pub client_events: Vec<Result<C::Event, C::Error>>,
    /// The server's events, in order.
    pub server_events: Vec<Result<S::Event, S::Error>>,
    /// The transport actions each side asked for, in order.
    pub transport: Vec<(Sender, TransportAction)>,
}

/// The state of an in-memory connection between two machines: who has closed, whether each
/// side was told, every byte that crossed it, and the instant the bytes arrive at.
#[derive(Debug)]
pub struct Link {
    /// The instant given with every input (a synthetic clock: tests move it themselves).
    pub now: Instant,
    client_closed: bool,
    server_closed: bool,
    client_told: bool,
    server_told: bool,
    /// Every write, in order, with its sender.
    pub wire: Vec<(Sender, Vec<u8>)>,
}

impl Default for Link {
    fn default() -> Self {
        Self::at(Instant::now())
    }
}

impl Link {
    /// A fresh, open connection whose inputs arrive at the instant it was made.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh, open connection whose inputs arrive at `now` (until the test moves
    /// [`Link::now`]).
    pub fn at(now: Instant) -> Self {
        Self {
            now,
            client_closed: false,
            server_closed: false,
            client_told: false,
            server_told: false,
            wire: Vec::new(),
        }
    }

    /// True once the client has asked to close.
    pub fn client_closed(&self) -> bool {
        self.client_closed
    }

    /// True once the server has asked to close.
    pub fn server_closed(&self) -> bool {
        self.server_closed
    }

    /// The bytes one side sent, concatenated.
    pub fn sent_by(&self, sender: Sender) -> Vec<u8> {
        self.wire
            .iter()
            .filter(|(s, _)| *s == sender)
            .flat_map(|(_, bytes)| bytes.iter().copied())
            .collect()
    }

    /// Moves bytes both ways until neither machine has anything more to say.
    ///
    /// A `StartTls` action is answered at once with [`fake_tls_info`]: the bytes the side wrote
    /// before asking crossed in plaintext, everything after crosses "in TLS". A `Close` stops
    /// that side's traffic and gives the other side an end of file.
    pub fn pump<C: Machine, S: Machine>(&mut self, client: &mut C, server: &mut S) -> Pumped<C, S> {
        let mut pumped = Pumped {
            client_events: Vec::new(),
            server_events: Vec::new(),
            transport: Vec::new(),
        };
        loop {
            let mut progress = false;
            progress |= self.side(Sender::Client, client, server, &mut pumped.transport);
            progress |= self.side(Sender::Server, server, client, &mut pumped.transport);
            while let Some(event) = client.poll_event() {
                pumped.client_events.push(event);
                progress = true;
            }
            while let Some(event) = server.poll_event() {
                pumped.server_events.push(event);
                progress = true;
            }
            if !progress {
                return pumped;
            }
        }
    }

    /// Moves what `from` wants to send into `to`, and acts on `from`'s transport requests.
    fn side<A: Machine, B: Machine>(
        &mut self,
        sender: Sender,
        from: &mut A,
        to: &mut B,
        transport: &mut Vec<(Sender, TransportAction)>,
    ) -> bool {
        let mut progress = false;
        let (closed, peer_told) = match sender {
            Sender::Client => (self.client_closed, self.server_told),
            Sender::Server => (self.server_closed, self.client_told),
        };
        if !closed {
            progress |= self.carry(sender, from, to);
            while let Some(action) = from.poll_transport() {
                progress = true;
                progress |= self.carry(sender, from, to);
                transport.push((sender, action));
                match action {
                    TransportAction::StartTls => from.tls_established(fake_tls_info()),
                    TransportAction::Close => {
                        match sender {
                            Sender::Client => self.client_closed = true,
                            Sender::Server => self.server_closed = true,
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
        let closed_now = match sender {
            Sender::Client => self.client_closed,
            Sender::Server => self.server_closed,
        };
        if closed_now && !peer_told {
            to.receive_eof(self.now);
            match sender {
                Sender::Client => self.server_told = true,
                Sender::Server => self.client_told = true,
            }
            progress = true;
        }
        progress
    }

    fn carry<A: Machine, B: Machine>(&mut self, sender: Sender, from: &mut A, to: &mut B) -> bool {
        let bytes = from.transmit().to_vec();
        if bytes.is_empty() {
            return false;
        }
        from.advance_transmit(bytes.len());
        to.receive(&bytes, self.now);
        self.wire.push((sender, bytes));
        true
    }
}

/// Pumps a fresh [`Link`] once: for tests that need no state across calls.
pub fn pump<C: Machine, S: Machine>(client: &mut C, server: &mut S) -> Pumped<C, S> {
    Link::new().pump(client, server)
}
