//! One SMTP, submission or LMTP session: smtp-proto's server machine over the async driver,
//! with the application's answers: who may relay, which users exist, where the message goes.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use mailstore::{Delivery, Envelope, QueueWriter};
use proto_io::AsyncDriver;
use proto_io::serve::{Accepted, Refusal};
use smtp_proto::{ServerEvent, ServerConfig};
use smtp_proto::{EnhancedStatusCode, ForwardPath, Reply, ReplyCode, ReversePath, Server};

use crate::Context;

/// What a listener is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Mail from other servers: local domains only.
    Mx,
    /// Mail from our users: AUTH required, relayed anywhere.
    Submission,
    /// Local delivery with one reply per recipient.
    Lmtp,
}

/// A reply from constant parts.
// The texts are constants without CR or LF and the classes agree, so encoding cannot fail:
// no input reaches this.
#[allow(clippy::expect_used)]
fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    let code = ReplyCode::new(code).expect("a valid reply code");
    let enhanced = EnhancedStatusCode::new(enhanced.0, enhanced.1, enhanced.2);
    Reply::new(code, enhanced, text).expect("a constant reply")
}

/// Where one message goes while it arrives.
#[derive(Default)]
struct Transaction<'q> {
    from: String,
    /// Local recipients: the user and the address as given.
    local: Vec<(String, String)>,
    /// Recipients for other domains.
    remote: Vec<String>,
    /// Open deliveries, one per local recipient, in RCPT order.
    deliveries: Vec<Option<Delivery>>,
    /// The queue item for the remote recipients.
    queued: Option<QueueWriter<'q>>,
    started: bool,
    failed: bool,
}

