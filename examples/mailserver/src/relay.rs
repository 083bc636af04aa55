//! The relay worker: takes due queue items, hands each recipient to the next hop of its
//! domain (a static route table, else with the `mx` feature the domain's mail exchangers from
//! DNS), records per-recipient outcomes with backoff, and sends the
//! sender a delivery status notification when recipients fail or the retry window ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailstore::{Envelope, Outcome, QueueItem};
use proto_io::submit::{SubmitError, SubmitOptions};
use proto_io::{DriveError, Endpoint, TlsMode, Trust};
use smtp_proto::ProtocolError;

use crate::Context;
use crate::config::Route;

/// The longest one delivery attempt to a next hop may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs until the server shuts down.
pub async fn run(ctx: Arc<Context>) {
    let mut down = ctx.shutting_down.subscribe();
    let interval = Duration::from_millis(ctx.config.retry.scan_interval_ms.max(10));
    loop {
        if let Err(e) = pass(&ctx).await {
            tracing::warn!("relay pass: {e}");
        }
        tokio::select! {
            () = crate::smtp::shut_down(&mut down) => return,
            () = ctx.relay_wake.notified() => {}
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// One look at the queue: every due item is tried once, every item owed a notice gets it.
pub async fn pass(ctx: &Context) -> Result<(), mailstore::Error> {
    let now = SystemTime::now();
    for item in ctx.queue.due(now)? {
        attempt(ctx, &item).await;
    }
    let retry = ctx.queue.retry().clone();
    for item in ctx.queue.items()? {
        if item.needs_dsn(&retry, SystemTime::now()) {
            notify_sender(ctx, &item)?;
        }
    }
    Ok(())
}

async fn attempt(ctx: &Context, item: &QueueItem) {
    // Group the pending recipients by domain: one connection per next hop.
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in item.pending() {
        let domain = r
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        by_domain.entry(domain).or_default().push(r.address.clone());
    }
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    for (domain, recipients) in by_domain {
        let batch = Batch {
            item,
            recipients: &recipients,
        };
        let result = match ctx.config.routes.get(&domain) {
            Some(route) => deliver_by_route(ctx, &batch, route).await,
            None => deliver_without_route(ctx, &batch, &domain).await,
        };
        outcomes.extend(result);
    }
    let refs: Vec<(&str, Outcome)> = outcomes
        .iter()
        .map(|(a, o)| (a.as_str(), o.clone()))
        .collect();
    if let Err(e) = ctx.queue.update(&item.id, &refs, SystemTime::now()) {
        tracing::warn!(id = %item.id, "recording an attempt: {e}");
    }
}

/// The recipients of one queue item that share a next hop.
pub(crate) struct Batch<'a> {
    pub(crate) item: &'a QueueItem,
    pub(crate) recipients: &'a [String],
}

impl Batch<'_> {
    /// The same outcome for every recipient.
    pub(crate) fn every(&self, outcome: &Outcome) -> Vec<(String, Outcome)> {
        self.recipients
            .iter()
            .map(|r| (r.clone(), outcome.clone()))
            .collect()
    }
}

/// No static route: DNS when it is built in and switched on, else the old 5.4.4 failure.
async fn deliver_without_route(
    ctx: &Context,
    batch: &Batch<'_>,
    domain: &str,
) -> Vec<(String, Outcome)> {
    #[cfg(feature = "mx")]
    if let Some(resolver) = &ctx.mx {
        return deliver_by_mx(ctx, resolver, batch, domain).await;
    }
    #[cfg(not(feature = "mx"))]
    let _ = ctx; // only MX lookup needs it
    batch.every(&Outcome::Failed(format!("550 5.4.4 No route to {domain}")))
}

/// The most addresses one attempt tries for a domain found through DNS (Postfix's
/// `smtp_mx_address_limit` is 5 too): each may take a connect timeout, and the queue waits.
#[cfg(feature = "mx")]
pub const MAX_MX_ADDRESSES: usize = 5;

/// Delivery through DNS (RFC 5321 section 5.1): the exchangers in order, each one's addresses
/// in turn, until one of them takes the transaction.
#[cfg(feature = "mx")]
async fn deliver_by_mx(
    ctx: &Context,
    resolver: &crate::mx::MxResolver,
    batch: &Batch<'_>,
    domain: &str,
) -> Vec<(String, Outcome)> {
    use crate::mx::Answer;
    let hosts = match resolver.exchangers(domain, &ctx.config.hostname).await {
        Ok(hosts) => hosts,
        Err(outcome) => return batch.every(&outcome),
    };
    let mut failures = Failures::default();
    let mut tried = 0;
    'hosts: for host in hosts {
        let addresses = match resolver.addresses(&host).await {
            Answer::Records(addresses) => addresses,
            Answer::NoData | Answer::NxDomain => {
                failures.note(Outcome::Failed(format!(
                    "550 5.4.4 {host} (mail exchanger of {domain}) has no address"
                )));
                continue;
            }
            Answer::Trouble(e) => {
                failures.note(Outcome::Deferred(format!(
                    "451 4.4.3 Address lookup of {host} failed: {e}"
                )));
                continue;
            }
        };
        for ip in addresses {
            if tried == MAX_MX_ADDRESSES {
                break 'hosts;
            }
            tried += 1;
            match send_to_exchanger(ctx, batch, &host, ip).await {
                Ok(outcomes) => return outcomes,
                Err(unreached) => failures.note(unreached.outcome),
            }
        }
    }
    batch.every(&failures.verdict(domain))
}

