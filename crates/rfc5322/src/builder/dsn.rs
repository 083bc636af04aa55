//! Delivery status notifications: the `message/delivery-status` body (RFC 3464 section 2)
//! that goes inside a `multipart/report` (RFC 6522).

use crate::DateTime;
use crate::encode::{EncodeError, FieldWriter};

/// What happened to a recipient (RFC 3464 section 2.3.3, `Action`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DsnAction {
    /// The message could not be delivered.
    Failed,
    /// Delivery is delayed; the MTA keeps trying.
    Delayed,
    /// Delivered.
    Delivered,
    /// Relayed to a system that sends no DSN.
    Relayed,
    /// Delivered and forwarded to several addresses.
    Expanded,
}

impl DsnAction {
    /// The field value (`failed`, `delayed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DsnAction::Failed => "failed",
            DsnAction::Delayed => "delayed",
            DsnAction::Delivered => "delivered",
            DsnAction::Relayed => "relayed",
            DsnAction::Expanded => "expanded",
        }
    }
}

/// The per-recipient fields of a DSN (RFC 3464 section 2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Final-Recipient`: `rfc822; user@example.com` (a bare address gets `rfc822; `).
    pub final_recipient: String,
    /// `Original-Recipient`, from the ORCPT parameter.
    pub original_recipient: Option<String>,
    /// `Action`.
    pub action: DsnAction,
    /// `Status`: an RFC 3463 code such as `5.1.1`.
    pub status: String,
    /// `Remote-MTA`: `dns; mx.example.net` (a bare name gets `dns; `).
    pub remote_mta: Option<String>,
    /// `Diagnostic-Code`: `smtp; 550 5.1.1 No such user` (a bare text gets `smtp; `).
    pub diagnostic_code: Option<String>,
    /// `Last-Attempt-Date`.
    pub last_attempt_date: Option<DateTime>,
    /// `Will-Retry-Until` (for `delayed`).
    pub will_retry_until: Option<DateTime>,
}

impl RecipientStatus {
    /// A recipient with its action and status code; the other fields empty.
    pub fn new(final_recipient: &str, action: DsnAction, status: &str) -> Self {
        RecipientStatus {
            final_recipient: final_recipient.to_owned(),
            original_recipient: None,
            action,
            status: status.to_owned(),
            remote_mta: None,
            diagnostic_code: None,
            last_attempt_date: None,
            will_retry_until: None,
        }
    }

    /// Sets the `Diagnostic-Code`.
    pub fn diagnostic_code(mut self, code: &str) -> Self {
        self.diagnostic_code = Some(code.to_owned());
        self
    }

    /// Sets the `Remote-MTA`.
    pub fn remote_mta(mut self, mta: &str) -> Self {
        self.remote_mta = Some(mta.to_owned());
        self
    }
}

/// The per-message fields and the recipients of a DSN (RFC 3464 section 2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// `Reporting-MTA`: `dns; mx.example.com` (a bare name gets `dns; `).
    pub reporting_mta: String,
    /// `Original-Envelope-Id`, from the ENVID parameter.
    pub original_envelope_id: Option<String>,
    /// `Arrival-Date`.
    pub arrival_date: Option<DateTime>,
    /// One block per recipient; RFC 3464 requires at least one.
    pub recipients: Vec<RecipientStatus>,
}

impl DeliveryStatus {
    /// A report from `reporting_mta` with no recipients yet.
    pub fn new(reporting_mta: &str) -> Self {
        DeliveryStatus {
            reporting_mta: reporting_mta.to_owned(),
            original_envelope_id: None,
            arrival_date: None,
            recipients: Vec::new(),
        }
    }

    /// Adds a recipient block.
    pub fn recipient(mut self, r: RecipientStatus) -> Self {
        self.recipients.push(r);
        self
    }
}

/// What of the original message a report returns (RFC 6522 section 3, third part).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnedContent {
    /// Nothing.
    None,
    /// The header block only, as `text/rfc822-headers` (RFC 6522 section 4).
    Headers(Vec<u8>),
    /// The whole message, as `message/rfc822`.
    Message(Vec<u8>),
}

