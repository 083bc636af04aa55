//! `send`: build a message with [`rfc5322::MessageBuilder`] (or read one from a file) and
//! submit it with [`proto_io::submit::submit`].

use std::io::Read;
use std::path::Path;

use proto_io::submit::{SubmitOptions, SubmitReport, submit};
use proto_io::{Collector, Trace};
use rfc5322::builder::Attachment;
use rfc5322::field::addr_spec::parse_addr_spec_strict;
use rfc5322::field::address::parse_address_list;
use rfc5322::{Address, Mailbox, Message, MessageBuilder};
use smtp_proto::MessageDeclaration;

use crate::cli::SendArgs;
use crate::conn::{self, Service};
use crate::error::{self, Error};
use crate::{Env, Output};

/// How deep address groups may nest when flags are parsed (they do not nest at all in RFC
/// 5322; the parser only needs a bound).
const ADDRESS_DEPTH: usize = 8;

/// Runs `send`.
pub(crate) fn run(
    args: &SendArgs,
    env: &Env,
    out: &mut Output<'_>,
    collector: Option<&Collector>,
) -> Result<(), Error> {
    let prepared = if let Some(path) = &args.file {
        from_file(args, path)?
    } else {
        built(args)?
    };
    if args.print {
        out.stdout
            .write_all(&prepared.message)
            .map_err(Error::Output)?;
        return Ok(());
    }
    if prepared.recipients.is_empty() {
        return Err(Error::Usage(
            "no recipient: give --to (or a file with To, Cc or Bcc)".into(),
        ));
    }
    let service = if args.lmtp {
        Service::Lmtp
    } else {
        Service::Submission
    };
    let endpoint = conn::endpoint(&args.connection, service)?;
    let credentials = conn::credentials(&args.connection, env)?;
    let label = conn::account_label(&endpoint, args.connection.user.as_deref());
    let mut options = SubmitOptions::new(endpoint)
        .hostname(args.ehlo.clone())
        .allow_plaintext_auth(args.connection.allow_plaintext_auth)
        .lmtp(args.lmtp)
        .info(message_info(&prepared));
    if let Some(credentials) = credentials {
        options = options.credentials(credentials);
    }
    let trace = collector.map(|c| Trace::new(label, std::sync::Arc::new(c.clone())));
    let to: Vec<&str> = prepared.recipients.iter().map(String::as_str).collect();
    let report = submit(
        &options,
        &prepared.envelope_from,
        &to,
        prepared.message.as_slice(),
        trace,
    )
    .map_err(error::from_submit)?;
    print_report(&report, out)
}

fn print_report(report: &SubmitReport, out: &mut Output<'_>) -> Result<(), Error> {
    for (address, reply) in &report.refused {
        out.warn(&format!(
            "refused: {address}: {} {}",
            reply.code().get(),
            reply.text()
        ));
    }
    for (address, reply) in &report.deliveries {
        out.note(&format!(
            "delivery to {address}: {} {}",
            reply.code().get(),
            reply.text()
        ))?;
    }
    let reply = report
        .reply
        .as_ref()
        .map(|r| format!(" ({} {})", r.code().get(), r.text()))
        .unwrap_or_default();
    out.note(&format!("sent to {}{reply}", report.accepted.join(", ")))
}

/// A message ready to go, with its envelope.
#[derive(Debug)]
struct Prepared {
    message: Vec<u8>,
    envelope_from: String,
    recipients: Vec<String>,
    /// Some address holds non-ASCII characters (needs SMTPUTF8).
    utf8_addresses: bool,
}

/// What the message needs from the server, from its bytes and envelope.
fn message_info(p: &Prepared) -> MessageDeclaration {
    let header_end = find_header_end(&p.message);
    let (head, body) = p.message.split_at(header_end.min(p.message.len()));
    MessageDeclaration::new()
        .with_size(p.message.len() as u64)
        .with_eight_bit(body.iter().any(|&b| b >= 0x80))
        .with_binary(memchr_nul(&p.message))
        .with_utf8(p.utf8_addresses || head.iter().any(|&b| b >= 0x80))
}

