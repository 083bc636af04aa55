//! What a program using these crates from outside the workspace writes to send a message
//! with attachments over verified TLS and read it back over POP3 with SCRAM. The workspace
//! README shows [`send`] and [`fetch`] as they are here; `tests/round_trip.rs` runs them
//! against the project's mail server on loopback.
#![forbid(unsafe_code)]

// example code begins
use std::{collections::HashSet, error::Error, path::Path};

use proto_io::fetch::{Collect, FetchOptions, fetch_new};
use proto_io::rfc5322::{Mailbox, MessageBuilder, builder::Attachment};
use proto_io::submit::{SubmitOptions, submit_message};
use proto_io::{Credentials, Endpoint, LoginMethod, TlsMode, Trust, sasl_proto::Mechanism};

/// Alice sends Bob a report with two attachments, trusting the server's CA from `ca_file`.
pub fn send(host: &str, port: u16, ca_file: &Path) -> Result<(), Box<dyn Error>> {
    let message = MessageBuilder::new()
        .from(Mailbox::parse("Alice <alice@example.org>")?)
        .to(Mailbox::parse("Bob <bob@example.org>")?)
        .subject("Quarterly report")
        .text("Hi Bob,\nthe report and its chart are attached.\n")
        .attachment(Attachment::new("application/pdf", &b"%PDF-1.4 ..."[..]).filename("report.pdf"))
        .attachment(Attachment::new("image/png", &b"\x89PNG\r\n..."[..]).filename("chart.png"))
        .build_outgoing()?;
    let server = Endpoint::new(host, port, TlsMode::StartTls).trust(Trust::ca_file(ca_file)?);
    let options =
        SubmitOptions::new(server).credentials(Credentials::password("alice", "alice's secret"));
    submit_message(&options, &message, None)?;
    Ok(())
}

/// Bob downloads his new messages with SCRAM-SHA-256 after STLS.
pub fn fetch(host: &str, port: u16, ca_file: &Path) -> Result<Vec<Vec<u8>>, Box<dyn Error>> {
    let server = Endpoint::new(host, port, TlsMode::StartTls).trust(Trust::ca_file(ca_file)?);
    let scram = LoginMethod::Sasl(Mechanism::ScramSha256);
    let options = FetchOptions::new(server, Credentials::password("bob", "bob's secret"));
    let mut inbox = Collect::default();
    fetch_new(&options.method(scram), &HashSet::new(), &mut inbox, None)?;
    Ok(inbox.messages.into_iter().map(|(_uid, m)| m).collect())
}
// example code ends
