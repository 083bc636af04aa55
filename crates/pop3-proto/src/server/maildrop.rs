//! A maildrop as the application hands it over at login: each message's size and unique id.

/// One message of the maildrop, as the application lists it when a login is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildropEntry {
    /// Size in octets with CRLF line ends, before stuffing (see [`message_size`]).
    pub size: u64,
    /// The unique id (1 to 70 octets in 0x21-0x7E).
    pub uid: String,
}

impl MaildropEntry {
    /// A message of `size` octets with `uid`.
    pub fn new(size: u64, uid: impl Into<String>) -> Self {
        Self {
            size,
            uid: uid.into(),
        }
    }
}

/// The size POP3 reports for `content`: octets as sent, with every bare LF or bare CR counted
/// as CRLF and a final CRLF added if the content does not end with a line end (what the
/// server sends before the terminating ".", without the stuffing dots).
pub fn message_size(content: &[u8]) -> u64 {
    let mut size = 0u64;
    let mut prev = 0u8;
    for (i, &b) in content.iter().enumerate() {
        match b {
            b'\n' if prev != b'\r' => size += 2,
            b'\n' => size += 1,
            b'\r' if content.get(i + 1) != Some(&b'\n') => size += 2,
            _ => size += 1,
        }
        prev = b;
    }
    if !content.is_empty() && !matches!(content.last(), Some(b'\n' | b'\r')) {
        size += 2;
    }
    size
}