fn memchr_nul(data: &[u8]) -> bool {
    data.contains(&0)
}

/// The offset just past the empty line that ends the header (or the end).
fn find_header_end(data: &[u8]) -> usize {
    let mut at = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if line == b"\r\n" || line == b"\n" {
            return at;
        }
    }
    data.len()
}

/// Parses one flag value: a mailbox or a comma-separated list, each addr-spec checked
/// strictly (RFC 5322 section 3.4.1).
fn parse_addresses<'a>(flag: &str, value: &'a str) -> Result<Vec<Address<'a>>, Error> {
    let bad = || Error::Usage(format!("{flag}: invalid address {value:?}"));
    if value.contains(['\r', '\n']) {
        return Err(bad());
    }
    let mut defects = Vec::new();
    let list = parse_address_list(value.as_bytes(), ADDRESS_DEPTH, &mut defects, 0);
    if list.is_empty() || !defects.is_empty() {
        return Err(bad());
    }
    for address in &list {
        for mailbox in address.mailboxes() {
            parse_addr_spec_strict(mailbox.addr_spec().as_bytes()).map_err(|_| bad())?;
        }
    }
    Ok(list)
}

fn parse_mailbox<'a>(flag: &str, value: &'a str) -> Result<Mailbox<'a>, Error> {
    let list = parse_addresses(flag, value)?;
    match list.as_slice() {
        [Address::Mailbox(m)] => Ok(m.clone()),
        _ => Err(Error::Usage(format!("{flag}: give exactly one mailbox"))),
    }
}

fn mailboxes<'l>(list: &'l [Address<'_>]) -> impl Iterator<Item = String> + 'l {
    list.iter()
        .flat_map(Address::mailboxes)
        .map(Mailbox::addr_spec)
}

/// Reads a whole file (or standard input for "-") up to `limit` octets.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let input = |source| Error::Input {
        path: path.to_owned(),
        source,
    };
    let mut data = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(input)?;
    } else {
        std::fs::File::open(path)
            .map_err(input)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(input)?;
    }
    if data.len() as u64 > limit {
        return Err(Error::InputTooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(data)
}

fn read_text(path: &Path, limit: u64) -> Result<String, Error> {
    String::from_utf8(read_limited(path, limit)?)
        .map_err(|_| Error::Usage(format!("{}: not UTF-8 text", path.display())))
}

/// Builds the message from the flags.
fn built(args: &SendArgs) -> Result<Prepared, Error> {
    let Some(from) = args.from.as_deref() else {
        return Err(Error::Usage("--from is required to build a message".into()));
    };
    let from = parse_mailbox("--from", from)?;
    let mut builder = MessageBuilder::new().from(from.clone());
    let mut recipients = Vec::new();
    for (flag, values) in [("--to", &args.to), ("--cc", &args.cc), ("--bcc", &args.bcc)] {
        for value in values {
            for address in parse_addresses(flag, value)? {
                recipients.extend(mailboxes(std::slice::from_ref(&address)));
                builder = match flag {
                    "--to" => builder.to(address),
                    "--cc" => builder.cc(address),
                    _ => builder.bcc(address),
                };
            }
        }
    }
    if let Some(subject) = &args.subject {
        builder = builder.subject(subject);
    }
    for field in &args.header {
        let Some((name, value)) = field.split_once(':') else {
            return Err(Error::Usage(format!(
                "--header {field:?}: expected \"Name: value\""
            )));
        };
        builder = builder.header(name.trim(), value.trim_start());
    }
    let limit = args.max_message_size;
    let text = match (&args.text, &args.text_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(path)) => Some(read_text(path, limit)?),
        (None, None) => None,
    };
    let html = args
        .html_file
        .as_deref()
        .map(|p| read_text(p, limit))
        .transpose()?;
    match (&text, &html) {
        (None, None) => builder = builder.text(""),
        _ => {
            if let Some(t) = &text {
                builder = builder.text(t);
            }
            if let Some(h) = &html {
                builder = builder.html(h);
            }
        }
    }
    for path in &args.attach {
        builder = builder.attachment(attachment(path, limit)?);
    }
    if !from.domain.is_empty() {
        builder = builder.message_id_domain(&from.domain);
    }
    let message = builder.build()?;
    let envelope_from = match &args.envelope_from {
        Some(e) => envelope_address("--envelope-from", e)?,
        None => from.addr_spec(),
    };
    dedup(&mut recipients);
    Ok(Prepared {
        utf8_addresses: !envelope_from.is_ascii() || recipients.iter().any(|r| !r.is_ascii()),
        message,
        envelope_from,
        recipients,
    })
}