/// Runs one session to its end.
pub async fn session(ctx: Arc<Context>, role: Role, accepted: Accepted) {
    let peer = accepted.peer;
    let mut config = ServerConfig::default()
        .with_hostname(ctx.config.hostname.clone())
        .with_lmtp(role == Role::Lmtp)
        .with_starttls(accepted.upgrade.is_some())
        .with_require_auth(role == Role::Submission)
        .with_plaintext_auth(ctx.config.allow_plaintext_auth)
        .with_decide_connection(true);
    // Implicit TLS: the machine starts protected, with the handshake's channel bindings.
    if let Some(info) = accepted.tls_info.clone() {
        config = config.with_tls_info(info);
    }
    let mut limits = config.limits;
    limits.max_message_size = ctx.config.limits.max_message_size;
    limits.max_recipients = ctx.config.limits.max_recipients;
    config = config.with_limits(limits);
    let mut mechanisms = vec![
        sasl_proto::Mechanism::ScramSha256,
        sasl_proto::Mechanism::ScramSha1,
    ];
    if ctx.users.any_plain() {
        mechanisms.push(sasl_proto::Mechanism::CramMd5);
    }
    mechanisms.extend([sasl_proto::Mechanism::Plain, sasl_proto::Mechanism::Login]);
    // The MX port takes mail for local users from anyone: it offers no AUTH.
    config = config.with_auth_mechanisms(if role == Role::Mx {
        Vec::new()
    } else {
        mechanisms
    });

    // With implicit TLS the machine starts protected (its configuration says so); it is not
    // told of a handshake it did not ask for.
    let server = Server::new(config, Instant::now());
    let mut driver = AsyncDriver::new(server, accepted.stream);
    if let Some(upgrade) = accepted.upgrade {
        driver = driver.with_tls_upgrade(upgrade);
    }
    if let Some(trace) = ctx.tap(format!("{} {role:?} from {peer}", ctx.config.hostname)) {
        driver = driver.with_trace(trace);
    }

    let mut helo = String::new();
    let mut user: Option<String> = None;
    let mut tx: Transaction<'_> = Transaction::default();
    let mut shutting_down = ctx.shutting_down.subscribe();
    loop {
        let next = tokio::select! {
            next = driver.next_event() => next,
            () = shut_down(&mut shutting_down) => {
                // 421 at once, then the close (RFC 5321 3.8).
                driver.machine().shutdown();
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), driver.next_event()).await;
                break;
            }
        };
        let event = match next {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(%peer, "SMTP session ended: {e}");
                break;
            }
        };
        let server = driver.machine();
        let answered = match event {
            ServerEvent::Connected { decision } => match accepted.refusal {
                None => server.accept(decision),
                Some(Refusal::TooManyFromAddress) => server.reject(
                    decision,
                    reply(421, (4, 7, 0), "Too many connections from your address"),
                ),
                Some(_) => {
                    server.reject(decision, reply(421, (4, 3, 2), "Too busy, try again later"))
                }
            },
            ServerEvent::Hello {
                domain, decision, ..
            } => {
                helo = domain;
                match decision {
                    Some(d) => server.accept(d),
                    None => Ok(()),
                }
            }
            ServerEvent::AuthSecret {
                mechanism,
                authcid,
                decision,
                ..
            } => {
                let secret = sasl_proto::CredentialStore::secret(&*ctx.users, &mechanism, &authcid);
                server.provide_secret(decision, secret)
            }
            ServerEvent::AuthToken { decision, .. } => server.provide_token(
                decision,
                sasl_proto::TokenVerdict::Invalid {
                    json: "{\"status\":\"invalid_token\"}".into(),
                },
            ),
            ServerEvent::AuthIdentity {
                authcid,
                authzid,
                decision,
                ..
            } => {
                if authzid.as_deref().is_none_or(|z| z == authcid) && ctx.users.contains(&authcid) {
                    user = Some(authcid);
                    server.accept(decision)
                } else {
                    server.reject(
                        decision,
                        reply(535, (5, 7, 8), "Authentication credentials invalid"),
                    )
                }
            }
            ServerEvent::MailFrom { from, decision, .. } => {
                tx = Transaction {
                    from: match &from {
                        ReversePath::Null => String::new(),
                        ReversePath::Mailbox(m) => m.to_string(),
                    },
                    ..Transaction::default()
                };
                server.accept(decision)
            }
            ServerEvent::RcptTo { to, decision, .. } => {
                match route_recipient(&ctx, role, user.is_some(), &to) {
                    Ok(Destination::Local(name, address)) => {
                        tx.local.push((name, address));
                        server.accept(decision)
                    }
                    Ok(Destination::Remote(address)) => {
                        tx.remote.push(address);
                        server.accept(decision)
                    }
                    Err(refusal) => server.reject(decision, refusal),
                }
            }
            ServerEvent::BodyChunk(chunk) => {
                if !tx.started {
                    start(
                        &ctx,
                        &mut tx,
                        role,
                        &helo,
                        peer,
                        user.is_some(),
                        driver.is_tls(),
                    );
                }
                write(&mut tx, &chunk);
                Ok(())
            }
            ServerEvent::DataEnd {
                recipient,
                decision,
                ..
            } => {
                if !tx.started {
                    start(
                        &ctx,
                        &mut tx,
                        role,
                        &helo,
                        peer,
                        user.is_some(),
                        driver.is_tls(),
                    );
                }
                let server = driver.machine();
                match recipient {
                    // LMTP: each recipient's own delivery gets its own reply.
                    Some(rcpt) => {
                        let wanted = match &rcpt {
                            ForwardPath::Postmaster => "postmaster".to_owned(),
                            ForwardPath::Mailbox(m) => m.to_string(),
                        };
                        let index = tx.local.iter().position(|(_, address)| *address == wanted);
                        let delivery = index
                            .and_then(|i| tx.deliveries.get_mut(i))
                            .and_then(Option::take);
                        match delivery.map(Delivery::commit) {
                            Some(Ok(stored)) if !tx.failed => server.accept_with(
                                decision,
                                reply(250, (2, 0, 0), &format!("Ok: delivered as {}", stored.id)),
                            ),
                            _ => server.reject(
                                decision,
                                reply(451, (4, 3, 0), "Delivery failed, try again later"),
                            ),
                        }
                    }
                    None => match finish(&ctx, &mut tx) {
                        Ok(id) => server.accept_with(
                            decision,
                            reply(250, (2, 0, 0), &format!("Ok: queued as {id}")),
                        ),
                        Err(e) => {
                            tracing::warn!(%peer, "could not store a message: {e}");
                            server.reject(
                                decision,
                                reply(
                                    451,
                                    (4, 3, 0),
                                    "Could not store the message, try again later",
                                ),
                            )
                        }
                    },
                }
            }
            ServerEvent::MessageRefused { .. } | ServerEvent::Reset => {
                // Dropped deliveries and queue writers leave nothing behind.
                tx = Transaction::default();
                Ok(())
            }
            ServerEvent::Quit | ServerEvent::Closed => Ok(()),
            _ => Ok(()),
        };
        if let Err(e) = answered {
            tracing::warn!(%peer, "answering the SMTP machine: {e}");
        }
    }
}

