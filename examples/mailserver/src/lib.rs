#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod auth;
mod canonical;
pub mod certificate;
pub mod config;
mod maintenance;
#[cfg(feature = "mx")]
pub mod mx;
pub mod offload;
pub mod pop3;
pub mod relay;
pub mod sender;
pub mod smtp;
pub mod throttle;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use mailstore::{Maildir, Queue};
use proto_io::TraceSink;
use proto_io::serve::{POP3_REFUSAL, SMTP_REFUSAL, ServeConfig, serve};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use config::Config;
use users::Users;

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A listening socket, the data directory or a certificate file.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The mail store or the queue.
    #[error("mail store")]
    Store(#[from] mailstore::Error),
    /// The users file.
    #[error(transparent)]
    Users(#[from] users::UsersError),
    /// The certificate.
    #[error("TLS: {0}")]
    Tls(String),
    /// A setting that cannot be served (MX lookup without the `mx` feature, a bad name
    /// server, no /etc/resolv.conf).
    #[error("configuration: {0}")]
    Config(String),
}

/// What every session shares.
pub struct Context {
    /// The configuration.
    pub config: Config,
    /// The users.
    pub users: Arc<Users>,
    /// The relay queue.
    pub queue: Queue,
    /// Wakes the relay worker when a message was queued.
    pub relay_wake: Notify,
    /// Where sessions and relay attempts tap what crosses their sockets (redacted).
    pub trace: Option<Arc<dyn TraceSink>>,
    /// Turns true when the server shuts down: SMTP sessions answer 421 and close.
    pub shutting_down: tokio::sync::watch::Sender<bool>,
    /// Slows failed logins down and locks out, per address and per user.
    pub throttle: throttle::LoginThrottle,
    /// Password hashing, off the async workers.
    pub hashing: offload::HashPool,
    /// The hook of [`Hooks::maildrop_open`], if any.
    pub maildrop_open: Option<MaildropHook>,
    /// The resolver for domains without a route, when `[relay] mx` is on.
    #[cfg(feature = "mx")]
    pub mx: Option<mx::MxResolver>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .field("trace", &self.trace.is_some())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The Maildir of `user` (created on first use).
    pub fn maildir(&self, user: &str) -> Result<Maildir, mailstore::Error> {
        Ok(
            Maildir::open_or_create(self.config.data_dir.join("mail").join(user))?
                .with_hostname(&self.config.hostname),
        )
    }

    /// A trace tap for a server session labelled `label`, if tracing is on.
    pub fn tap(&self, label: String) -> Option<proto_io::Trace> {
        self.trace
            .as_ref()
            .map(|sink| proto_io::Trace::server(label, sink.clone()))
    }

    /// A trace tap for a relay attempt (this server is the client), if tracing is on.
    pub fn client_tap(&self, label: String) -> Option<proto_io::Trace> {
        self.trace
            .as_ref()
            .map(|sink| proto_io::Trace::new(label, sink.clone()))
    }

    /// Tells the relay worker there is work.
    pub fn wake_relay(&self) {
        self.relay_wake.notify_one();
    }
}

/// The addresses a running server listens on (ports chosen by the OS when 0 was asked).
#[derive(Debug, Clone, Default)]
pub struct Addresses {
    /// SMTP (MX).
    pub smtp: Option<SocketAddr>,
    /// Submission with STARTTLS.
    pub submission: Option<SocketAddr>,
    /// Submission over implicit TLS.
    pub submissions: Option<SocketAddr>,
    /// LMTP.
    pub lmtp: Option<SocketAddr>,
    /// POP3 with STLS.
    pub pop3: Option<SocketAddr>,
    /// POP3 over implicit TLS.
    pub pop3s: Option<SocketAddr>,
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addresses: Addresses,
    /// What its sessions share.
    pub context: Arc<Context>,
    /// The certificate it presents (PEM), for clients that pin it.
    pub certificate_pem: String,
    /// The file of that certificate: the configured one, or the self-signed one kept in the
    /// data directory ([`certificate::SELF_SIGNED_CERT`]), which clients can trust as a CA
    /// file.
    pub certificate_path: std::path::PathBuf,
    /// What was logged as a warning about that certificate at start (a CA certificate used
    /// as the server's own).
    pub certificate_warnings: Vec<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, tells SMTP sessions under way to answer 421 and close, stops the relay
    /// worker, and waits for the listeners to end.
    pub async fn shutdown(self) {
        self.context.shutting_down.send_replace(true);
        // The relay worker may be inside an attempt: stop it there. The queue is durable, and
        // an interrupted attempt is simply made again after a restart.
        if let Some(relay) = &self.relay {
            relay.abort();
        }
        for task in self.tasks.into_iter().chain(self.relay) {
            let _ = task.await;
        }
        // Sessions still running hold the context (and with it the queue's lock): give them
        // a moment to see the shutdown and end, so that a restart on the same data finds
        // the lock free.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::sync::Arc::strong_count(&self.context) > 1
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Whether the log is written in colour: only to a terminal, and not when the `NO_COLOR`
/// environment variable is set to anything but the empty string (no-color.org), so that a
/// log file or a journal gets no escape codes.
pub fn log_in_colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

/// A hook called with a user's name on the blocking path of a POP3 login (see
/// [`Hooks::maildrop_open`]).
pub type MaildropHook = Arc<dyn Fn(&str) + Send + Sync>;

/// What a server can be given besides its configuration (tests use it).
#[derive(Default)]
pub struct Hooks {
    /// Checks passwords instead of the users file's argon2 hashes.
    pub password_check: Option<Arc<dyn offload::PasswordCheck>>,
    /// Called with the user's name, on the blocking path, before a POP3 login locks and lists
    /// the maildrop: a test can hold it there as a slow disk or a held lock would.
    pub maildrop_open: Option<MaildropHook>,
}

/// Starts every configured listener and the relay worker.
pub async fn start(
    config: Config,
    trace: Option<Arc<dyn TraceSink>>,
) -> Result<Running, StartError> {
    start_with(config, trace, Hooks::default()).await
}

/// Starts the server as [`start`] does, with `hooks`.
pub async fn start_with(
    config: Config,
    trace: Option<Arc<dyn TraceSink>>,
    hooks: Hooks,
) -> Result<Running, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::Io {
        what: format!("creating {}", config.data_dir.display()),
        source,
    })?;
    let users = Arc::new(Users::load(&config.users_file())?);
    let queue = Queue::open(config.data_dir.join("queue"))?.with_retry(config.retry.retry());
    let certificate = certificate::load(&config)?;
    for warning in &certificate.warnings {
        tracing::warn!("{warning}");
    }
    if certificate.self_signed {
        tracing::info!(
            certificate = %certificate.path.display(),
            "self-signed certificate: clients trust it as a CA file (mailcli --ca-file, \
             Endpoint::trust(Trust::ca_file(..)))"
        );
    } else {
        tracing::info!(certificate = %certificate.path.display(), "certificate");
    }
    let tls = certificate.tls;
    let certificate_warnings = certificate.warnings;
    #[cfg(feature = "mx")]
    let mx = match config.relay.mx {
        true => Some(mx::MxResolver::new(&config.relay).map_err(StartError::Config)?),
        false => None,
    };
    #[cfg(not(feature = "mx"))]
    if config.relay.mx {
        return Err(StartError::Config(
            "[relay] mx = true needs mailserver built with the `mx` feature".into(),
        ));
    }
    let password_check = hooks.password_check.unwrap_or_else(|| users.clone());
    let context = Arc::new(Context {
        throttle: throttle::LoginThrottle::new(config.login_throttle.clone()),
        hashing: offload::HashPool::new(config.limits.hash_workers, password_check),
        maildrop_open: hooks.maildrop_open,
        config,
        users,
        queue,
        relay_wake: Notify::new(),
        trace,
        shutting_down: tokio::sync::watch::Sender::new(false),
        #[cfg(feature = "mx")]
        mx,
    });
    let mut tasks = Vec::new();
    let mut addresses = Addresses::default();
    let listen = context.config.listen.clone();
    let limits = &context.config.limits;
    let serve_config = |implicit: bool, refusal_line: &str| ServeConfig {
        tls: Some(tls.clone()),
        implicit_tls: implicit,
        max_connections: limits.max_connections,
        max_per_ip: limits.max_per_ip,
        refusal_line: refusal_line.into(),
    };

    type Handler = fn(
        Arc<Context>,
        proto_io::serve::Accepted,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
    // Each listener: where, implicit TLS, the session, where it was bound, and the protocol's
    // refusal of a connection past the caps (written by `serve`).
    type Listener<'a> = (
        Option<SocketAddr>,
        bool,
        Handler,
        &'a mut Option<SocketAddr>,
        &'static str,
    );
    let listeners: [Listener<'_>; 6] = [
        (
            listen.smtp,
            false,
            |c, a| Box::pin(smtp::session(c, smtp::Role::Mx, a)),
            &mut addresses.smtp,
            SMTP_REFUSAL,
        ),
        (
            listen.submission,
            false,
            |c, a| Box::pin(smtp::session(c, smtp::Role::Submission, a)),
            &mut addresses.submission,
            SMTP_REFUSAL,
        ),
        (
            listen.submissions,
            true,
            |c, a| Box::pin(smtp::session(c, smtp::Role::Submission, a)),
            &mut addresses.submissions,
            SMTP_REFUSAL,
        ),
        (
            listen.lmtp,
            false,
            |c, a| Box::pin(smtp::session(c, smtp::Role::Lmtp, a)),
            &mut addresses.lmtp,
            SMTP_REFUSAL,
        ),
        (
            listen.pop3,
            false,
            |c, a| Box::pin(pop3::session(c, a)),
            &mut addresses.pop3,
            POP3_REFUSAL,
        ),
        (
            listen.pop3s,
            true,
            |c, a| Box::pin(pop3::session(c, a)),
            &mut addresses.pop3s,
            POP3_REFUSAL,
        ),
    ];
    for (address, implicit, handler, bound, refusal) in listeners {
        let Some(address) = address else { continue };
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Io {
                what: format!("listening on {address}"),
                source,
            })?;
        *bound = listener.local_addr().ok();
        let ctx = context.clone();
        let mut down = context.shutting_down.subscribe();
        let config = serve_config(implicit, refusal);
        tasks.push(tokio::spawn(async move {
            let handle = move |accepted| handler(ctx.clone(), accepted);
            if let Err(e) = serve(listener, config, handle, async move {
                smtp::shut_down(&mut down).await
            })
            .await
            {
                tracing::error!("listener {address}: {e}");
            }
        }));
    }
    tasks.push(maintenance::start(context.clone()));
    let relay = Some(tokio::spawn(relay::run(context.clone())));
    Ok(Running {
        addresses,
        context,
        certificate_pem: certificate.pem,
        certificate_path: certificate.path,
        certificate_warnings,
        tasks,
        relay,
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::log_in_colour;

    #[test]
    fn colour_only_on_a_terminal_and_without_no_color() {
        assert!(log_in_colour(true, None));
        assert!(
            !log_in_colour(false, None),
            "a pipe or a file gets no escape codes"
        );
        assert!(!log_in_colour(true, Some(OsStr::new("1"))));
        assert!(
            log_in_colour(true, Some(OsStr::new(""))),
            "NO_COLOR empty is unset"
        );
        assert!(!log_in_colour(false, Some(OsStr::new("1"))));
    }
}
