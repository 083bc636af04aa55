//! The relay worker: takes due queue items, hands each recipient to the next hop of its
//! domain (a static route table), records per-recipient outcomes with backoff, and sends the
//! sender a delivery status notification when recipients fail or the retry window ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailstore::{Envelope, Outcome, QueueItem};
use proto_io::submit::{SubmitError, SubmitOptions};
use proto_io::{Endpoint, TlsMode, Trust};

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
        let Some(route) = ctx.config.routes.get(&domain) else {
            for r in recipients {
                outcomes.push((
                    r,
                    Outcome::Failed(format!("550 5.4.4 No route to {domain}")),
                ));
            }
            continue;
        };
        outcomes.extend(deliver(ctx, item, route, recipients).await);
    }
    let refs: Vec<(&str, Outcome)> = outcomes
        .iter()
        .map(|(a, o)| (a.as_str(), o.clone()))
        .collect();
    if let Err(e) = ctx.queue.update(&item.id, &refs, SystemTime::now()) {
        tracing::warn!(id = %item.id, "recording an attempt: {e}");
    }
}

async fn deliver(
    ctx: &Context,
    item: &QueueItem,
    route: &Route,
    recipients: Vec<String>,
) -> Vec<(String, Outcome)> {
    let every = |outcome: Outcome| {
        recipients
            .iter()
            .map(|r| (r.clone(), outcome.clone()))
            .collect::<Vec<_>>()
    };
    let Some((host, port)) = route
        .address
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
    else {
        return every(Outcome::Failed(format!(
            "550 5.4.4 Bad route {}",
            route.address
        )));
    };
    let trust = if route.insecure {
        Trust::AcceptInvalidCertificates
    } else if let Some(file) = &route.ca_file {
        match Trust::ca_file(file) {
            Ok(trust) => trust,
            Err(e) => return every(Outcome::Deferred(format!("CA file: {e}"))),
        }
    } else {
        Trust::WebPkiRoots
    };
    let tls = if route.starttls {
        TlsMode::StartTls
    } else {
        TlsMode::Plain
    };
    let options = SubmitOptions::new(Endpoint::new(host, port, tls).trust(trust))
        .hostname(ctx.config.hostname.clone());
    let message = match ctx.queue.open_message(&item.id) {
        Ok(file) => file,
        Err(e) => {
            return every(Outcome::Deferred(format!(
                "reading the queued message: {e}"
            )));
        }
    };
    let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let trace = ctx.client_tap(format!(
        "{} relay to {}",
        ctx.config.hostname, route.address
    ));
    // A next hop that accepts and then says nothing must not hold the queue: the attempt is
    // bounded as a whole, and deferred when it runs out.
    let attempt = proto_io::submit::submit_async(&options, &item.from, &to, message, trace);
    let Ok(result) = tokio::time::timeout(ATTEMPT_TIMEOUT, attempt).await else {
        return every(Outcome::Deferred(format!(
            "no answer from {} within {} s",
            route.address,
            ATTEMPT_TIMEOUT.as_secs()
        )));
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
            outcomes
        }
        Err(SubmitError::Refused { reply, .. }) => {
            every(outcome_of(reply.code().get(), &reply.text()))
        }
        Err(SubmitError::NoRecipient(refused)) => refused
            .into_iter()
            .map(|(r, reply)| (r, outcome_of(reply.code().get(), &reply.text())))
            .collect(),
        Err(e) => every(Outcome::Deferred(e.to_string())),
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
