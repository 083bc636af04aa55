#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod auth;
mod canonical;
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
use proto_io::serve::{POP3_REFUSAL, SMTP_REFUSAL, ServeConfig, serve};
use proto_io::{ServerTls, TraceSink};
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
    #[error("mail store: {0}")]
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

/// Loads the certificate, or makes a self-signed one for the host name and localhost.
fn server_tls(config: &Config) -> Result<(ServerTls, String), StartError> {
    let io = |what: &str, source| StartError::Io {
        what: what.into(),
        source,
    };
    if let (Some(cert), Some(key)) = (&config.tls.cert, &config.tls.key) {
        let cert_pem = std::fs::read(cert).map_err(|e| io("reading the certificate", e))?;
        let key_pem = std::fs::read(key).map_err(|e| io("reading the key", e))?;
        let tls =
            ServerTls::from_pem(&cert_pem, &key_pem).map_err(|e| StartError::Tls(e.to_string()))?;
        return Ok((tls, String::from_utf8_lossy(&cert_pem).into_owned()));
    }
    let names = vec![config.hostname.clone(), "localhost".to_string()];
    let generated =
        rcgen::generate_simple_self_signed(names).map_err(|e| StartError::Tls(e.to_string()))?;
    let cert_pem = generated.cert.pem();
    let tls = ServerTls::from_pem(
        cert_pem.as_bytes(),
        generated.key_pair.serialize_pem().as_bytes(),
    )
    .map_err(|e| StartError::Tls(e.to_string()))?;
    Ok((tls, cert_pem))
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
    let (tls, certificate_pem) = server_tls(&config)?;
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
        certificate_pem,
        tasks,
        relay,
    })
}
