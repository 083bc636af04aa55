//! Fetch new messages over POP3 in one call, by UIDL: leave them on the server or delete them.
//!
//! The call connects, reads the greeting and CAPA, upgrades with STLS when the endpoint asks
//! for it (CAPA again after TLS), logs in with the strongest method offered, lists unique
//! ids, retrieves each message not in the caller's `seen` set into a [`FetchSink`] chunk by
//! chunk, deletes it once the sink stored it when asked to, and quits so that the deletions
//! take effect. A second run with the ids of the first fetches nothing twice.

use std::collections::HashSet;
use std::io;
use std::time::Instant;

use pop3_proto::{Client, ProtocolError, UsageError};
use pop3_proto::{ClientConfig, ClientEvent, LoginMethod, new_messages};
use pop3_proto::{MessageNumber, StatusLine};
use proto_core::TlsInfo;
use sasl_proto::Credentials;

use crate::Driver;
use crate::calls::{Drive, block_on};
use crate::connect::{Endpoint, TlsMode, connect};
use crate::error::DriveError;
use crate::trace::Trace;

/// How to fetch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchOptions {
    /// Where to connect and how to use TLS.
    pub endpoint: Endpoint,
    /// Who logs in.
    pub credentials: Credentials,
    /// How (the strongest offered by default).
    pub method: LoginMethod,
    /// Allow credentials without TLS (trusted local links only).
    pub allow_plaintext: bool,
    /// Delete each message from the server once it is stored.
    pub delete: bool,
}

impl FetchOptions {
    /// Options that log in as `credentials` with the strongest method and leave mail on the
    /// server.
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Self {
        Self {
            endpoint,
            credentials,
            method: LoginMethod::Auto,
            allow_plaintext: false,
            delete: false,
        }
    }

    /// Sets the login method.
    pub fn method(mut self, method: LoginMethod) -> Self {
        self.method = method;
        self
    }

    /// Allows credentials without TLS.
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.allow_plaintext = allow;
        self
    }

    /// Deletes fetched messages from the server.
    pub fn delete(mut self, delete: bool) -> Self {
        self.delete = delete;
        self
    }
}

/// Where fetched messages go, chunk by chunk (CRLF line ends, un-stuffed).
pub trait FetchSink {
    /// A message with this unique id starts.
    fn begin(&mut self, uid: &str) -> io::Result<()>;
    /// The next piece of it.
    fn chunk(&mut self, data: &[u8]) -> io::Result<()>;
    /// It is complete: store it durably before returning, since it may be deleted next.
    fn end(&mut self, uid: &str) -> io::Result<()>;
}

/// Keeps fetched messages in memory.
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// Each message with its unique id, in the order fetched.
    pub messages: Vec<(String, Vec<u8>)>,
}

