//! `pop3 list` (a short session over [`proto_io::Driver`] with pop3-proto's client) and
//! `pop3 fetch` (proto-io's [`fetch_new`] into a [`MaildirSink`] or an [`MboxSink`]).

use std::collections::HashSet;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pop3_proto::Client;
use pop3_proto::{ClientConfig, ClientEvent, LoginMethod};
use pop3_proto::StatusLine;
use proto_core::CommandId;
use proto_io::fetch::{FetchError, FetchOptions, fetch_new};
use proto_io::{Collector, Driver, Endpoint, TlsMode, Trace, connect};
use sasl_proto::Credentials;

use crate::cli::{FetchArgs, ListArgs, TargetArgs};
use crate::conn::{self, Service};
use crate::error::{self, Error};
use crate::store::{MaildirSink, MboxSink, Stored, Target, UidlState};
use crate::{Env, Limits, Output};

/// Parses `--method`.
pub(crate) fn login_method(text: &str) -> Result<LoginMethod, Error> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(LoginMethod::Auto),
        "user" | "userpass" | "user-pass" => Ok(LoginMethod::UserPass),
        "apop" => Ok(LoginMethod::Apop),
        _ => text
            .parse::<sasl_proto::Mechanism>()
            .map(LoginMethod::Sasl)
            .map_err(|e| Error::Usage(format!("--method {text:?}: {e}"))),
    }
}

fn target(args: &TargetArgs) -> Option<Target> {
    match (&args.maildir, &args.mbox) {
        (Some(dir), _) => Some(Target::Maildir(dir.clone())),
        (None, Some(file)) => Some(Target::Mbox(file.clone())),
        (None, None) => None,
    }
}

fn required_credentials(
    args: &crate::cli::ConnectionArgs,
    env: &Env,
) -> Result<Credentials, Error> {
    conn::credentials(args, env)?.ok_or_else(|| Error::Usage("--user is required".into()))
}

fn trace_for(collector: Option<&Collector>, label: &str) -> Option<Trace> {
    collector.map(|c| Trace::new(label, Arc::new(c.clone())))
}

/// One message of the maildrop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its number in this session.
    pub number: u32,
    /// Its size in octets (CRLF line ends).
    pub size: u64,
    /// Its unique id, when the server has UIDL.
    pub uid: Option<String>,
}

/// Runs `pop3 list`.
pub(crate) fn list(
    args: &ListArgs,
    env: &Env,
    out: &mut Output<'_>,
    collector: Option<&Collector>,
) -> Result<(), Error> {
    let endpoint = conn::endpoint(&args.connection, Service::Pop3)?;
    let credentials = required_credentials(&args.connection, env)?;
    let method = login_method(&args.method)?;
    let label = conn::account_label(&endpoint, args.connection.user.as_deref());
    let state_path = match (&args.state, target(&args.target)) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(t)) => Some(t.default_state_path()),
        (None, None) => None,
    };
    let seen = match state_path {
        Some(path) => Some(
            UidlState::load(&path, &label, &Limits::default(), false)?
                .seen()
                .clone(),
        ),
        None => None,
    };
    let listing = list_session(
        &endpoint,
        credentials,
        method,
        args.connection.allow_plaintext_auth,
        trace_for(collector, &label),
    )
    .map_err(error::from_fetch)?;
    let total: u64 = listing.iter().map(|m| m.size).sum();
    for m in &listing {
        let uid = m.uid.as_deref().unwrap_or("-");
        let mark = match (&seen, &m.uid) {
            (Some(seen), Some(uid)) if seen.contains(uid) => "  fetched",
            (Some(_), _) => "  new",
            (None, _) => "",
        };
        out.print(&format!("{:>6} {:>10}  {uid}{mark}", m.number, m.size))?;
    }
    out.note(&format!("{} messages, {total} octets", listing.len()))
}

