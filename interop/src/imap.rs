//! An IMAP session (imap-proto's client through proto-io's blocking driver) for the interop
//! tests: connect until ready, run a command to its completion, keep what else came.

use std::time::Instant;

use imap_proto::{Client, ClientConfig, ClientEvent, CommandBody, Completion, UsageError};
use proto_core::CommandId;
use proto_io::{Driver, Endpoint, Trace, connect};

/// A ready IMAP session: greeted, TLS as the endpoint asks, capabilities known.
pub struct Session {
    /// The driver.
    pub driver: Driver<Client>,
    /// Events that came while waiting for a completion, in order.
    pub seen: Vec<ClientEvent>,
}

impl Session {
    /// Connects and waits for [`ClientEvent::Ready`].
    pub fn connect(endpoint: &Endpoint, config: ClientConfig, trace: Option<Trace>) -> Self {
        let connected = connect(endpoint).expect("connecting");
        let config = match connected.tls_info.clone() {
            Some(info) => config.with_tls_info(info),
            None => config,
        };
        let mut driver = Driver::new(Client::new(config, Instant::now()), connected.stream);
        if let Some(upgrade) = connected.upgrade {
            driver = driver.with_tls_upgrade(upgrade);
        }
        if let Some(trace) = trace {
            driver = driver.with_trace(trace);
        }
        let mut session = Self {
            driver,
            seen: Vec::new(),
        };
        loop {
            match session.next_event() {
                ClientEvent::Ready(_) => break,
                other => session.seen.push(other),
            }
        }
        session
    }

    /// The next event; fails the test on an error or a closed connection.
    pub fn next_event(&mut self) -> ClientEvent {
        match self.driver.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the connection closed"),
            Err(e) => panic!("driver: {e}"),
        }
    }

    /// Waits for the completion of `id`, keeping other events in [`Session::seen`].
    pub fn wait(&mut self, id: CommandId) -> Completion {
        loop {
            match self.next_event() {
                ClientEvent::Completed(c) if c.id == id => return c,
                other => self.seen.push(other),
            }
        }
    }

    /// Sends `body` and waits for its completion.
    pub fn run(&mut self, body: CommandBody) -> Completion {
        let name = body.name();
        let id = self
            .driver
            .machine()
            .send(body)
            .unwrap_or_else(|e| panic!("{name} refused: {e}"));
        self.wait(id)
    }

    /// Sends `body`, waits for its completion and fails the test unless it is OK.
    pub fn ok(&mut self, body: CommandBody) -> Completion {
        let name = body.name();
        let c = self.run(body);
        assert!(
            c.is_ok(),
            "{name}: {:?} {}",
            c.status,
            String::from_utf8_lossy(&c.text)
        );
        c
    }

    /// Queues a command through `f` and waits for its completion.
    pub fn call(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<CommandId, UsageError>,
    ) -> Completion {
        let id = f(self.driver.machine()).unwrap_or_else(|e| panic!("refused: {e}"));
        self.wait(id)
    }
}

/// The command written in `line` (as after a tag), as the client's value; literals are
/// written `{n}\r\n` and their data inline.
pub fn command(line: &str) -> CommandBody {
    use imap_proto::codec::{ParseOptions, Parsed, parse_command};
    let wire = bytes::Bytes::from(format!("X {line}\r\n"));
    match parse_command(&wire, ParseOptions::strict(imap_proto::Mode::REV1)) {
        Ok(Parsed::Complete { value, .. }) => value.body,
        other => panic!("cannot read {line:?}: {other:?}"),
    }
}
