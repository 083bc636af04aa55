//! The `mailserver` program: `mailserver --config mailserver.toml`, or `mailserver passwd`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mailserver::Config;

/// How mail for other domains finds its next hop, for the end of --help.
const RELAY_HELP: &str = "\
Mail for other domains goes to the next hop of [routes.\"DOMAIN\"] (address = \"host:port\").
A domain without a route fails (5.4.4) unless MX lookup is on: built with the `mx` feature
(cargo build -p mailserver --features mx) and enabled by --mx or the configuration:

  [relay]
  mx = true                          # look up MX, then A/AAAA (RFC 5321 section 5.1)
  nameservers = [\"192.0.2.53\"]       # ip or ip:port; default: /etc/resolv.conf
  mx_port = 25                       # the exchangers' SMTP port
  tls = \"opportunistic\"              # or \"required\" or \"none\" (certificates not checked)
  dns_timeout_ms = 5000              # per query; a timeout or SERVFAIL defers, NXDOMAIN and
                                     # a null MX (RFC 7505) bounce";

/// A small real mail server: SMTP (MX and submission), LMTP and POP3 over Maildir.
#[derive(Parser, Debug)]
#[command(version, about, after_help = RELAY_HELP)]
struct Cli {
    /// The TOML configuration file (defaults run on 127.0.0.1 high ports).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The data directory (overrides the configuration).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log what crosses each socket (credentials redacted).
    #[arg(long)]
    trace: bool,
    /// Look up the mail exchangers of domains without a route in DNS ([relay] mx = true;
    /// needs the `mx` feature).
    #[arg(long)]
    mx: bool,
    /// A DNS server for MX lookup, ip or ip:port; repeat for more (replaces [relay]
    /// nameservers; default /etc/resolv.conf).
    #[arg(long = "nameserver", value_name = "ADDR")]
    nameservers: Vec<String>,
    /// The SMTP port of mail exchangers found through DNS ([relay] mx_port, default 25).
    #[arg(long, value_name = "PORT")]
    mx_port: Option<u16>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves mail (the default).
    Run,
    /// Sets a user's password (read from standard input): writes the argon2 hash and the
    /// SCRAM keys to the users file.
    Passwd {
        /// The user name (the local part of the user's address).
        user: String,
        /// Also keep the plaintext-equivalent secret that CRAM-MD5 and APOP need.
        #[arg(long)]
        allow_plain_secret: bool,
    },
}

fn load(cli: &Cli) -> Result<Config, String> {
    let mut config = match &cli.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::default(),
    };
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    config.relay.mx |= cli.mx;
    if !cli.nameservers.is_empty() {
        config.relay.nameservers = cli.nameservers.clone();
    }
    if let Some(port) = cli.mx_port {
        config.relay.mx_port = port;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if cli.trace {
            "info,proto_io::wire=debug"
        } else {
            "info"
        })
    });
    let colour = mailserver::log_in_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    let config = match load(&cli) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("mailserver: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Passwd {
            user,
            allow_plain_secret,
        }) => {
            let mut password = String::new();
            if std::io::stdin().lock().read_line(&mut password).is_err() {
                eprintln!("mailserver: could not read the password from standard input");
                return ExitCode::from(2);
            }
            let password = password.trim_end_matches(['\r', '\n']);
            if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
                eprintln!("mailserver: {}", proto_io::error_chain(&e));
                return ExitCode::FAILURE;
            }
            match mailserver::users::set_password(
                &config.users_file(),
                &user,
                password,
                allow_plain_secret,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("mailserver: {}", proto_io::error_chain(&e));
                    ExitCode::FAILURE
                }
            }
        }
        None | Some(Command::Run) => run(config, cli.trace),
    }
}

fn run(config: Config, trace: bool) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mailserver: {}", proto_io::error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let sink: Option<std::sync::Arc<dyn proto_io::TraceSink>> = trace.then(|| {
            let sink: std::sync::Arc<dyn proto_io::TraceSink> =
                std::sync::Arc::new(proto_io::TracingSink);
            sink
        });
        let running = match mailserver::start(config, sink).await {
            Ok(running) => running,
            Err(e) => {
                eprintln!("mailserver: {}", proto_io::error_chain(&e));
                return ExitCode::FAILURE;
            }
        };
        let signal = match stop_signal() {
            Ok(signal) => signal,
            Err(e) => {
                eprintln!("mailserver: listening for signals: {e}");
                running.shutdown().await;
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(addresses = ?running.addresses, "serving; Ctrl-C or SIGTERM stops");
        let name = signal.await;
        tracing::info!(signal = name, "shutting down");
        running.shutdown().await;
        tracing::info!("stopped");
        ExitCode::SUCCESS
    })
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM (what `kill`, systemd and container runtimes send)
/// and gives its name: both stop the server the same clean way. The handlers are installed
/// before this returns, so a signal sent after the "serving" line is never missed.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}