impl FetchSink for Collect {
    fn begin(&mut self, uid: &str) -> io::Result<()> {
        self.messages.push((uid.to_owned(), Vec::new()));
        Ok(())
    }
    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some((_, body)) = self.messages.last_mut() {
            body.extend_from_slice(data);
        }
        Ok(())
    }
    fn end(&mut self, _uid: &str) -> io::Result<()> {
        Ok(())
    }
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Unique ids of the messages fetched, in order.
    pub fetched: Vec<String>,
    /// Ids of `seen` no longer on the server (the caller may forget them).
    pub gone: Vec<String>,
    /// How many messages were deleted on the server.
    pub deleted: usize,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The connection could not be made.
    #[error("connect")]
    Connect(#[source] io::Error),
    /// The driver stopped (socket, TLS or protocol error).
    #[error(transparent)]
    Drive(#[from] DriveError<ProtocolError>),
    /// The request could not be made (no usable login method, credentials without TLS...).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The server refused: the greeting, the login, or a command.
    #[error("{stage} refused: {}", line.text_lossy())]
    Refused {
        /// greeting, login, STLS, UIDL, RETR, DELE or QUIT.
        stage: &'static str,
        /// The server's line (with its response code, if any).
        line: StatusLine<'static>,
    },
    /// The sink failed; the message was not deleted.
    #[error("storing a message")]
    Sink(#[source] io::Error),
    /// The connection ended before the fetch did; nothing was deleted.
    #[error("the connection ended early")]
    Closed,
}

/// Fetches the messages whose ids are not in `seen` into `sink`, blocking.
pub fn fetch_new(
    options: &FetchOptions,
    seen: &HashSet<String>,
    sink: &mut dyn FetchSink,
    trace: Option<Trace>,
) -> Result<FetchReport, FetchError> {
    let connected = connect(&options.endpoint).map_err(FetchError::Connect)?;
    let config = client_config(options, connected.tls_info);
    let mut driver = Driver::new(Client::new(config, Instant::now()), connected.stream);
    if let Some(upgrade) = connected.upgrade {
        driver = driver.with_tls_upgrade(upgrade);
    }
    if let Some(trace) = trace {
        driver = driver.with_trace(trace);
    }
    block_on(run(&mut driver, options, seen, sink))
}

/// Fetches with tokio.
///
/// Not resumable, and safe to drop: dropping the future closes the connection before QUIT,
/// and a POP3 server deletes nothing without QUIT (RFC 1939 section 6); the messages already
/// handed to the sink were fetched, the others stay new.
#[cfg(feature = "tokio")]
pub async fn fetch_new_async(
    options: &FetchOptions,
    seen: &HashSet<String>,
    sink: &mut dyn FetchSink,
    trace: Option<Trace>,
) -> Result<FetchReport, FetchError> {
    let (stream, upgrade, tls_info) = crate::connect::connect_async(&options.endpoint)
        .await
        .map_err(FetchError::Connect)?;
    let config = client_config(options, tls_info);
    let mut driver = crate::AsyncDriver::new(Client::new(config, Instant::now()), stream);
    if let Some(upgrade) = upgrade {
        driver = driver.with_tls_upgrade(upgrade);
    }
    if let Some(trace) = trace {
        driver = driver.with_trace(trace);
    }
    run(&mut driver, options, seen, sink).await
}

/// The client for `options`. `tls_info` is there exactly when TLS was implicit: the machine
/// starts protected, and SCRAM -PLUS can bind to the channel.
fn client_config(options: &FetchOptions, tls_info: Option<TlsInfo>) -> ClientConfig {
    let config = ClientConfig::new().with_plaintext_auth(options.allow_plaintext);
    match tls_info {
        Some(info) => config.with_tls_info(info),
        None => config,
    }
}

async fn next<D: Drive<Client>>(driver: &mut D) -> Result<ClientEvent, FetchError> {
    match driver.next().await? {
        Some(ClientEvent::Closed { line, .. }) if !line.is_ok() => Err(FetchError::Refused {
            stage: "QUIT",
            line,
        }),
        Some(event) => Ok(event),
        None => Err(FetchError::Closed),
    }
}

/// Waits for the answer to `id`, failing on `-ERR`.
async fn answer<D: Drive<Client>>(
    driver: &mut D,
    stage: &'static str,
    id: proto_core::CommandId,
) -> Result<ClientEvent, FetchError> {
    loop {
        match next(driver).await? {
            ClientEvent::Err { id: got, line, .. } if got == id => {
                return Err(FetchError::Refused { stage, line });
            }
            event if event_id(&event) == Some(id) => return Ok(event),
            _ => {}
        }
    }
}

fn event_id(event: &ClientEvent) -> Option<proto_core::CommandId> {
    match event {
        ClientEvent::Capabilities { id, .. }
        | ClientEvent::LoggedIn { id, .. }
        | ClientEvent::LoginFailed { id, .. }
        | ClientEvent::Uidl { id, .. }
        | ClientEvent::BodyStart { id, .. }
        | ClientEvent::Ok { id, .. }
        | ClientEvent::Closed { id, .. } => Some(*id),
        _ => None,
    }
}

async fn run<D: Drive<Client>>(
    driver: &mut D,
    options: &FetchOptions,
    seen: &HashSet<String>,
    sink: &mut dyn FetchSink,
) -> Result<FetchReport, FetchError> {
    loop {
        if let ClientEvent::Greeting { line, .. } = next(driver).await? {
            if !line.is_ok() {
                return Err(FetchError::Refused {
                    stage: "greeting",
                    line,
                });
            }
            break;
        }
    }
    let capa = driver.machine().send_capa()?;
    answer(driver, "CAPA", capa).await?;
    if options.endpoint.tls == TlsMode::StartTls {
        let stls = driver.machine().send_stls()?;
        // The machine asks CAPA again after TLS; wait for that answer.
        let capa = loop {
            match next(driver).await? {
                ClientEvent::Err { id, line, .. } if id == stls => {
                    return Err(FetchError::Refused {
                        stage: "STLS",
                        line,
                    });
                }
                ClientEvent::TlsEstablished { capa } => break capa,
                _ => {}
            }
        };
        answer(driver, "CAPA", capa).await?;
    }
    let login = driver
        .machine()
        .login(options.credentials.clone(), options.method.clone())?;
    if let ClientEvent::LoginFailed { line, .. } = answer(driver, "login", login).await? {
        return Err(FetchError::Refused {
            stage: "login",
            line,
        });
    }

    let uidl = driver.machine().send_uidl(None)?;
    let ClientEvent::Uidl { entries, .. } = answer(driver, "UIDL", uidl).await? else {
        return Err(FetchError::Closed);
    };
    let new = new_messages(&entries, seen);
    let mut report = FetchReport {
        gone: new.gone,
        ..FetchReport::default()
    };
    for (number, uid) in new.new {
        retrieve(driver, number, &uid, sink).await?;
        report.fetched.push(uid);
        if options.delete {
            let dele = driver.machine().send_dele(number)?;
            answer(driver, "DELE", dele).await?;
            report.deleted += 1;
        }
    }
    let quit = driver.machine().send_quit()?;
    answer(driver, "QUIT", quit).await?;
    Ok(report)
}

async fn retrieve<D: Drive<Client>>(
    driver: &mut D,
    number: MessageNumber,
    uid: &str,
    sink: &mut dyn FetchSink,
) -> Result<(), FetchError> {
    let retr = driver.machine().send_retr(number)?;
    answer(driver, "RETR", retr).await?;
    sink.begin(uid).map_err(FetchError::Sink)?;
    loop {
        match next(driver).await? {
            ClientEvent::BodyChunk { id, data } if id == retr => {
                sink.chunk(&data).map_err(FetchError::Sink)?
            }
            ClientEvent::BodyEnd { id } if id == retr => break,
            _ => {}
        }
    }
    sink.end(uid).map_err(FetchError::Sink)
}
