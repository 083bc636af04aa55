#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cli;
mod conn;
pub mod error;
pub mod pop3;
pub mod send;
pub mod store;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::Parser;
use proto_io::{Collector, Direction};

pub use cli::Cli;
pub use error::{Error, exit};

/// What the program takes from its environment, passed in so that tests run in-process
/// without touching the process's own.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Env {
    /// The password from `MAILCLI_PASSWORD`, used when neither `--password` nor
    /// `--password-file` is given.
    pub password: Option<String>,
    /// Whether a progress bar may be drawn (standard error is a terminal).
    pub progress: bool,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("progress", &self.progress)
            .finish()
    }
}

impl Env {
    /// The process's environment: `MAILCLI_PASSWORD`, and a progress bar when standard
    /// error is a terminal.
    pub fn from_process() -> Self {
        Self {
            password: std::env::var("MAILCLI_PASSWORD").ok(),
            progress: std::io::stderr().is_terminal(),
        }
    }

    /// Sets the password that `MAILCLI_PASSWORD` would give.
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Allows or forbids the progress bar.
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }
}

/// Size limits. `Default` plus builder-style setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest message fetched (CRLF octets) or read with `send --file`: a larger one
    /// stops the fetch with an error before anything of it is stored.
    pub max_message_size: u64,
    /// The largest state file read.
    pub max_state_size: u64,
}

impl Limits {
    /// The default of [`Limits::max_message_size`]: 64 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;
    /// The default of [`Limits::max_state_size`]: 16 MiB (about 300,000 ids).
    pub const DEFAULT_MAX_STATE_SIZE: u64 = 16 * 1024 * 1024;

    /// Sets [`Limits::max_message_size`].
    pub fn max_message_size(mut self, n: u64) -> Self {
        self.max_message_size = n;
        self
    }

    /// Sets [`Limits::max_state_size`].
    pub fn max_state_size(mut self, n: u64) -> Self {
        self.max_state_size = n;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_state_size: Self::DEFAULT_MAX_STATE_SIZE,
        }
    }
}

/// Where a command writes: data and summaries on standard output, warnings on standard
/// error.
pub(crate) struct Output<'a> {
    pub(crate) stdout: &'a mut dyn Write,
    pub(crate) stderr: &'a mut dyn Write,
    pub(crate) quiet: bool,
}

impl Output<'_> {
    /// A line of the requested data (always printed).
    pub(crate) fn print(&mut self, line: &str) -> Result<(), Error> {
        writeln!(self.stdout, "{line}").map_err(Error::Output)
    }

    /// A summary line (not with `--quiet`).
    pub(crate) fn note(&mut self, line: &str) -> Result<(), Error> {
        if self.quiet {
            return Ok(());
        }
        self.print(line)
    }

    /// A warning on standard error.
    pub(crate) fn warn(&mut self, line: &str) {
        // Nothing better can be done when standard error is gone.
        let _ = writeln!(self.stderr, "mailcli: {line}");
    }
}

/// Parses `args` (the program name first) and runs the command; returns the exit code.
///
/// `--help` and `--version` print on `stdout` and give 0; a command line clap refuses gives
/// 2; a failed command prints `mailcli: <why>` on `stderr` and gives a code of [`exit`].
pub fn run<I, T>(args: I, env: &Env, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => execute(&cli, env, stdout, stderr),
        Err(e) => {
            let text = e.render().to_string();
            let written = if e.use_stderr() {
                stderr.write_all(text.as_bytes())
            } else {
                stdout.write_all(text.as_bytes())
            };
            if written.is_err() {
                return exit::IOERR;
            }
            e.exit_code()
        }
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn execute(cli: &Cli, env: &Env, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let collector = cli.trace.then(Collector::new);
    let mut out = Output {
        stdout,
        stderr,
        quiet: cli.quiet,
    };
    let result = match &cli.command {
        cli::Command::Send(args) => send::run(args, env, &mut out, collector.as_ref()),
        cli::Command::Pop3(cli::Pop3Command::List(args)) => {
            pop3::list(args, env, &mut out, collector.as_ref())
        }
        cli::Command::Pop3(cli::Pop3Command::Fetch(args)) => {
            pop3::fetch(args, env, &mut out, collector.as_ref())
        }
    };
    if let Some(collector) = collector {
        for line in collector.take() {
            let arrow = match line.direction {
                Direction::Sent => ">>",
                Direction::Received => "<<",
            };
            let _ = writeln!(out.stderr, "{} {arrow} {}", line.label, line.text);
        }
    }
    let _ = out.stdout.flush();
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            out.warn(&error::chain_text(&e));
            e.exit_code()
        }
    }
}