/// `type; value` with a default type when the value has none.
fn typed(default_type: &str, v: &str) -> String {
    if v.contains(';') {
        v.to_owned()
    } else {
        format!("{default_type}; {v}")
    }
}

/// RFC 3464 section 2.3.4 / RFC 3463: `class "." subject "." detail`.
fn valid_status(s: &str) -> bool {
    let mut parts = s.split('.');
    let class_ok = parts.next().is_some_and(|c| matches!(c, "2" | "4" | "5"));
    let rest: Vec<&str> = parts.collect();
    class_ok
        && rest.len() == 2
        && rest.iter().zip([3usize, 3]).all(|(p, max)| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        })
}

fn field(out: &mut String, name: &str, value: &str) -> Result<(), EncodeError> {
    if !value.is_ascii() {
        return Err(EncodeError::Invalid {
            what: "delivery-status field (US-ASCII only)",
            value: value.to_owned(),
        });
    }
    let mut f = FieldWriter::new(name)?;
    let mut first = true;
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        f.push(" ", word)?;
        first = false;
    }
    if first {
        return Err(EncodeError::Invalid {
            what: "empty delivery-status field",
            value: name.to_owned(),
        });
    }
    out.push_str(&f.finish());
    Ok(())
}

/// The `message/delivery-status` body: the per-message block, then one block per recipient,
/// separated by empty lines.
pub(crate) fn delivery_status_body(ds: &DeliveryStatus) -> Result<Vec<u8>, EncodeError> {
    if ds.recipients.is_empty() {
        return Err(EncodeError::Invalid {
            what: "delivery status without recipients",
            value: String::new(),
        });
    }
    let mut out = String::new();
    if let Some(id) = &ds.original_envelope_id {
        field(&mut out, "Original-Envelope-Id", id)?;
    }
    field(&mut out, "Reporting-MTA", &typed("dns", &ds.reporting_mta))?;
    if let Some(d) = &ds.arrival_date {
        field(&mut out, "Arrival-Date", &d.to_string())?;
    }
    for r in &ds.recipients {
        out.push_str("\r\n");
        if let Some(o) = &r.original_recipient {
            field(&mut out, "Original-Recipient", &typed("rfc822", o))?;
        }
        field(
            &mut out,
            "Final-Recipient",
            &typed("rfc822", &r.final_recipient),
        )?;
        field(&mut out, "Action", r.action.as_str())?;
        if !valid_status(&r.status) {
            return Err(EncodeError::Invalid {
                what: "DSN status code",
                value: r.status.clone(),
            });
        }
        field(&mut out, "Status", &r.status)?;
        if let Some(m) = &r.remote_mta {
            field(&mut out, "Remote-MTA", &typed("dns", m))?;
        }
        if let Some(c) = &r.diagnostic_code {
            field(&mut out, "Diagnostic-Code", &typed("smtp", c))?;
        }
        if let Some(d) = &r.last_attempt_date {
            field(&mut out, "Last-Attempt-Date", &d.to_string())?;
        }
        if let Some(d) = &r.will_retry_until {
            field(&mut out, "Will-Retry-Until", &d.to_string())?;
        }
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert!(valid_status("5.1.1"));
        assert!(valid_status("4.7.100"));
        assert!(!valid_status("6.1.1"));
        assert!(!valid_status("5.1"));
        assert!(!valid_status("5.1.1.1"));
        assert!(!valid_status("5.x.1"));
    }

    #[test]
    fn body_blocks() {
        let ds = DeliveryStatus::new("mx.example.com").recipient(
            RecipientStatus::new("bob@example.net", DsnAction::Failed, "5.1.1")
                .diagnostic_code("550 5.1.1 No such user"),
        );
        let body = String::from_utf8(delivery_status_body(&ds).unwrap()).unwrap();
        assert_eq!(
            body,
            "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; bob@example.net\r\n\
             Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n"
        );
    }
}
