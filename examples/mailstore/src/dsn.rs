//! Delivery status notifications for queue items (RFC 3464 inside RFC 6522
//! `multipart/report`), built with [`rfc5322::MessageBuilder`].
//!
//! A notification goes to the item's reverse-path from `MAILER-DAEMON@<reporting MTA>`, with
//! `Auto-Submitted: auto-replied` (RFC 3834 section 5) so that responders do not answer it. It
//! lists each recipient that failed (with the SMTP reply as `Diagnostic-Code`) and each still
//! pending at the end of the retry window (`Status: 4.4.7`, delivery time expired, RFC 3463
//! section 3.5, unless the last reply carried its own 4.x.x code), all with
//! `Action: failed`. The header of the original message is returned as
//! `text/rfc822-headers`. Callers must send it with the null reverse-path (RFC 5321 section
//! 4.5.5); an item whose own reverse-path is null gets none ([`Error::NullSender`]).

use std::io::{BufRead, BufReader, Read};
use std::time::{SystemTime, UNIX_EPOCH};

use rfc5322::builder::{DeliveryStatus, DsnAction, RecipientStatus, ReturnedContent};
use rfc5322::{DateTime, Mailbox, MessageBuilder};

use crate::error::{Error, Result};
use crate::queue::{QueueItem, RecipientState, Retry};

/// Largest header block returned in a notification.
const MAX_RETURNED_HEADER: u64 = 256 * 1024;

/// Reads the header block of a message (up to and without the empty line), at most
/// `limit` octets (and never more than 256 KiB).
pub(crate) fn header_block(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut r = BufReader::new(reader.take(limit.min(MAX_RETURNED_HEADER)));
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        out.extend_from_slice(&line);
    }
    // A header cut by the limit ends at its last whole line.
    if !out.ends_with(b"\n")
        && let Some(end) = out.iter().rposition(|&b| b == b'\n')
    {
        out.truncate(end + 1);
    }
    Ok(out)
}

fn to_datetime(t: SystemTime) -> DateTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    DateTime::from_unix_timestamp(secs, 0)
}

/// The reply code of an SMTP reply text (`550 5.1.1 ...` gives `550`).
fn reply_code(text: &str) -> Option<&str> {
    let code = text.get(..3)?;
    let ok = code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code.as_bytes().first(), Some(b'2'..=b'5'))
        && text
            .as_bytes()
            .get(3)
            .is_none_or(|&b| b == b' ' || b == b'-');
    ok.then_some(code)
}

/// The enhanced status code after a reply code (RFC 3463, RFC 2034), when its class
/// matches the reply's.
fn enhanced_code(text: &str) -> Option<&str> {
    let code = reply_code(text)?;
    let rest = text.get(4..)?;
    let candidate = rest.split(' ').next()?;
    let mut parts = candidate.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = parts.next().is_none()
        && class.len() == 1
        && code.get(..1) == Some(class)
        && matches!(class, "2" | "4" | "5")
        && digits(subject, 3)
        && digits(detail, 3);
    ok.then_some(candidate)
}

/// The status for a recipient: from its last reply, else by reply class, else the fallback.
fn status_for(last_error: Option<&str>, fallback: &str) -> String {
    let Some(e) = last_error else {
        return fallback.to_owned();
    };
    if let Some(s) = enhanced_code(e) {
        return s.to_owned();
    }
    match reply_code(e).and_then(|c| c.get(..1)) {
        Some("5") => "5.0.0".to_owned(),
        _ => fallback.to_owned(),
    }
}

/// The `Final-Recipient` value: `rfc822; addr` for an ASCII address, else RFC 6533's
/// `utf-8; ` with the 7-bit `utf-8-addr-xtext` form (section 3: every character outside
/// QCHAR, that is non-ASCII, controls, space, `\`, `+` and `=`, as `\x{HEX}`), since a
/// `message/delivery-status` part is 7-bit.
pub fn final_recipient(address: &str) -> String {
    if address.is_ascii() {
        return format!("rfc822; {address}");
    }
    let mut out = String::from("utf-8; ");
    for c in address.chars() {
        let qchar = matches!(c, '\x21'..='\x7e') && !matches!(c, '\\' | '+' | '=');
        if qchar {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{{{:02X}}}", u32::from(c)));
        }
    }
    out
}