/// An envelope address given alone ("" for the null reverse-path).
fn envelope_address(flag: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Ok(String::new());
    }
    Ok(parse_mailbox(flag, value)?.addr_spec())
}

fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|r| seen.insert(r.to_ascii_lowercase()));
}

/// An attachment from a file, its media type guessed from the extension.
fn attachment(path: &Path, limit: u64) -> Result<Attachment, Error> {
    let data = read_limited(path, limit)?;
    let media_type = media_type(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    let attachment = if media_type == "message/rfc822" {
        Attachment::message(data)
    } else {
        Attachment::new(media_type, data)
    };
    Ok(attachment.filename(&name))
}

/// The media type for a file name's extension (a short table of the common ones).
pub fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "md" => "text/markdown",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "eml" => "message/rfc822",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// Reads a message file; the envelope comes from the flags or from its header.
fn from_file(args: &SendArgs, path: &Path) -> Result<Prepared, Error> {
    // RFC 5322 section 2.3: lines end with CRLF; files written on Unix often have LF.
    let data = mailstore::crlf::to_crlf(&read_limited(path, args.max_message_size)?);
    let parsed = Message::parse(data.clone()).map_err(|e| Error::Input {
        path: path.to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let root = parsed.root();
    let header_list = |name: &str| -> Vec<String> {
        root.fields_named(name)
            .flat_map(|f| f.addresses(ADDRESS_DEPTH))
            .flat_map(|a| a.mailboxes().to_vec())
            .map(|m| m.addr_spec())
            .collect()
    };
    let mut recipients = Vec::new();
    if args.to.is_empty() {
        for name in ["to", "cc", "bcc"] {
            recipients.extend(header_list(name));
        }
    } else {
        for value in &args.to {
            recipients.extend(mailboxes(&parse_addresses("--to", value)?));
        }
    }
    dedup(&mut recipients);
    let envelope_from = if let Some(e) = &args.envelope_from {
        envelope_address("--envelope-from", e)?
    } else if let Some(f) = &args.from {
        parse_mailbox("--from", f)?.addr_spec()
    } else {
        let sender = header_list("sender");
        let from = header_list("from");
        match sender.first().or(from.first()) {
            Some(a) => a.clone(),
            None => {
                return Err(Error::Usage(format!(
                    "{}: no From field: give --from",
                    path.display()
                )));
            }
        }
    };
    // A Bcc field never leaves: its recipients are in the envelope only.
    let mut bcc: Vec<std::ops::Range<usize>> =
        root.fields_named("bcc").map(|f| f.range()).collect();
    bcc.sort_by_key(|r| r.start);
    let message = if bcc.is_empty() {
        data
    } else {
        let mut kept = Vec::with_capacity(data.len());
        let mut at = 0;
        for range in bcc {
            kept.extend_from_slice(data.get(at..range.start).unwrap_or_default());
            at = range.end.max(at);
        }
        kept.extend_from_slice(data.get(at..).unwrap_or_default());
        kept
    };
    Ok(Prepared {
        utf8_addresses: !envelope_from.is_ascii() || recipients.iter().any(|r| !r.is_ascii()),
        message,
        envelope_from,
        recipients,
    })
}
