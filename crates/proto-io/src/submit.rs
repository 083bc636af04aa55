//! Submit a message over SMTP (or deliver it over LMTP) in one call.
//!
//! The call connects, waits for the greeting and EHLO (with STARTTLS when the endpoint asks
//! for it), authenticates when credentials are given, sends MAIL FROM and every RCPT TO
//! (pipelined when offered), streams the body through DATA or BDAT, and quits. Each
//! recipient's reply is reported; the message goes on to the accepted ones.

use std::io::{self, Read};

use smtp_proto::{ClientConfig, ClientEvent, MessageDeclaration, TlsPolicy};
use smtp_proto::{
    Client, ForwardPath, MailParameters, Mailbox, ProtocolError, RcptParameters, Reply,
    ReversePath, UsageError,
};

use crate::Driver;
use crate::calls::{Drive, block_on};
use crate::connect::{Endpoint, TlsMode, connect};
use crate::error::DriveError;
use crate::trace::Trace;

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
    #[error("connect: {0}")]
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
    #[error("reading the message: {0}")]
    Body(#[source] io::Error),
    /// The connection ended before the submission did.
    #[error("the connection ended early")]
    Closed(Option<Reply<'static>>),
}

/// Submits `message` from `from` (empty for the null path `<>`) to `to`, blocking.
pub fn submit(
    options: &SubmitOptions,
    from: &str,
    to: &[&str],
    message: impl Read,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
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
    block_on(run(&mut driver, options, from, to, message))
}

/// Submits over an already connected stream (for tests and custom transports), blocking.
pub fn submit_over(
    mut driver: Driver<Client>,
    options: &SubmitOptions,
    from: &str,
    to: &[&str],
    message: impl Read,
) -> Result<SubmitReport, SubmitError> {
    block_on(run(&mut driver, options, from, to, message))
}

/// Submits `message` with tokio.
#[cfg(feature = "tokio")]
pub async fn submit_async(
    options: &SubmitOptions,
    from: &str,
    to: &[&str],
    message: impl Read,
    trace: Option<Trace>,
) -> Result<SubmitReport, SubmitError> {
    let (stream, upgrade, tls_info) = crate::connect::connect_async(&options.endpoint)
        .await
        .map_err(SubmitError::Connect)?;
    let mut config = options.client_config();
    // With implicit TLS the machine starts protected and knows the channel bindings; it is
    // not told of a handshake it did not ask for.
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
    run(&mut driver, options, from, to, message).await
}

async fn next<D: Drive<Client>>(driver: &mut D) -> Result<ClientEvent, SubmitError> {
    match driver.next().await? {
        Some(ClientEvent::Closed(reply)) => Err(SubmitError::Closed(reply)),
        Some(event) => Ok(event),
        None => Err(SubmitError::Closed(None)),
    }
}

async fn run<D: Drive<Client>>(
    driver: &mut D,
    options: &SubmitOptions,
    from: &str,
    to: &[&str],
    mut message: impl Read,
) -> Result<SubmitReport, SubmitError> {
    // Greeting, EHLO, STARTTLS and EHLO again: the machine does them; wait for Ready.
    loop {
        match next(driver).await? {
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
            match next(driver).await? {
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

    let reverse = if from.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(Mailbox::parse(from).map_err(|_| SubmitError::Address(from.into()))?)
    };
    let client = driver.machine();
    client.mail_from(reverse, options.info, MailParameters::new())?;
    for address in to {
        let mailbox =
            Mailbox::parse(address).map_err(|_| SubmitError::Address((*address).into()))?;
        client.rcpt_to(ForwardPath::Mailbox(mailbox), RcptParameters::new())?;
    }
    client.start_body()?;

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
            ClientEvent::BodyWritable if body.write(driver.machine(), &mut message)? => {
                driver.machine().finish_body()?;
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
                break;
            }
            ClientEvent::LmtpDelivery {
                recipient, reply, ..
            } => {
                report.deliveries.push((path_text(&recipient), reply));
                if report.deliveries.len() >= report.accepted.len() {
                    break;
                }
            }
            _ => {}
        }
    }
    driver.machine().quit()?;
    // The reply to QUIT ends the session; a server that just closes is fine too.
    loop {
        match driver.next().await? {
            Some(ClientEvent::Closed(_)) | None => return Ok(report),
            Some(_) => {}
        }
    }
}

fn path_text(path: &ForwardPath<'_>) -> String {
    match path {
        ForwardPath::Postmaster => "Postmaster".into(),
        ForwardPath::Mailbox(m) => m.to_string(),
    }
}

/// Feeds the body to the machine as it takes it.
#[derive(Default)]
struct BodySource {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl BodySource {
    /// Writes until the machine takes no more; true once everything was taken.
    fn write(&mut self, client: &mut Client, message: &mut impl Read) -> Result<bool, SubmitError> {
        if self.buf.is_empty() {
            self.buf = vec![0; 64 * 1024];
        }
        loop {
            if self.start == self.end {
                if self.eof {
                    return Ok(true);
                }
                let n = loop {
                    match message.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(SubmitError::Body(e)),
                    }
                };
                self.start = 0;
                self.end = n;
                if n == 0 {
                    self.eof = true;
                    return Ok(true);
                }
            }
            let pending = self.buf.get(self.start..self.end).unwrap_or_default();
            let taken = client.write_body(pending)?;
            self.start += taken;
            if taken < pending.len() {
                // The machine is full: it says BodyWritable again when it drained.
                return Ok(false);
            }
        }
    }
}