/// Non-ASCII characters (a reply in UTF-8) become `?`: the report part is 7-bit.
fn ascii_only(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Builds the notification for `item` (see the module documentation).
pub fn build(
    item: &QueueItem,
    retry: &Retry,
    reporting_mta: &str,
    returned_header: &[u8],
    now: SystemTime,
) -> Result<Vec<u8>> {
    if item.from.is_empty() {
        return Err(Error::NullSender);
    }
    let expired = now >= item.expires_at(retry);
    let mut status = DeliveryStatus::new(reporting_mta);
    // ENVID is xtext on the wire (RFC 3461 section 4.4), so ASCII; anything else is dropped.
    status.original_envelope_id = item
        .envid
        .clone()
        .filter(|e| e.bytes().all(|b| b.is_ascii_graphic()));
    status.arrival_date = Some(to_datetime(item.arrived));
    let mut text = String::from("This is the mail system at host ");
    text.push_str(reporting_mta);
    text.push_str(
        ".\n\nYour message could not be delivered to one or more recipients.\n\
         The delivery report and the header of your message are attached.\n\n",
    );
    let mut count = 0usize;
    for r in &item.recipients {
        let (code, why) = match r.state {
            RecipientState::Failed => (status_for(r.last_error.as_deref(), "5.0.0"), "refused"),
            RecipientState::Pending if expired => {
                let s = status_for(r.last_error.as_deref(), "4.4.7");
                let s = if s.starts_with('4') {
                    s
                } else {
                    "4.4.7".to_owned()
                };
                (s, "not delivered before the retry window ended")
            }
            _ => continue,
        };
        count += 1;
        let mut rs = RecipientStatus::new(&final_recipient(&r.address), DsnAction::Failed, &code);
        if let Some(e) = r.last_error.as_deref()
            && reply_code(e).is_some()
        {
            rs = rs.diagnostic_code(&ascii_only(e));
        }
        rs.last_attempt_date = r.last_attempt.map(to_datetime);
        status = status.recipient(rs);
        text.push_str(&format!("<{}>: {why}", r.address));
        if let Some(e) = &r.last_error {
            text.push_str(&format!(" ({e})"));
        }
        text.push('\n');
    }
    if count == 0 {
        return Err(Error::NothingToReport);
    }
    let returned = if returned_header.is_empty() {
        ReturnedContent::None
    } else {
        ReturnedContent::Headers(returned_header.to_vec())
    };
    let host = reporting_mta
        .split_once(';')
        .map_or(reporting_mta, |(_, h)| h)
        .trim();
    // Message-ID and boundary randomness: unique per item and time, not secret.
    let mut seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write(item.id.as_str().as_bytes());
        h.write_u64(to_datetime(now).unix_timestamp().unsigned_abs());
        h.finish()
    };
    let msg = MessageBuilder::new()
        .from(Mailbox::new(
            Some("Mail Delivery System"),
            "MAILER-DAEMON",
            host,
        ))
        .to(Mailbox::from_addr_spec(&item.from))
        .subject("Undelivered Mail Returned to Sender")
        .date(to_datetime(now))
        .message_id_domain(host)
        .header("Auto-Submitted", "auto-replied")
        .text(&text)
        .delivery_report(status, returned)
        .random(move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed
        })
        .build()?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(reply_code("550 5.1.1 no"), Some("550"));
        assert_eq!(reply_code("550"), Some("550"));
        assert_eq!(reply_code("5500"), None);
        assert_eq!(reply_code("connection refused"), None);
        assert_eq!(enhanced_code("550 5.1.1 no such user"), Some("5.1.1"));
        assert_eq!(enhanced_code("550 4.1.1 mismatch"), None);
        assert_eq!(enhanced_code("450 4.2.0 busy"), Some("4.2.0"));
        assert_eq!(status_for(Some("550 no such user"), "5.0.0"), "5.0.0");
        assert_eq!(status_for(Some("timeout"), "4.4.7"), "4.4.7");
        assert_eq!(status_for(Some("451 4.3.0 later"), "4.4.7"), "4.3.0");
    }

    #[test]
    fn utf8_final_recipient() {
        assert_eq!(
            final_recipient("bob@example.net"),
            "rfc822; bob@example.net"
        );
        assert_eq!(
            final_recipient("jos\u{e9}+a=b@b\u{fc}cher.example"),
            "utf-8; jos\\x{E9}\\x{2B}a\\x{3D}b@b\\x{FC}cher.example"
        );
        assert_eq!(final_recipient("\u{1F600}@x"), "utf-8; \\x{1F600}@x");
        assert_eq!(ascii_only("550 caf\u{e9}\t!"), "550 caf??!");
    }

    #[test]
    fn header_block_stops_at_blank_line() {
        let h = header_block(&b"A: 1\r\nB: 2\r\n\r\nbody\r\n"[..], 1000).unwrap();
        assert_eq!(h, b"A: 1\r\nB: 2\r\n");
        let h = header_block(&b"A: 1\nB: 2\n\nbody\n"[..], 1000).unwrap();
        assert_eq!(h, b"A: 1\nB: 2\n");
        let h = header_block(&b"A: 1\r\nB: 2222\r\n"[..], 10).unwrap();
        assert_eq!(h, b"A: 1\r\n");
    }
}