/// What went wrong with each exchanger of a domain, when none took the message.
#[cfg(feature = "mx")]
#[derive(Default)]
struct Failures {
    temporary: Option<Outcome>,
    permanent: Option<Outcome>,
}

#[cfg(feature = "mx")]
impl Failures {
    fn note(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Failed(_) => self.permanent = Some(outcome),
            _ => self.temporary = Some(outcome),
        }
    }

    /// Any temporary trouble defers (a later attempt may do better); only when every
    /// failure was permanent do the recipients fail.
    fn verdict(self, domain: &str) -> Outcome {
        self.temporary.or(self.permanent).unwrap_or_else(|| {
            Outcome::Deferred(format!("451 4.4.4 No mail exchanger of {domain} was tried"))
        })
    }
}

/// One exchanger address, with STARTTLS as `[relay] tls` says; opportunistic TLS connects
/// again in plaintext when STARTTLS was not offered or its handshake failed (RFC 7435).
#[cfg(feature = "mx")]
async fn send_to_exchanger(
    ctx: &Context,
    batch: &Batch<'_>,
    host: &str,
    ip: std::net::IpAddr,
) -> Result<Vec<(String, Outcome)>, Unreached> {
    use crate::config::MxTls;
    let relay = &ctx.config.relay;
    let address = std::net::SocketAddr::new(ip, relay.mx_port);
    let label = format!("{host} {address}");
    // The connection is to an address: no certificate names it (see `MxTls`).
    let endpoint = |tls| {
        Endpoint::new(ip.to_string(), relay.mx_port, tls).trust(Trust::AcceptInvalidCertificates)
    };
    let first = match relay.tls {
        MxTls::None => TlsMode::Plain,
        MxTls::Opportunistic | MxTls::Required => TlsMode::StartTls,
    };
    match send(ctx, batch, endpoint(first), &label).await {
        Err(unreached) if unreached.tls && relay.tls == MxTls::Opportunistic => {
            tracing::info!("{label}: {:?}; again without STARTTLS", unreached.outcome);
            send(ctx, batch, endpoint(TlsMode::Plain), &label).await
        }
        result => result,
    }
}

async fn deliver_by_route(
    ctx: &Context,
    batch: &Batch<'_>,
    route: &Route,
) -> Vec<(String, Outcome)> {
    let Some((host, port)) = route
        .address
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
    else {
        return batch.every(&Outcome::Failed(format!(
            "550 5.4.4 Bad route {}",
            route.address
        )));
    };
    let trust = if route.insecure {
        Trust::AcceptInvalidCertificates
    } else if let Some(file) = &route.ca_file {
        match Trust::ca_file(file) {
            Ok(trust) => trust,
            Err(e) => return batch.every(&Outcome::Deferred(format!("CA file: {e}"))),
        }
    } else {
        Trust::WebPkiRoots
    };
    let tls = if route.starttls {
        TlsMode::StartTls
    } else {
        TlsMode::Plain
    };
    let endpoint = Endpoint::new(host, port, tls).trust(trust);
    match send(ctx, batch, endpoint, &route.address).await {
        Ok(outcomes) => outcomes,
        Err(unreached) => batch.every(&unreached.outcome),
    }
}

/// No SMTP transaction took place with a next hop: another address may be tried.
#[derive(Debug)]
pub(crate) struct Unreached {
    /// What the recipients get if no other address does better.
    pub(crate) outcome: Outcome,
    /// STARTTLS was the trouble: not offered, or the handshake failed. Only opportunistic
    /// TLS towards mail exchangers (feature `mx`) acts on it.
    #[cfg_attr(not(feature = "mx"), allow(dead_code))]
    pub(crate) tls: bool,
}

