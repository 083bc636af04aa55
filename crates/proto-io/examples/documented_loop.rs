//! The loop of `proto_core::Machine`'s documentation, written out by hand over a plain
//! `std::net::TcpStream`, as a new user would write it: an SMTP client sends a message to an
//! SMTP server, and a POP3 client downloads a message from a POP3 server, each pair over a
//! socket pair on 127.0.0.1, every side running the same `drive` function.
//!
//! It is the order proto-io's `DriverCore` runs (less its extras: full duplex, flushing a
//! TLS layer, a write timeout of its own). Each round trip of these sessions needs the output
//! queued while events were drained (the client's EHLO after the greeting, its MAIL after
//! EHLO's reply, the server's replies) to be written before the next read: a loop that reads
//! first stalls until the idle timers expire. The tests below run both sessions and fail if a
//! session takes more than a few seconds.
//!
//! Run it with `cargo run -p proto-io --example documented_loop`.

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use proto_core::{Machine, TransportAction};

type BoxError = Box<dyn Error + Send + Sync>;

/// Runs `m` over `socket` until the connection ends, handing each event to `handle`: the
/// documented loop.
fn drive<M: Machine>(
    m: &mut M,
    socket: &mut TcpStream,
    mut handle: impl FnMut(&mut M, M::Event),
) -> Result<(), BoxError> {
    let mut eof = false;
    loop {
        // 1. Events, one at a time. Making one may queue output (the client's next command, a
        //    server's reply to the command before) or ask for a transport action. Both go
        //    first: the output, because the handler may take its time (a password to hash) and
        //    a reply must not wait behind the next judgement; the action, so that nothing the
        //    handler queues crosses the old transport.
        if let Some(event) = m.poll_event() {
            let event = event?;
            write_all(m, socket)?;
            if let Some(action) = m.poll_transport()
                && act(action, socket)?
            {
                handle(m, event);
                return Ok(());
            }
            handle(m, event); // answer decisions here
            continue;
        }
        // 2. Timers: a deadline that is not in the future is handled now, never slept on.
        let now = Instant::now();
        if let Some(deadline) = m.poll_timeout()
            && deadline <= now
        {
            m.handle_timeout(now);
            continue;
        }
        // 3. Bytes out, before any read, until the machine's deadline: a write still stuck
        //    then means the peer is not reading (an error here: the connection is dropped).
        if !m.transmit().is_empty() {
            socket.set_write_timeout(time_left(m.poll_timeout(), now))?;
            let n = socket.write(m.transmit())?;
            m.advance_transmit(n);
            continue;
        }
        // 4. Transport, once everything before the action is written.
        if let Some(action) = m.poll_transport() {
            if act(action, socket)? {
                return Ok(());
            }
            continue;
        }
        // 5. Bytes in: only now that nothing is left to hand out, write or act on, only while
        //    the machine wants them, and only until its next deadline.
        if eof {
            return Ok(());
        }
        if !m.wants_input() {
            return Err("stalled: a decision is waiting for an answer".into());
        }
        socket.set_read_timeout(time_left(m.poll_timeout(), now))?;
        match socket.read(m.input_buffer()) {
            Ok(0) => {
                m.commit_input(0, Instant::now());
                m.receive_eof(Instant::now());
                eof = true;
            }
            Ok(n) => m.commit_input(n, Instant::now()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                m.commit_input(0, Instant::now());
                m.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes everything the machine holds (before an event is handled or an action taken).
fn write_all<M: Machine>(m: &mut M, socket: &mut TcpStream) -> io::Result<()> {
    while !m.transmit().is_empty() {
        socket.set_write_timeout(time_left(m.poll_timeout(), Instant::now()))?;
        let n = socket.write(m.transmit())?;
        m.advance_transmit(n);
    }
    Ok(())
}

/// Carries out a transport action; true once the connection is closed.
fn act(action: TransportAction, socket: &mut TcpStream) -> Result<bool, BoxError> {
    match action {
        TransportAction::Close => {
            // The peer may be gone already.
            let _ = socket.shutdown(Shutdown::Write);
            Ok(true)
        }
        // A real driver does a TLS handshake here (then `m.tls_established(info)`), or wraps
        // the stream in DEFLATE: proto-io's do. These sessions never ask for either.
        other => Err(format!("{other:?} is not done by this example").into()),
    }
}

/// The socket timeout until `deadline` (at least a millisecond: zero means none to std).
fn time_left(deadline: Option<Instant>, now: Instant) -> Option<Duration> {
    deadline.map(|d| {
        d.saturating_duration_since(now)
            .max(Duration::from_millis(1))
    })
}

/// A connected pair of sockets on 127.0.0.1.
fn socket_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

/// Runs `client` and `server` on their own threads, failing if either takes over 10 s.
fn run_pair<C, S>(client: C, server: S) -> Result<(C::Output, S::Output), BoxError>
where
    C: Session,
    S: Session,
{
    let (client_socket, server_socket) = socket_pair()?;
    let (done, finished) = mpsc::channel();
    let server_done = done.clone();
    let server = thread::spawn(move || {
        let result = server.run(server_socket);
        let _ = server_done.send(());
        result
    });
    let client = thread::spawn(move || {
        let result = client.run(client_socket);
        let _ = done.send(());
        result
    });
    for _ in 0..2 {
        finished
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "a session stalled: output was left unsent before a read")?;
    }
    let client = client.join().map_err(|_| "the client panicked")??;
    let server = server.join().map_err(|_| "the server panicked")??;
    Ok((client, server))
}

/// One side of a session.
trait Session: Send + 'static {
    type Output: Send + 'static;
    fn run(self, socket: TcpStream) -> Result<Self::Output, BoxError>;
}

mod smtp {
    use smtp_proto::{Client, ClientConfig, ClientEvent, MessageDeclaration, TlsPolicy};
    use smtp_proto::{ForwardPath, MailParameters, Mailbox, ReversePath};
    use smtp_proto::{Server, ServerConfig, ServerEvent};

    use super::*;

    /// The message the client sends.
    pub const MESSAGE: &[u8] = b"From: alice@example.org\r\nTo: bob@example.net\r\n\
        Subject: the documented loop\r\n\r\nHello Bob.\r\n.a line with a leading dot\r\n";

    /// The SMTP client: sends MESSAGE from alice to bob, then QUIT. Returns the replies seen.
    pub struct Sender;

    impl Session for Sender {
        type Output = Vec<String>;
        fn run(self, mut socket: TcpStream) -> Result<Vec<String>, BoxError> {
            let config = ClientConfig::default()
                .with_hostname("client.example".into())
                .with_tls(TlsPolicy::Never);
            let mut machine = Client::new(config, Instant::now());
            let mut seen = Vec::new();
            let mut rest = MESSAGE;
            let mut failure: Option<BoxError> = None;
            drive(&mut machine, &mut socket, |m: &mut Client, event| {
                let step = match event {
                    ClientEvent::Ready(_) => start(m),
                    ClientEvent::BodyWritable => write(m, &mut rest),
                    ClientEvent::MessageDone { reply, .. } => {
                        seen.push(format!("message {}", reply.code()));
                        m.quit().map(|_| ()).map_err(Into::into)
                    }
                    ClientEvent::Recipient { reply, .. } => {
                        seen.push(format!("recipient {}", reply.code()));
                        Ok(())
                    }
                    ClientEvent::Closed(reply) => {
                        seen.push(format!("closed {}", reply.map_or(0, |r| r.code().get())));
                        Ok(())
                    }
                    _ => Ok(()),
                };
                if let Err(e) = step {
                    failure.get_or_insert(e);
                }
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(seen),
            }
        }
    }

    fn start(m: &mut Client) -> Result<(), BoxError> {
        let from = Mailbox::parse("alice@example.org").map_err(|_| "a bad address")?;
        let to = Mailbox::parse("bob@example.net").map_err(|_| "a bad address")?;
        m.mail_from(
            ReversePath::Mailbox(from),
            MessageDeclaration::new(),
            MailParameters::new(),
        )?;
        m.rcpt_to(ForwardPath::Mailbox(to), Default::default())?;
        m.start_body()?;
        Ok(())
    }

    fn write(m: &mut Client, rest: &mut &[u8]) -> Result<(), BoxError> {
        let n = m.write_body(rest)?;
        *rest = rest.get(n..).unwrap_or_default();
        if rest.is_empty() {
            m.finish_body()?;
        }
        Ok(())
    }

    /// The SMTP server: accepts everything. Returns the message as received.
    pub struct Receiver;

    impl Session for Receiver {
        type Output = Vec<u8>;
        fn run(self, mut socket: TcpStream) -> Result<Vec<u8>, BoxError> {
            let config = ServerConfig::default().with_hostname("mx.example".into());
            let mut machine = Server::new(config, Instant::now());
            let mut body = Vec::new();
            let mut failure: Option<BoxError> = None;
            drive(&mut machine, &mut socket, |m: &mut Server, event| {
                let answered = match event {
                    ServerEvent::Hello {
                        decision: Some(d), ..
                    }
                    | ServerEvent::MailFrom { decision: d, .. }
                    | ServerEvent::RcptTo { decision: d, .. }
                    | ServerEvent::DataEnd { decision: d, .. } => m.accept(d),
                    ServerEvent::BodyChunk(chunk) => {
                        body.extend_from_slice(&chunk);
                        Ok(())
                    }
                    _ => Ok(()),
                };
                if let Err(e) = answered {
                    failure.get_or_insert(e.into());
                }
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(body),
            }
        }
    }
}

mod pop3 {
    use pop3_proto::{
        Client, ClientConfig, ClientEvent, LoginMethod, MessageNumber, Server, ServerConfig,
        ServerEvent,
    };
    use pop3_proto::{LoginRefusal, MaildropEntry, message_size};
    use sasl_proto::Credentials;

    use super::*;

    /// The one message in bob's maildrop.
    pub const MESSAGE: &[u8] = b"From: alice@example.org\r\nSubject: waiting for Bob\r\n\r\n\
        Line one.\r\n.starts with a dot\r\n";

    /// The POP3 client: logs in, retrieves message 1, quits. Returns the message.
    pub struct Downloader;

    impl Session for Downloader {
        type Output = Vec<u8>;
        fn run(self, mut socket: TcpStream) -> Result<Vec<u8>, BoxError> {
            // A loopback link of the example: no TLS, so the password is allowed in clear.
            let config = ClientConfig::new().with_plaintext_auth(true);
            let mut machine = Client::new(config, Instant::now());
            let mut message = Vec::new();
            let mut failure: Option<BoxError> = None;
            drive(&mut machine, &mut socket, |m: &mut Client, event| {
                let step = match event {
                    ClientEvent::Greeting { .. } => m
                        .login(
                            Credentials::password("bob", "secret"),
                            LoginMethod::UserPass,
                        )
                        .map(|_| ()),
                    ClientEvent::LoggedIn { .. } => match MessageNumber::new(1) {
                        Some(first) => m.send_retr(first).map(|_| ()),
                        None => Ok(()),
                    },
                    ClientEvent::BodyChunk { data, .. } => {
                        message.extend_from_slice(&data);
                        Ok(())
                    }
                    ClientEvent::BodyEnd { .. } => m.send_quit().map(|_| ()),
                    ClientEvent::LoginFailed { .. } => {
                        failure.get_or_insert("login refused".into());
                        Ok(())
                    }
                    _ => Ok(()),
                };
                if let Err(e) = step {
                    failure.get_or_insert(e.into());
                }
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(message),
            }
        }
    }

    /// The POP3 server: bob's maildrop of one message. Returns the user who logged in.
    pub struct Maildrop;

    impl Session for Maildrop {
        type Output = Option<String>;
        fn run(self, mut socket: TcpStream) -> Result<Option<String>, BoxError> {
            let config = ServerConfig::new().with_plaintext_auth(true);
            let mut machine = Server::new(config, Instant::now());
            let mut who = None;
            let mut failure: Option<BoxError> = None;
            drive(&mut machine, &mut socket, |m: &mut Server, event| {
                let answered = match event {
                    ServerEvent::Login { request, decision } => {
                        if request.user() == "bob" {
                            who = Some(request.user().to_owned());
                            let listing = vec![MaildropEntry::new(message_size(MESSAGE), "uid-1")];
                            m.accept_login(decision, listing)
                        } else {
                            m.reject_login(decision, LoginRefusal::BadCredentials)
                        }
                    }
                    ServerEvent::Retrieve { decision, .. } => m
                        .accept_retrieve(decision)
                        .and_then(|()| m.write_body(MESSAGE))
                        .and_then(|()| m.finish_body()),
                    ServerEvent::Update { decision, .. } => m.accept_update(decision, None),
                    _ => Ok(()),
                };
                if let Err(e) = answered {
                    failure.get_or_insert(e.into());
                }
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(who),
            }
        }
    }
}

fn main() -> Result<(), BoxError> {
    let (replies, received) = run_pair(smtp::Sender, smtp::Receiver)?;
    println!(
        "SMTP: client saw {replies:?}; server received {} octets",
        received.len()
    );
    let (message, user) = run_pair(pop3::Downloader, pop3::Maildrop)?;
    println!("POP3: {user:?} downloaded {} octets", message.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_client_sends_a_message_to_its_server_with_the_documented_loop() {
        let (replies, received) = run_pair(smtp::Sender, smtp::Receiver).unwrap();
        assert_eq!(replies, ["recipient 250", "message 250", "closed 221"]);
        assert_eq!(received, smtp::MESSAGE);
    }

    #[test]
    fn a_pop3_client_downloads_from_its_server_with_the_documented_loop() {
        let (message, user) = run_pair(pop3::Downloader, pop3::Maildrop).unwrap();
        assert_eq!(user.as_deref(), Some("bob"));
        assert_eq!(message, pop3::MESSAGE);
    }
}
