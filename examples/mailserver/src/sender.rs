//! Who an authenticated user may send as: in MAIL FROM only the user's own addresses (the
//! user's name at a local domain) or the null path; in the `From:` header, by configuration,
//! anyone (off), anyone with a warning in the log (warn), or the user's own addresses only
//! (refuse).

use serde::Deserialize;
use smtp_proto::ReversePath;

use crate::Config;

/// What a submission's `From:` header may hold (`from_header` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FromHeaderPolicy {
    /// Not looked at.
    Off,
    /// A `From:` that is not the user's is logged.
    #[default]
    Warn,
    /// A `From:` that is not the user's refuses the message (550 5.7.1).
    Refuse,
}

/// The header block is read at most this far for the `From:` check; a message whose header
/// is longer is judged on what was read.
pub const HEADER_READ_MAX: usize = 64 * 1024;

/// True if `address` (local-part@domain) is `user`'s: the user's name at a local domain.
pub fn is_own(config: &Config, user: &str, address: &str) -> bool {
    match address.rsplit_once('@') {
        Some((local, domain)) => local.eq_ignore_ascii_case(user) && config.is_local(domain),
        None => false,
    }
}

/// True if `user` may give `from` in MAIL FROM.
pub fn may_use_reverse_path(config: &Config, user: &str, from: &ReversePath<'_>) -> bool {
    match from {
        ReversePath::Null => true,
        ReversePath::Mailbox(m) => is_own(config, user, &m.to_string()),
    }
}

/// The addresses of the `From:` field of a header block, or `None` when there is none or it
/// cannot be read.
pub fn header_from(header: &[u8]) -> Option<Vec<String>> {
    let mut block = header.to_vec();
    if !block.ends_with(b"\r\n\r\n") {
        block.extend_from_slice(b"\r\n\r\n");
    }
    let message = rfc5322::Message::parse(bytes::Bytes::from(block)).ok()?;
    let addresses: Vec<String> = message
        .root()
        .from()
        .iter()
        .flat_map(|a| a.mailboxes().iter().map(|m| m.addr_spec()))
        .collect();
    (!addresses.is_empty()).then_some(addresses)
}

/// The header block of a message arriving in chunks, kept up to [`HEADER_READ_MAX`].
#[derive(Debug, Default)]
pub struct HeaderBlock {
    bytes: Vec<u8>,
    complete: bool,
}

impl HeaderBlock {
    /// Takes the next chunk of the message.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.complete {
            return;
        }
        let room = HEADER_READ_MAX.saturating_sub(self.bytes.len());
        let start = self.bytes.len().saturating_sub(3);
        self.bytes
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        let tail = self.bytes.get(start..).unwrap_or_default();
        if let Some(end) = memfind(tail, b"\r\n\r\n") {
            self.bytes.truncate(start + end + 4);
            self.complete = true;
        } else if self.bytes.len() >= HEADER_READ_MAX {
            self.complete = true;
        }
    }

    /// The header block read so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn memfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The verdict on a submission's `From:` header: `Err` with the offending address when the
/// policy refuses it.
pub fn check_from_header(
    config: &Config,
    policy: FromHeaderPolicy,
    user: &str,
    header: &[u8],
) -> Result<(), String> {
    if policy == FromHeaderPolicy::Off {
        return Ok(());
    }
    let addresses = header_from(header).unwrap_or_default();
    let foreign = match addresses.iter().find(|a| !is_own(config, user, a)) {
        Some(a) => a.clone(),
        None if addresses.is_empty() => "(no From:)".to_owned(),
        None => return Ok(()),
    };
    match policy {
        FromHeaderPolicy::Refuse => Err(foreign),
        _ => {
            tracing::warn!(user, from = %foreign, "a submission's From: is not the user's");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            domains: vec!["example.org".into()],
            ..Config::default()
        }
    }

    #[test]
    fn own_addresses_are_the_users_name_at_a_local_domain() {
        let c = config();
        assert!(is_own(&c, "alice", "alice@example.org"));
        assert!(is_own(&c, "alice", "Alice@EXAMPLE.org"));
        assert!(!is_own(&c, "alice", "bob@example.org"));
        assert!(!is_own(&c, "alice", "alice@example.net"));
        assert!(!is_own(&c, "alice", "alice"));
    }

    #[test]
    fn the_from_header_is_judged_by_the_policy() {
        let c = config();
        let mut block = HeaderBlock::default();
        block.push(b"Subject: x\r\nFrom: \"The Bank\" <ceo@ba");
        block.push(b"nk.example>\r\n\r\nbody From: alice@example.org\r\n");
        assert!(
            block.bytes().ends_with(b"bank.example>\r\n\r\n"),
            "cut at the end of the header"
        );
        let refuse = FromHeaderPolicy::Refuse;
        assert_eq!(
            check_from_header(&c, refuse, "alice", block.bytes()),
            Err("ceo@bank.example".into())
        );
        assert!(check_from_header(&c, FromHeaderPolicy::Warn, "alice", block.bytes()).is_ok());
        assert!(check_from_header(&c, FromHeaderPolicy::Off, "alice", block.bytes()).is_ok());
        let own = b"From: Alice <alice@example.org>\r\n\r\n";
        assert!(check_from_header(&c, refuse, "alice", own).is_ok());
        let group = b"From: a@example.org, mallory@evil.example\r\n\r\n";
        assert!(check_from_header(&c, refuse, "a", group).is_err());
    }
}