/// One connection to `endpoint` (`label` names it in logs and traces) carrying the batch.
/// `Err` when the next hop was not reached or refused at its greeting, before any MAIL FROM,
/// so that trying another address cannot deliver twice.
pub(crate) async fn send(
    ctx: &Context,
    batch: &Batch<'_>,
    endpoint: Endpoint,
    label: &str,
) -> Result<Vec<(String, Outcome)>, Unreached> {
    let options = SubmitOptions::new(endpoint).hostname(ctx.config.hostname.clone());
    let message = match ctx.queue.open_message(&batch.item.id) {
        Ok(file) => file,
        Err(e) => {
            return Ok(batch.every(&Outcome::Deferred(format!(
                "reading the queued message: {e}"
            ))));
        }
    };
    let to: Vec<&str> = batch.recipients.iter().map(String::as_str).collect();
    let trace = ctx.client_tap(format!("{} relay to {label}", ctx.config.hostname));
    // A next hop that accepts and then says nothing must not hold the queue: the attempt is
    // bounded as a whole, and deferred when it runs out.
    let attempt = proto_io::submit::submit_async(&options, &batch.item.from, &to, message, trace);
    let Ok(result) = tokio::time::timeout(ATTEMPT_TIMEOUT, attempt).await else {
        return Ok(batch.every(&Outcome::Deferred(format!(
            "no answer from {label} within {} s",
            ATTEMPT_TIMEOUT.as_secs()
        ))));
    };
    match result {
        Ok(report) => {
            let mut outcomes: Vec<(String, Outcome)> = report
                .accepted
                .into_iter()
                .map(|r| (r, Outcome::Delivered))
                .collect();
            for (r, reply) in report.refused {
                outcomes.push((r, outcome_of(reply.code().get(), &reply.text())));
            }
            Ok(outcomes)
        }
        Err(SubmitError::NoRecipient(refused)) => Ok(refused
            .into_iter()
            .map(|(r, reply)| (r, outcome_of(reply.code().get(), &reply.text())))
            .collect()),
        Err(e) => unreached(e, label).map(|outcome| batch.every(&outcome)),
    }
}

/// Sorts a failed submission: `Err` when the transaction never started (see [`send`]),
/// otherwise the outcome for every recipient.
fn unreached(error: SubmitError, label: &str) -> Result<Outcome, Unreached> {
    let tls = matches!(
        error,
        SubmitError::Drive(DriveError::Protocol(ProtocolError::TlsRequired))
            | SubmitError::Drive(DriveError::Tls(_))
    );
    match error {
        SubmitError::Connect(e) => Err(Unreached {
            outcome: Outcome::Deferred(format!("{label}: connect: {e}")),
            tls,
        }),
        SubmitError::Refused {
            stage: "greeting",
            reply,
        } => Err(Unreached {
            outcome: outcome_of(reply.code().get(), &reply.text()),
            tls,
        }),
        SubmitError::Refused { reply, .. } => Ok(outcome_of(reply.code().get(), &reply.text())),
        e if tls => Err(Unreached {
            outcome: Outcome::Deferred(format!("{label}: {e}")),
            tls,
        }),
        e => Ok(Outcome::Deferred(e.to_string())),
    }
}

fn outcome_of(code: u16, text: &str) -> Outcome {
    let line = format!("{code} {text}");
    if (500..600).contains(&code) {
        Outcome::Failed(line)
    } else {
        Outcome::Deferred(line)
    }
}

/// Queues the notification to the sender (from `<>`, so it is never bounced itself) and
/// removes the item.
fn notify_sender(ctx: &Context, item: &QueueItem) -> Result<(), mailstore::Error> {
    if !item.from.is_empty() {
        let dsn = ctx
            .queue
            .build_dsn(item, &ctx.config.hostname, SystemTime::now())?;
        let sender = item.from.clone();
        let local = sender
            .rsplit_once('@')
            .filter(|(_, domain)| ctx.config.is_local(domain))
            .map(|(user, _)| user.to_ascii_lowercase());
        match local {
            Some(user) if ctx.users.contains(&user) => {
                ctx.maildir(&user)?.deliver(&dsn)?;
            }
            _ => {
                let envelope = Envelope::new("", [sender]);
                ctx.queue
                    .enqueue(&envelope, [dsn.as_slice()], SystemTime::now())?;
            }
        }
    }
    ctx.queue.complete(&item.id)
}

#[cfg(all(test, feature = "mx"))]
mod tests {
    use super::*;

    #[test]
    fn any_temporary_failure_defers_and_only_permanent_ones_fail() {
        let mut failures = Failures::default();
        failures.note(Outcome::Failed("550 5.4.4 a has no address".into()));
        failures.note(Outcome::Deferred("connect: refused".into()));
        failures.note(Outcome::Failed("554 5.0.0 go away".into()));
        assert_eq!(
            failures.verdict("d"),
            Outcome::Deferred("connect: refused".into())
        );
        let mut failures = Failures::default();
        failures.note(Outcome::Failed("550 5.4.4 a has no address".into()));
        assert!(matches!(failures.verdict("d"), Outcome::Failed(_)));
        assert!(matches!(
            Failures::default().verdict("d"),
            Outcome::Deferred(line) if line.starts_with("451 4.4.4 ")
        ));
    }
}