/// Waits until the server shuts down (forever if the sender is gone). Level-triggered: a
/// shutdown that happened before the wait began is seen at once.
pub async fn shut_down(receiver: &mut tokio::sync::watch::Receiver<bool>) {
    if receiver.wait_for(|down| *down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

enum Destination {
    Local(String, String),
    Remote(String),
}

fn route_recipient(
    ctx: &Context,
    role: Role,
    authenticated: bool,
    to: &ForwardPath<'_>,
) -> Result<Destination, Reply<'static>> {
    let mailbox = match to {
        ForwardPath::Postmaster => {
            return Ok(Destination::Local("postmaster".into(), "postmaster".into()));
        }
        ForwardPath::Mailbox(m) => m,
    };
    let address = mailbox.to_string();
    if ctx.config.is_local(mailbox.domain().as_str()) {
        let name = mailbox.local_part().to_ascii_lowercase();
        return if ctx.users.contains(&name) {
            Ok(Destination::Local(name, address))
        } else {
            Err(reply(550, (5, 1, 1), "No such user here"))
        };
    }
    if role == Role::Lmtp {
        return Err(reply(550, (5, 1, 1), "Not a local domain"));
    }
    if role == Role::Submission && authenticated {
        return Ok(Destination::Remote(address));
    }
    Err(reply(554, (5, 7, 1), "Relay access denied"))
}

/// Opens the sinks of a message and writes the trace field (RFC 5321 4.4) to each.
fn start<'q>(
    ctx: &'q Context,
    tx: &mut Transaction<'q>,
    role: Role,
    helo: &str,
    peer: std::net::SocketAddr,
    authenticated: bool,
    tls: bool,
) {
    tx.started = true;
    let with = match (role, tls, authenticated) {
        (Role::Lmtp, _, _) => "LMTP",
        (_, true, true) => "ESMTPSA",
        (_, false, true) => "ESMTPA",
        (_, true, false) => "ESMTPS",
        (_, false, false) => "ESMTP",
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let date = rfc5322::DateTime::from_unix_timestamp(now, 0);
    let received = format!(
        "Received: from {helo} ([{}])\r\n\tby {} with {with};\r\n\t{date}\r\n",
        peer.ip(),
        ctx.config.hostname
    );
    for (name, _) in &tx.local {
        let delivery = ctx.maildir(name).and_then(|m| m.delivery());
        match delivery {
            Ok(delivery) => tx.deliveries.push(Some(delivery)),
            Err(e) => {
                tracing::warn!("opening the maildir of {name}: {e}");
                tx.deliveries.push(None);
                tx.failed = true;
            }
        }
    }
    if !tx.remote.is_empty() {
        let envelope = Envelope::new(&tx.from, tx.remote.iter().cloned());
        match ctx.queue.begin(&envelope, SystemTime::now()) {
            Ok(writer) => tx.queued = Some(writer),
            Err(e) => {
                tracing::warn!("opening a queue item: {e}");
                tx.failed = true;
            }
        }
    }
    write(tx, received.as_bytes());
}

fn write(tx: &mut Transaction<'_>, chunk: &[u8]) {
    let mut failed = false;
    for delivery in tx.deliveries.iter_mut().flatten() {
        failed |= delivery.write_chunk(chunk).is_err();
    }
    if let Some(writer) = tx.queued.as_mut() {
        failed |= writer.write_chunk(chunk).is_err();
    }
    tx.failed |= failed;
}

/// Stores the message for good: the queue item first, then each local delivery.
fn finish(ctx: &Context, tx: &mut Transaction<'_>) -> Result<String, String> {
    if tx.failed {
        return Err("a sink failed while the message arrived".into());
    }
    let mut id = String::new();
    if let Some(writer) = tx.queued.take() {
        id = writer.commit().map_err(|e| e.to_string())?.to_string();
        ctx.wake_relay();
    }
    for delivery in tx.deliveries.iter_mut().filter_map(Option::take) {
        let stored = delivery.commit().map_err(|e| e.to_string())?;
        if id.is_empty() {
            id = stored.id;
        }
    }
    Ok(id)
}
