//! Submit a message over SMTP (or deliver it over LMTP) in one call, or several over one
//! connection.
//!
//! The call connects, waits for the greeting and EHLO (with STARTTLS when the endpoint asks
//! for it), authenticates when credentials are given, sends MAIL FROM and every RCPT TO
//! (pipelined when offered), streams the body through DATA or BDAT (the last chunk marked
//! LAST), and quits. Each recipient's reply is reported; the message goes on to the accepted
//! ones.
//!
//! [`submit`] takes the envelope from the caller; [`submit_message`] takes a message built
//! with rfc5322 ([`Outgoing`]: MAIL FROM from Sender or else From, RCPT TO from To, Cc and
//! Bcc, Bcc left out of what is sent). A [`Session`] sends several messages over one
//! connection, with RSET after a transaction that failed. The blocking and the async calls
//! are one piece of session logic.

use std::io::{self, Read};

use smtp_proto::{
    Client, ForwardPath, MailParameters, Mailbox, ProtocolError, RcptParameters, Reply,
    ReversePath, UsageError,
};
use smtp_proto::{ClientConfig, ClientEvent, MessageDeclaration, TlsPolicy};

use crate::Driver;
use crate::calls::{Drive, block_on};
use crate::connect::{Endpoint, TlsMode, connect};
use crate::error::DriveError;
use crate::trace::Trace;

pub use rfc5322::{Envelope, Outgoing};

/// How to submit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SubmitOptions {
    /// Where to connect and how to use TLS.
    pub endpoint: Endpoint,
    /// The name sent with EHLO (or LHLO).
    pub hostname: String,
    /// Credentials for AUTH, if the server requires them.
    pub credentials: Option<sasl_proto::Credentials>,
    /// Allow plaintext-equivalent SASL over an unprotected link (trusted local links only).
    pub allow_plaintext_auth: bool,
    /// Speak LMTP (LHLO, one reply per recipient after the data).
    pub lmtp: bool,
    /// What the message needs (8-bit, SMTPUTF8, size).
    pub info: MessageDeclaration,
}

impl SubmitOptions {
    /// Options for `endpoint` with the EHLO name "localhost", no credentials, SMTP.
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            hostname: "localhost".into(),
            credentials: None,
            allow_plaintext_auth: false,
            lmtp: false,
            info: MessageDeclaration::new(),
        }
    }

    /// Sets the EHLO name.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = name.into();
        self
    }

    /// Authenticates with these credentials.
    pub fn credentials(mut self, credentials: sasl_proto::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Allows plaintext-equivalent SASL without TLS.
    pub fn allow_plaintext_auth(mut self, allow: bool) -> Self {
        self.allow_plaintext_auth = allow;
        self
    }

    /// Speaks LMTP.
    pub fn lmtp(mut self, lmtp: bool) -> Self {
        self.lmtp = lmtp;
        self
    }

    /// Declares what the message needs.
    pub fn info(mut self, info: MessageDeclaration) -> Self {
        self.info = info;
        self
    }

    fn client_config(&self) -> ClientConfig {
        // Implicit TLS is given to the machine with the handshake's TlsInfo once connected.
        let tls = match self.endpoint.tls {
            TlsMode::StartTls => TlsPolicy::Required,
            _ => TlsPolicy::Never,
        };
        ClientConfig::default()
            .with_hostname(self.hostname.clone())
            .with_lmtp(self.lmtp)
            .with_tls(tls)
            .with_plaintext_auth(self.allow_plaintext_auth)
    }
}

