//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Send mail over SMTP, and list or fetch POP3 mail into a Maildir or an mbox.
#[derive(Debug, Parser)]
#[command(name = "mailcli", version, propagate_version = true)]
pub struct Cli {
    /// Print the session transcript (credentials redacted, bodies summarised) on stderr.
    #[arg(long, global = true)]
    pub trace: bool,

    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const SEND_EXAMPLES: &str = "Examples:
  mailcli send -s smtp.example.org -u alice --password-file ~/.pass \\
      -f 'Alice <alice@example.org>' -t bob@example.net --subject Report \\
      --text 'See attached.' --attach report.pdf
  mailcli send -s smtp.example.org -u alice --file message.eml";

const FETCH_EXAMPLES: &str = "Examples:
  mailcli pop3 fetch -s pop.example.org -u bob --password-file ~/.pass --maildir ~/Maildir
  mailcli pop3 fetch -s pop.example.org --tls implicit -u bob --mbox old.mbox --delete";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a message: built from flags and attachments, or read from a file.
    #[command(after_help = SEND_EXAMPLES)]
    Send(Box<SendArgs>),
    /// List or fetch mail over POP3.
    #[command(subcommand)]
    Pop3(Pop3Command),
}

/// The POP3 subcommands.
#[derive(Debug, Subcommand)]
pub enum Pop3Command {
    /// List the messages in the maildrop (number, size, unique id).
    List(Box<ListArgs>),
    /// Fetch new messages (by UIDL) into a Maildir or an mbox; a second run fetches nothing
    /// twice.
    #[command(after_help = FETCH_EXAMPLES)]
    Fetch(Box<FetchArgs>),
}

/// How TLS is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// Plain first, then STARTTLS (SMTP, port 587) or STLS (POP3, port 110).
    Starttls,
    /// TLS from the first byte (SMTP port 465, POP3 port 995).
    Implicit,
    /// No TLS at all: trusted local links only.
    None,
}

/// Where to connect and who logs in. Its `Debug` output hides the password.
#[derive(Clone, Args)]
pub struct ConnectionArgs {
    /// The server's host name (also the name its certificate must carry).
    #[arg(long, short = 's', value_name = "HOST")]
    pub server: Option<String>,

    /// The port (by default from the protocol and --tls).
    #[arg(long, short = 'p')]
    pub port: Option<u16>,

    /// How TLS is used.
    #[arg(long, value_enum, default_value_t = TlsArg::Starttls)]
    pub tls: TlsArg,

    /// Trust the CA certificates of this PEM file instead of the Mozilla roots (a private CA,
    /// or a self-signed server's own certificate, such as mailserver's
    /// `<data_dir>/self-signed.pem`).
    #[arg(long, value_name = "PEM", conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,

    /// Trust the operating system's CA certificates instead of the Mozilla roots compiled in.
    #[arg(long, conflicts_with_all = ["insecure", "ca_file"])]
    pub system_roots: bool,

    /// Accept any server certificate (tests on loopback only: anyone can read the session).
    #[arg(long)]
    pub insecure: bool,

    /// The user name to log in with.
    #[arg(long, short = 'u')]
    pub user: Option<String>,

    /// The password (visible to other local users in the process list: prefer
    /// --password-file or the MAILCLI_PASSWORD environment variable).
    #[arg(long, conflicts_with = "password_file")]
    pub password: Option<String>,

    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Allow sending credentials without TLS (trusted local links only).
    #[arg(long)]
    pub allow_plaintext_auth: bool,

    /// How long the TCP connect may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub connect_timeout: u64,
}

/// `send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Where to connect and who logs in (AUTH when --user is given).
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The author (From), e.g. "Alice Martin <alice@example.org>"; also the envelope sender.
    #[arg(long, short = 'f')]
    pub from: Option<String>,

    /// A recipient (To), repeatable, or a comma-separated list. With --file: the envelope
    /// recipients, instead of the file's To, Cc and Bcc.
    #[arg(long, short = 't')]
    pub to: Vec<String>,

    /// A Cc recipient, repeatable.
    #[arg(long)]
    pub cc: Vec<String>,

    /// A Bcc recipient, repeatable (in the envelope only, not in the header).
    #[arg(long)]
    pub bcc: Vec<String>,

    /// The subject.
    #[arg(long)]
    pub subject: Option<String>,

    /// The text body.
    #[arg(long, conflicts_with = "text_file")]
    pub text: Option<String>,

    /// Read the text body from this file (UTF-8).
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,

    /// Read an HTML body from this file (UTF-8); with a text body: multipart/alternative.
    #[arg(long, value_name = "FILE")]
    pub html_file: Option<PathBuf>,

    /// Attach this file (repeatable); its media type is guessed from its extension.
    #[arg(long, short = 'a', value_name = "FILE")]
    pub attach: Vec<PathBuf>,

    /// An extra header field, "Name: value" (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub header: Vec<String>,

    /// Send this message file as it is ("-" for standard input) instead of building one.
    /// Envelope from --from and --to, or else from its From, To, Cc and Bcc (Bcc removed).
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "cc", "bcc", "subject", "text", "text_file", "html_file", "attach", "header",
    ])]
    pub file: Option<PathBuf>,

    /// The envelope sender (MAIL FROM), when it differs from --from; "" for the null path.
    #[arg(long, value_name = "ADDRESS")]
    pub envelope_from: Option<String>,

    /// The name sent with EHLO.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub ehlo: String,

    /// Speak LMTP (LHLO; one reply per recipient).
    #[arg(long)]
    pub lmtp: bool,

    /// Write the message to standard output instead of sending it.
    #[arg(long)]
    pub print: bool,

    /// The largest message file read with --file, in octets.
    #[arg(long, value_name = "OCTETS", default_value_t = crate::Limits::DEFAULT_MAX_MESSAGE_SIZE)]
    pub max_message_size: u64,
}

/// Where fetched mail goes.
#[derive(Debug, Clone, Args)]
#[group(multiple = false)]
pub struct TargetArgs {
    /// A Maildir (created when missing).
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,

    /// An mbox file (mboxrd; created when missing).
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
}

/// `pop3 list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Where to connect and who logs in.
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// How to log in: auto, user (USER/PASS), apop, or a SASL mechanism name.
    #[arg(long, value_name = "METHOD", default_value = "auto")]
    pub method: String,

    /// Mark each message as new or already fetched into this target.
    #[command(flatten)]
    pub target: TargetArgs,

    /// The state file of that target, when `pop3 fetch` was given one.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// `pop3 fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Where to connect and who logs in.
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// How to log in: auto, user (USER/PASS), apop, or a SASL mechanism name.
    #[arg(long, value_name = "METHOD", default_value = "auto")]
    pub method: String,

    /// Where the messages go (one of --maildir and --mbox is required).
    #[command(flatten)]
    pub target: TargetArgs,

    /// Delete each message from the server once it is stored (default: leave it there).
    #[arg(long)]
    pub delete: bool,

    /// The file that keeps the unique ids already fetched (default: .mailcli-uidl in the
    /// Maildir, or the mbox file name with .uidl added).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// The largest message accepted, in octets (CRLF counted); a larger one stops the fetch.
    #[arg(long, value_name = "OCTETS", default_value_t = crate::Limits::DEFAULT_MAX_MESSAGE_SIZE)]
    pub max_message_size: u64,
}

impl std::fmt::Debug for ConnectionArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionArgs")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("insecure", &self.insecure)
            .field("system_roots", &self.system_roots)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_file", &self.password_file)
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}