/// Logs in, lists (LIST and UIDL) and quits.
pub fn list_session(
    endpoint: &Endpoint,
    credentials: Credentials,
    method: LoginMethod,
    allow_plaintext: bool,
    trace: Option<Trace>,
) -> Result<Vec<Listed>, FetchError> {
    let connected = connect(endpoint).map_err(FetchError::Connect)?;
    let mut config = ClientConfig::new().with_plaintext_auth(allow_plaintext);
    // Implicit TLS, and only it, comes with the handshake's TlsInfo.
    if let Some(info) = connected.tls_info.clone() {
        config = config.with_tls_info(info);
    }
    let mut driver = Driver::new(Client::new(config), connected.stream);
    if let Some(upgrade) = connected.upgrade {
        driver = driver.with_tls_upgrade(upgrade);
    }
    if let Some(trace) = trace {
        driver = driver.with_trace(trace);
    }
    let mut s = Session {
        driver: &mut driver,
    };
    s.greeting()?;
    let capa = s.driver.machine().send_capa()?;
    s.answer("CAPA", capa)?;
    if endpoint.tls == TlsMode::StartTls {
        let stls = s.driver.machine().send_stls()?;
        let capa = loop {
            match s.next()? {
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
        s.answer("CAPA", capa)?;
    }
    let login = s.driver.machine().login(credentials, method)?;
    if let ClientEvent::LoginFailed { line, .. } = s.answer("login", login)? {
        return Err(FetchError::Refused {
            stage: "login",
            line,
        });
    }
    let list = s.driver.machine().send_list(None)?;
    let ClientEvent::List { entries, .. } = s.answer("LIST", list)? else {
        return Err(FetchError::Closed);
    };
    let mut listing: Vec<Listed> = entries
        .iter()
        .map(|e| Listed {
            number: e.number.get(),
            size: e.size,
            uid: None,
        })
        .collect();
    // UIDL is optional (RFC 1939 section 7): a server without it gives -ERR.
    let uidl = s.driver.machine().send_uidl(None)?;
    match s.answer("UIDL", uidl) {
        Ok(ClientEvent::Uidl { entries, .. }) => {
            for entry in entries {
                if let Some(m) = listing.iter_mut().find(|m| m.number == entry.number.get()) {
                    m.uid = Some(entry.uid.into_owned());
                }
            }
        }
        Ok(_) | Err(FetchError::Refused { stage: "UIDL", .. }) => {}
        Err(e) => return Err(e),
    }
    let quit = s.driver.machine().send_quit()?;
    s.answer("QUIT", quit)?;
    Ok(listing)
}

/// The blocking session steps of `pop3 list`.
struct Session<'a> {
    driver: &'a mut Driver<Client>,
}

impl Session<'_> {
    fn next(&mut self) -> Result<ClientEvent, FetchError> {
        match self.driver.next_event() {
            Ok(Some(ClientEvent::Closed { line, .. })) if !line.is_ok() => {
                Err(FetchError::Refused {
                    stage: "QUIT",
                    line,
                })
            }
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(FetchError::Closed),
            Err(e) => Err(FetchError::Drive(e)),
        }
    }

    fn greeting(&mut self) -> Result<(), FetchError> {
        loop {
            if let ClientEvent::Greeting { line, .. } = self.next()? {
                return refused_unless_ok("greeting", line);
            }
        }
    }

    /// Waits for the answer to `id`, failing on `-ERR`.
    fn answer(&mut self, stage: &'static str, id: CommandId) -> Result<ClientEvent, FetchError> {
        loop {
            let event = self.next()?;
            match event {
                ClientEvent::Err { id: got, line, .. } if got == id => {
                    return Err(FetchError::Refused { stage, line });
                }
                ClientEvent::Capabilities { id: got, .. }
                | ClientEvent::LoggedIn { id: got, .. }
                | ClientEvent::LoginFailed { id: got, .. }
                | ClientEvent::List { id: got, .. }
                | ClientEvent::Uidl { id: got, .. }
                | ClientEvent::Ok { id: got, .. }
                | ClientEvent::Closed { id: got, .. }
                    if got == id =>
                {
                    return Ok(event);
                }
                _ => {}
            }
        }
    }
}

fn refused_unless_ok(stage: &'static str, line: StatusLine<'static>) -> Result<(), FetchError> {
    if line.is_ok() {
        Ok(())
    } else {
        Err(FetchError::Refused { stage, line })
    }
}

/// Runs `pop3 fetch`.
pub(crate) fn fetch(
    args: &FetchArgs,
    env: &Env,
    out: &mut Output<'_>,
    collector: Option<&Collector>,
) -> Result<(), Error> {
    let Some(target) = target(&args.target) else {
        return Err(Error::Usage("give --maildir DIR or --mbox FILE".into()));
    };
    let endpoint = conn::endpoint(&args.connection, Service::Pop3)?;
    let credentials = required_credentials(&args.connection, env)?;
    let method = login_method(&args.method)?;
    let label = conn::account_label(&endpoint, args.connection.user.as_deref());
    let limits = Limits::default().max_message_size(args.max_message_size);
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| target.default_state_path());
    if let Target::Maildir(dir) = &target {
        // The state file lives in the Maildir: create it first.
        mailstore::Maildir::open_or_create(dir).map_err(|e| Error::Store(e.to_string()))?;
    }
    let mut state = UidlState::load(&state_path, &label, &limits, true)?;
    let seen: HashSet<String> = state.seen().iter().cloned().collect();
    let options = FetchOptions::new(endpoint, credentials)
        .method(method)
        .allow_plaintext(args.connection.allow_plaintext_auth)
        .delete(args.delete);
    let progress = if env.progress && !args.no_progress && !out.quiet {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg}, {bytes} ({binary_bytes_per_sec}, {elapsed})",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    let trace = trace_for(collector, &label);
    let (result, stored) = match &target {
        Target::Maildir(dir) => {
            let mut sink = MaildirSink::open(dir, &limits, &mut state, &progress)?;
            let r = fetch_new(&options, &seen, &mut sink, trace);
            (r, sink.stored)
        }
        Target::Mbox(file) => {
            let mut sink = MboxSink::open(file, &limits, &mut state, &progress)?;
            let r = fetch_new(&options, &seen, &mut sink, trace);
            (r, sink.stored)
        }
    };
    progress.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            if stored.messages > 0 {
                out.warn(&format!(
                    "{} messages were stored before the failure; they will not be fetched again",
                    stored.messages
                ));
            }
            return Err(error::from_fetch(e));
        }
    };
    state
        .forget(&report.gone)
        .map_err(|e| Error::Store(format!("{}: {e}", state_path.display())))?;
    summary(out, &stored, report.deleted, &target)
}

fn summary(
    out: &mut Output<'_>,
    stored: &Stored,
    deleted: usize,
    target: &Target,
) -> Result<(), Error> {
    let place = match target {
        Target::Maildir(p) | Target::Mbox(p) => p.display().to_string(),
    };
    let mut text = format!(
        "fetched {} new messages ({} octets) into {place}",
        stored.messages, stored.octets
    );
    if deleted > 0 {
        text.push_str(&format!("; {deleted} deleted on the server"));
    }
    out.note(&text)
}