/// What became of a submitted message.
#[derive(Debug, Clone)]
pub struct SubmitReport {
    /// Recipients the server accepted at RCPT.
    pub accepted: Vec<String>,
    /// Recipients it refused, with its reply.
    pub refused: Vec<(String, Reply<'static>)>,
    /// The reply after the data (SMTP).
    pub reply: Option<Reply<'static>>,
    /// LMTP: the reply for each accepted recipient after the data.
    pub deliveries: Vec<(String, Reply<'static>)>,
}

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The connection could not be made.
    #[error("connect")]
    Connect(#[source] io::Error),
    /// The driver stopped (socket, TLS or protocol error).
    #[error(transparent)]
    Drive(#[from] DriveError<ProtocolError>),
    /// The request could not be made (a bad address, a needed extension not offered...).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// An address could not be parsed.
    #[error("invalid address {0:?}")]
    Address(String),
    /// The server refused at this stage, with this reply.
    #[error("{stage} refused: {}", reply.text())]
    Refused {
        /// greeting, AUTH, MAIL, DATA, BDAT or the end of data.
        stage: &'static str,
        /// The server's reply.
        reply: Reply<'static>,
    },
    /// Every recipient was refused.
    #[error("no recipient was accepted")]
    NoRecipient(Vec<(String, Reply<'static>)>),
    /// Reading the message failed.
    #[error("reading the message")]
    Body(#[source] io::Error),
    /// The connection ended before the submission did.
    #[error("the connection ended early")]
    Closed(Option<Reply<'static>>),
}

/// Submits `message` from `from` (empty for the null path `<>`) to `to`, blocking.
///
/// `to` is any list of addresses: `&["a@example.org"]`, a `Vec<String>`, an iterator.
pub fn submit<S: AsRef<str>>(
    options: &SubmitOptions,
    from: &str,
    to: impl IntoIterator<Item = S>,
    message: impl Read,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
    let paths = Paths::parse(from, to)?;
    let mut session = Session::connect(options, trace)?;
    session.once(&paths, options.info, message)
}

/// Submits a message built with rfc5322 to the recipients of its header, blocking.
///
/// MAIL FROM is its Sender or else its From mailbox, RCPT TO every mailbox of To, Cc and Bcc
/// once; the message goes without Bcc ([`Outgoing::new`], or
/// [`MessageBuilder::build_outgoing`](rfc5322::MessageBuilder::build_outgoing)). Set
/// `message.envelope` for another envelope. 8-bit octets in the message add 8BITMIME, and
/// SMTPUTF8 when they are in the header, to `options.info`.
pub fn submit_message(
    options: &SubmitOptions,
    message: &Outgoing,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
    let paths = Paths::of(&message.envelope)?;
    let mut session = Session::connect(options, trace)?;
    session.once(
        &paths,
        declare(options.info, &message.message),
        &message.message[..],
    )
}

/// Submits over an already connected stream (for tests and custom transports), blocking.
pub fn submit_over<S: AsRef<str>>(
    driver: Driver<Client>,
    options: &SubmitOptions,
    from: &str,
    to: impl IntoIterator<Item = S>,
    message: impl Read,
) -> Result<SubmitReport, SubmitError> {
    let paths = Paths::parse(from, to)?;
    let mut session = Session::over(driver, options)?;
    session.once(&paths, options.info, message)
}

/// Submits `message` with tokio.
///
/// Not resumable: dropping the future closes the connection. A message whose end (the final
/// dot, or the last BDAT chunk) was not yet sent is not delivered; one whose end was sent but
/// not answered may have been, as with any connection lost at that point.
#[cfg(feature = "tokio")]
pub async fn submit_async<S: AsRef<str>>(
    options: &SubmitOptions,
    from: &str,
    to: impl IntoIterator<Item = S>,
    message: impl Read,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
    let paths = Paths::parse(from, to)?;
    let mut session = AsyncSession::connect(options, trace).await?;
    session.once(&paths, options.info, message).await
}

/// [`submit_message`] with tokio (dropping the future is as for [`submit_async`]).
#[cfg(feature = "tokio")]
pub async fn submit_message_async(
    options: &SubmitOptions,
    message: &Outgoing,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
    let paths = Paths::of(&message.envelope)?;
    let mut session = AsyncSession::connect(options, trace).await?;
    let info = declare(options.info, &message.message);
    session.once(&paths, info, &message.message[..]).await
}

/// Several messages over one connection, blocking: connect once, then
/// [`submit`](Session::submit) or [`submit_message`](Session::submit_message) each, then
/// [`quit`](Session::quit).
///
/// A transaction that fails (a refused sender, no recipient accepted, a refused body, an
/// unreadable message) is ended with RSET, and the session goes on with the next message. A
/// failure the connection cannot survive (a socket or protocol error, a connection closed,
/// a DATA body that could not be finished) closes it: later calls return
/// [`SubmitError::Closed`].
///
/// ```no_run
/// use proto_io::submit::{Session, SubmitOptions};
/// use proto_io::{Credentials, Endpoint, TlsMode};
///
/// let options = SubmitOptions::new(Endpoint::new("smtp.example.org", 587, TlsMode::StartTls))
///     .credentials(Credentials::password("alice", "secret"));
/// let mut session = Session::connect(&options, None)?;
/// for to in ["bob@example.net", "carol@example.com"] {
///     let message = format!("From: alice@example.org\r\nTo: {to}\r\nSubject: hi\r\n\r\nHello\r\n");
///     match session.submit("alice@example.org", [to], message.as_bytes()) {
///         Ok(report) => println!("{to}: {:?}", report.reply),
///         Err(e) => println!("{to}: {e}"), // the session goes on after RSET
///     }
/// }
/// session.quit()?;
/// # Ok::<(), proto_io::submit::SubmitError>(())
/// ```
#[derive(Debug)]
pub struct Session {
    conversation: Conversation<Driver<Client>>,
}

impl Session {
    /// Connects, greets (with STARTTLS when the endpoint asks for it) and authenticates when
    /// `options` hold credentials.
    pub fn connect(options: &SubmitOptions, trace: Option<Trace>) -> Result<Session, SubmitError> {
        let connected = connect(&options.endpoint).map_err(SubmitError::Connect)?;
        let mut config = options.client_config();
        // With implicit TLS the machine starts protected and knows the channel bindings; it is
        // not told of a handshake it did not ask for.
        if let Some(info) = connected.tls_info {
            config = config.with_tls_info(info);
        }
        let client = Client::new(config, std::time::Instant::now());
        let mut driver = Driver::new(client, connected.stream);
        if let Some(upgrade) = connected.upgrade {
            driver = driver.with_tls_upgrade(upgrade);
        }
        if let Some(trace) = trace {
            driver = driver.with_trace(trace);
        }
        Session::over(driver, options)
    }

    /// A session over an already connected stream (for tests and custom transports).
    pub fn over(driver: Driver<Client>, options: &SubmitOptions) -> Result<Session, SubmitError> {
        let conversation = block_on(Conversation::open(driver, options))?;
        Ok(Session { conversation })
    }

    /// Sends `message` from `from` (empty for `<>`) to `to`; after a failure, RSET.
    pub fn submit<S: AsRef<str>>(
        &mut self,
        from: &str,
        to: impl IntoIterator<Item = S>,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        block_on(self.conversation.submit(from, to, message))
    }

    /// Sends a message built with rfc5322 to the recipients of its envelope, as
    /// [`submit_message`] does; after a failure, RSET.
    pub fn submit_message(&mut self, message: &Outgoing) -> Result<SubmitReport, SubmitError> {
        block_on(self.conversation.submit_message(message))
    }

    /// Says QUIT and waits for the server to close.
    pub fn quit(mut self) -> Result<(), SubmitError> {
        block_on(self.conversation.quit())
    }

    /// One transaction then QUIT, without RSET after a failure (the connection ends anyway).
    fn once(
        &mut self,
        paths: &Paths,
        info: MessageDeclaration,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        let report = block_on(self.conversation.transaction(paths, info, message))?;
        block_on(self.conversation.quit())?;
        Ok(report)
    }
}

/// [`Session`] with tokio. Dropping a future of it closes nothing by itself, but leaves the
/// transaction where it was: drop the session then.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct AsyncSession {
    conversation: Conversation<crate::AsyncDriver<Client>>,
}

#[cfg(feature = "tokio")]
impl AsyncSession {
    /// Connects, greets and authenticates, as [`Session::connect`].
    pub async fn connect(
        options: &SubmitOptions,
        trace: Option<Trace>,
    ) -> Result<AsyncSession, SubmitError> {
        let (stream, upgrade, tls_info) = crate::connect::connect_async(&options.endpoint)
            .await
            .map_err(SubmitError::Connect)?;
        let mut config = options.client_config();
        // As in Session::connect: implicit TLS is the machine's configuration.
        if let Some(info) = tls_info {
            config = config.with_tls_info(info);
        }
        let client = Client::new(config, std::time::Instant::now());
        let mut driver = crate::AsyncDriver::new(client, stream);
        if let Some(upgrade) = upgrade {
            driver = driver.with_tls_upgrade(upgrade);
        }
        if let Some(trace) = trace {
            driver = driver.with_trace(trace);
        }
        let conversation = Conversation::open(driver, options).await?;
        Ok(AsyncSession { conversation })
    }

    /// As [`Session::submit`].
    pub async fn submit<S: AsRef<str>>(
        &mut self,
        from: &str,
        to: impl IntoIterator<Item = S>,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        self.conversation.submit(from, to, message).await
    }

    /// As [`Session::submit_message`].
    pub async fn submit_message(
        &mut self,
        message: &Outgoing,
    ) -> Result<SubmitReport, SubmitError> {
        self.conversation.submit_message(message).await
    }

    /// As [`Session::quit`].
    pub async fn quit(mut self) -> Result<(), SubmitError> {
        self.conversation.quit().await
    }

    async fn once(
        &mut self,
        paths: &Paths,
        info: MessageDeclaration,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        let report = self.conversation.transaction(paths, info, message).await?;
        self.conversation.quit().await?;
        Ok(report)
    }
}

/// The envelope as SMTP writes it, read before anything is sent.
struct Paths {
    from: ReversePath<'static>,
    to: Vec<ForwardPath<'static>>,
}

impl Paths {
    fn parse<S: AsRef<str>>(
        from: &str,
        to: impl IntoIterator<Item = S>,
    ) -> Result<Paths, SubmitError> {
        let mailbox = |text: &str| {
            Mailbox::parse(text)
                .map(Mailbox::into_owned)
                .map_err(|_| SubmitError::Address(text.into()))
        };
        let from = if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(mailbox(from)?)
        };
        let to = to
            .into_iter()
            .map(|t| mailbox(t.as_ref()).map(ForwardPath::Mailbox))
            .collect::<Result<_, _>>()?;
        Ok(Paths { from, to })
    }

    /// The paths of an rfc5322 envelope: each mailbox written as an addr-spec (a local part
    /// that is no dot-atom quoted), then read as any address given as text.
    fn of(envelope: &Envelope) -> Result<Paths, SubmitError> {
        let text = |m: &rfc5322::Mailbox<'_>| {
            rfc5322::encode::addr_spec(&m.local_part, &m.domain)
                .map_err(|_| SubmitError::Address(m.addr_spec()))
        };
        let from = match &envelope.from {
            Some(m) => text(m)?,
            None => String::new(),
        };
        let to = envelope
            .to
            .iter()
            .map(text)
            .collect::<Result<Vec<_>, _>>()?;
        Paths::parse(&from, to)
    }
}

/// What `message` needs beyond `info`: 8BITMIME for any 8-bit octet, and SMTPUTF8 too for
/// UTF-8 in the header (RFC 6531 section 3.3).
fn declare(mut info: MessageDeclaration, message: &[u8]) -> MessageDeclaration {
    if message.is_ascii() {
        return info;
    }
    let header_end = memchr::memmem::find(message, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(message, b"\n\n"))
        .unwrap_or(message.len());
    info.eight_bit = true;
    info.utf8 |= !message.iter().take(header_end).all(u8::is_ascii);
    info
}

/// One SMTP connection as the short calls and the sessions use it.
#[derive(Debug)]
struct Conversation<D> {
    /// `None` once the connection could not go on (it was dropped, so closed).
    driver: Option<D>,
    /// What every message needs, from the options.
    info: MessageDeclaration,
}

async fn next<D: Drive<Client>>(driver: &mut D) -> Result<ClientEvent, SubmitError> {
    match driver.next().await? {
        Some(ClientEvent::Closed(reply)) => Err(SubmitError::Closed(reply)),
        Some(event) => Ok(event),
        None => Err(SubmitError::Closed(None)),
    }
}

impl<D: Drive<Client>> Conversation<D> {
    /// Greeting, EHLO, STARTTLS and EHLO again (the machine does them), then AUTH.
    async fn open(mut driver: D, options: &SubmitOptions) -> Result<Self, SubmitError> {
        loop {
            match next(&mut driver).await? {
                ClientEvent::Greeting(reply) if !reply.code().is_positive() => {
                    return Err(SubmitError::Refused {
                        stage: "greeting",
                        reply,
                    });
                }
                ClientEvent::Ready(_) => break,
                _ => {}
            }
        }
        if let Some(credentials) = &options.credentials {
            driver
                .machine()
                .authenticate(credentials.clone(), sasl_proto::ClientConfig::default())?;
            loop {
                match next(&mut driver).await? {
                    ClientEvent::Authenticated { .. } => break,
                    ClientEvent::AuthFailed { reply, .. } => {
                        return Err(SubmitError::Refused {
                            stage: "AUTH",
                            reply,
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(Conversation {
            driver: Some(driver),
            info: options.info,
        })
    }

    /// [`Session::submit`].
    async fn submit<S: AsRef<str>>(
        &mut self,
        from: &str,
        to: impl IntoIterator<Item = S>,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        let paths = Paths::parse(from, to)?;
        self.send(&paths, self.info, message).await
    }

    /// [`Session::submit_message`].
    async fn submit_message(&mut self, message: &Outgoing) -> Result<SubmitReport, SubmitError> {
        let paths = Paths::of(&message.envelope)?;
        let info = declare(self.info, &message.message);
        self.send(&paths, info, &message.message[..]).await
    }

    /// One transaction; after a failure the connection is made ready for the next (RSET) or
    /// closed when it cannot be.
    async fn send(
        &mut self,
        paths: &Paths,
        info: MessageDeclaration,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        let result = self.transaction(paths, info, message).await;
        if result.is_err() && self.driver.is_some() && self.reset().await.is_err() {
            self.driver = None;
        }
        result
    }

    /// MAIL, RCPT, the body, and the replies. An error the connection cannot survive drops
    /// the driver.
    async fn transaction(
        &mut self,
        paths: &Paths,
        info: MessageDeclaration,
        message: impl Read,
    ) -> Result<SubmitReport, SubmitError> {
        let Some(driver) = self.driver.as_mut() else {
            return Err(SubmitError::Closed(None));
        };
        let mut in_data = false;
        let result = transaction(driver, paths, info, message, &mut in_data).await;
        // A DATA body cannot be abandoned but by closing: its end would deliver it cut.
        if let Err(e) = &result
            && (in_data || matches!(e, SubmitError::Drive(_) | SubmitError::Closed(_)))
        {
            self.driver = None;
        }
        result
    }

    /// RSET once the machine allows it (after the reply to a DATA in flight), then its reply.
    async fn reset(&mut self) -> Result<(), SubmitError> {
        let Some(driver) = self.driver.as_mut() else {
            return Err(SubmitError::Closed(None));
        };
        loop {
            match driver.machine().rset() {
                Ok(id) => loop {
                    if let ClientEvent::Reply { id: replied, .. } = next(driver).await?
                        && replied == id
                    {
                        return Ok(());
                    }
                },
                // DATA was sent and awaits its reply: a go-ahead now means a body is expected
                // that must not be sent, and only closing ends it.
                Err(UsageError::NotNow(_)) => {
                    if let ClientEvent::BodyWritable = next(driver).await? {
                        return Err(SubmitError::Closed(None));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// QUIT, then the reply or the close.
    async fn quit(&mut self) -> Result<(), SubmitError> {
        let Some(driver) = self.driver.as_mut() else {
            return Err(SubmitError::Closed(None));
        };
        driver.machine().quit()?;
        // The reply to QUIT ends the session; a server that just closes is fine too.
        loop {
            match driver.next().await? {
                Some(ClientEvent::Closed(_)) | None => {
                    self.driver = None;
                    return Ok(());
                }
                Some(_) => {}
            }
        }
    }
}

/// The transaction itself: `in_data` is set while a DATA body is being written.
async fn transaction<D: Drive<Client>>(
    driver: &mut D,
    paths: &Paths,
    info: MessageDeclaration,
    mut message: impl Read,
    in_data: &mut bool,
) -> Result<SubmitReport, SubmitError> {
    let client = driver.machine();
    client.mail_from(paths.from.clone(), info, MailParameters::new())?;
    for to in &paths.to {
        client.rcpt_to(to.clone(), RcptParameters::new())?;
    }
    let data = client.start_body()?.is_some();

    let mut report = SubmitReport {
        accepted: Vec::new(),
        refused: Vec::new(),
        reply: None,
        deliveries: Vec::new(),
    };
    let mut body = BodySource::default();
    loop {
        match next(driver).await? {
            // A 4xx or 5xx to MAIL, DATA or a BDAT chunk ends the attempt with its cause (354,
            // the go-ahead to DATA, is no refusal).
            ClientEvent::Reply { verb, reply, .. }
                if reply.code().class() >= 4 && matches!(verb, "MAIL" | "DATA" | "BDAT") =>
            {
                if verb != "MAIL" && report.accepted.is_empty() {
                    return Err(SubmitError::NoRecipient(report.refused));
                }
                let stage = match verb {
                    "MAIL" => "MAIL",
                    "DATA" => "DATA",
                    _ => "BDAT",
                };
                return Err(SubmitError::Refused { stage, reply });
            }
            ClientEvent::Recipient {
                recipient, reply, ..
            } => {
                let address = path_text(&recipient);
                if reply.code().is_positive() {
                    report.accepted.push(address);
                } else {
                    report.refused.push((address, reply));
                }
            }
            ClientEvent::BodyWritable if !body.finished => {
                *in_data = data;
                body.write(driver.machine(), &mut message)?;
                if body.finished {
                    *in_data = false;
                }
            }
            ClientEvent::MessageDone { reply, .. } => {
                if !reply.code().is_positive() {
                    if report.accepted.is_empty() {
                        return Err(SubmitError::NoRecipient(report.refused));
                    }
                    return Err(SubmitError::Refused {
                        stage: "end of data",
                        reply,
                    });
                }
                report.reply = Some(reply);
                return Ok(report);
            }
            ClientEvent::LmtpDelivery {
                recipient, reply, ..
            } => {
                report.deliveries.push((path_text(&recipient), reply));
                if report.deliveries.len() >= report.accepted.len() {
                    return Ok(report);
                }
            }
            _ => {}
        }
    }
}

fn path_text(path: &ForwardPath<'_>) -> String {
    match path {
        ForwardPath::Postmaster => "Postmaster".into(),
        ForwardPath::Mailbox(m) => m.to_string(),
    }
}

/// Feeds the body to the machine as it takes it. It reads ahead a buffer at a time, so that
/// it knows when it holds the message's last octets: those go with the end of the body
/// (`finish_body_with`: BDAT's LAST chunk, no extra empty one).
#[derive(Default)]
struct BodySource {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
}

/// How much of the message is read ahead.
const BODY_BUFFER: usize = 64 * 1024;

impl BodySource {
    /// Writes until the machine takes no more (it says BodyWritable again when it drained)
    /// or the body is finished.
    fn write(&mut self, client: &mut Client, message: &mut impl Read) -> Result<(), SubmitError> {
        loop {
            if self.start == self.end && !self.eof {
                self.fill(message)?;
            }
            // A wrong bound here would send a cut message: an error, never an empty slice.
            let pending = self.buf.get(self.start..self.end).ok_or_else(|| {
                SubmitError::Body(std::io::Error::other(
                    "the read-ahead buffer's bounds are wrong",
                ))
            })?;
            if self.eof {
                client.finish_body_with(pending)?;
                self.finished = true;
                return Ok(());
            }
            let taken = client.write_body(pending)?;
            self.start += taken;
            if taken < pending.len() {
                return Ok(());
            }
        }
    }

    /// Reads until the buffer is full or the message ends.
    fn fill(&mut self, message: &mut impl Read) -> Result<(), SubmitError> {
        if self.buf.is_empty() {
            self.buf = vec![0; BODY_BUFFER];
        }
        self.start = 0;
        self.end = 0;
        while let Some(room) = self.buf.get_mut(self.end..).filter(|r| !r.is_empty()) {
            match message.read(room) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SubmitError::Body(e)),
            }
        }
        Ok(())
    }
}
