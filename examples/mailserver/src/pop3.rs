//! One POP3 session: pop3-proto's server machine over the async driver, serving a user's
//! Maildir under its session lock; deletions happen only after QUIT (the UPDATE state).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mailstore::{Maildir, MessageEntry, SessionLock};
use pop3_proto::Server;
use pop3_proto::{LoginRefusal, LoginRequest, MaildropEntry, ServerConfig, ServerEvent};
use proto_io::AsyncDriver;
use proto_io::serve::Accepted;

use crate::Context;

/// The open maildrop of a logged-in user.
struct Maildrop {
    maildir: Maildir,
    entries: Vec<MessageEntry>,
    _lock: SessionLock,
}

/// Runs one session to its end.
pub async fn session(ctx: Arc<Context>, accepted: Accepted) {
    let peer = accepted.peer;
    let mut config = ServerConfig::new()
        .with_greeting(format!("{} POP3 server ready", ctx.config.hostname))
        .with_stls(accepted.upgrade.is_some())
        .with_plaintext_auth(ctx.config.allow_plaintext_auth)
        .with_implementation("mailserver (pop3-proto)")
        .with_nonce_source(sasl_proto::OsNonce);
    // Implicit TLS: the machine starts protected, with the handshake's channel bindings.
    if let Some(info) = accepted.tls_info.clone() {
        config = config.with_tls_info(info);
    }
    if ctx.users.any_plain() {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        config = config.with_apop_timestamp(format!(
            "<{}.{}@{}>",
            std::process::id(),
            secs,
            ctx.config.hostname
        ));
    }
    let mut mechanisms = vec![
        sasl_proto::Mechanism::ScramSha256,
        sasl_proto::Mechanism::ScramSha1,
    ];
    if ctx.users.any_plain() {
        mechanisms.push(sasl_proto::Mechanism::CramMd5);
    }
    mechanisms.extend([sasl_proto::Mechanism::Plain, sasl_proto::Mechanism::Login]);
    config = config.with_sasl_mechanisms(mechanisms);
    if let Some(ms) = ctx.config.limits.idle_timeout_ms {
        config = config.with_idle(proto_core::IdleRules::new(Duration::from_millis(ms)));
    }

    // With implicit TLS the machine starts protected (its configuration says so); it is not
    // told of a handshake it did not ask for.
    let server = Server::new(config, Instant::now());
    let mut driver = AsyncDriver::new(server, accepted.stream);
    if let Some(upgrade) = accepted.upgrade {
        driver = driver.with_tls_upgrade(upgrade);
    }
    if let Some(trace) = ctx.tap(format!("{} POP3 from {peer}", ctx.config.hostname)) {
        driver = driver.with_trace(trace);
    }
    let mut maildrop: Option<Maildrop> = None;
    // A SASL exchange named a user: it failed unless its questions go on to a login (the
    // machine ends a wrong proof itself).
    let mut sasl_attempt: crate::auth::Attempt = None;
    loop {
        let event = match driver.next_event().await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(%peer, "POP3 session ended: {e}");
                break;
            }
        };
        if !matches!(
            event,
            ServerEvent::Login { .. }
                | ServerEvent::AuthQuestion {
                    question: sasl_proto::Question::Authorize { .. },
                    ..
                }
        ) && let Some(named) = sasl_attempt.take()
        {
            ctx.throttle
                .failed(peer.ip(), named.as_deref(), Instant::now());
        }
        let server = driver.machine();
        let answered = match event {
            ServerEvent::Login { request, decision } => {
                let now = Instant::now();
                let user_known = ctx.users.contains(request.user());
                let named = user_known.then(|| request.user());
                // A SASL login was throttled when it asked for the secret.
                let sasl = matches!(request, LoginRequest::Sasl { .. });
                sasl_attempt = None;
                if !sasl && !crate::smtp::throttle_attempt(&ctx, peer, named).await {
                    let server = driver.machine();
                    if let Err(e) = server.reject_login(decision, LoginRefusal::LoginDelay) {
                        tracing::warn!(%peer, "answering the POP3 machine: {e}");
                    }
                    continue;
                }
                let verified = match &request {
                    // Hashing: on a blocking thread, at most one per permit.
                    LoginRequest::Password { user, password } => {
                        ctx.hashing.verify(user, password).await
                    }
                    LoginRequest::Apop { user, .. } => ctx
                        .users
                        .get(user)
                        .and_then(|u| u.plain.as_ref())
                        .is_some_and(|secret| request.apop_matches(secret.expose())),
                    // The SASL exchange already proved the identity.
                    LoginRequest::Sasl { .. } => ctx.users.contains(request.user()),
                    _ => false,
                };
                let server = driver.machine();
                if !verified {
                    ctx.throttle.failed(peer.ip(), named, now);
                    server.reject_login(decision, LoginRefusal::BadCredentials)
                } else {
                    ctx.throttle.succeeded(peer.ip(), request.user(), now);
                    // The maildir lock and the listing are file work: not on an async worker.
                    match crate::offload::blocking(|| open_maildrop(&ctx, request.user())) {
                        Ok(open) => {
                            let listing = open
                                .entries
                                .iter()
                                .map(|e| MaildropEntry::new(e.size_crlf, e.id.clone()))
                                .collect();
                            maildrop = Some(open);
                            server.accept_login(decision, listing)
                        }
                        Err(mailstore::Error::InUse(_)) => {
                            server.reject_login(decision, LoginRefusal::InUse)
                        }
                        Err(e) => {
                            tracing::warn!(%peer, "opening a maildrop: {e}");
                            server.reject_login(decision, LoginRefusal::SysTemp)
                        }
                    }
                }
            }
            ServerEvent::AuthQuestion { question, decision } => {
                let answer = crate::auth::answer(&ctx, peer, &mut sasl_attempt, &question).await;
                let server = driver.machine();
                // The machine may hash (a SCRAM exchange from a stored password): not on an
                // async worker.
                ctx.hashing
                    .run_here(|| server.answer_auth(decision, answer))
                    .await
            }
            ServerEvent::Retrieve {
                number, decision, ..
            } => {
                let entry = maildrop.as_ref().and_then(|m| {
                    m.entries
                        .get((number.get() as usize).saturating_sub(1))
                        .map(|e| (m, e))
                });
                match entry.map(|(m, e)| m.maildir.open_message(&e.id)) {
                    Some(Ok(reader)) => match server.accept_retrieve(decision) {
                        Ok(()) => match stream_message(server, reader) {
                            Ok(true) => Ok(()),
                            Ok(false) => break,
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(e),
                    },
                    _ => server.reject_retrieve(
                        decision,
                        pop3_proto::StatusLine::err(&b"message is gone"[..]),
                    ),
                }
            }
            ServerEvent::Update {
                deleted, decision, ..
            } => {
                let ids: Vec<String> = deleted.into_iter().map(|(_, uid)| uid).collect();
                // Deleting fsyncs the directories: not on an async worker.
                let deleted =
                    crate::offload::blocking(|| maildrop.as_ref().map(|m| m.maildir.delete(&ids)));
                match deleted {
                    Some(Ok(_)) | None => server.accept_update(decision, None),
                    Some(Err(e)) => {
                        tracing::warn!(%peer, "deleting: {e}");
                        server.reject_update(decision)
                    }
                }
            }
            _ => Ok(()),
        };
        if let Err(e) = answered {
            tracing::warn!(%peer, "answering the POP3 machine: {e}");
        }
    }
    if let Some(named) = sasl_attempt {
        ctx.throttle
            .failed(peer.ip(), named.as_deref(), Instant::now());
    }
}

fn open_maildrop(ctx: &Context, user: &str) -> Result<Maildrop, mailstore::Error> {
    if let Some(hook) = &ctx.maildrop_open {
        hook(user);
    }
    let maildir = ctx.maildir(user)?;
    let lock = maildir.lock()?;
    let entries = maildir.list()?;
    Ok(Maildrop {
        maildir,
        entries,
        _lock: lock,
    })
}

/// Sends the message with CRLF line ends, chunk by chunk; the machine stuffs it. `false` if
/// the file could not be read to its end: the session must end without the terminating line,
/// so the client never takes a truncated message for a whole one.
fn stream_message(
    server: &mut Server,
    reader: mailstore::MessageReader,
) -> Result<bool, pop3_proto::UsageError> {
    for chunk in reader {
        match chunk {
            Ok(chunk) => server.write_body(&chunk)?,
            Err(e) => {
                tracing::warn!("reading a message: {e}");
                return Ok(false);
            }
        }
    }
    server.finish_body().map(|()| true)
}
