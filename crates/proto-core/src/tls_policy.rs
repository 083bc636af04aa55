//! Whether a client upgrades a cleartext connection with the protocol's STARTTLS command.

/// When a client asks for TLS on a cleartext connection (SMTP `STARTTLS`, POP3 `STLS`, IMAP
/// `STARTTLS`). Implicit TLS (the connection starts with a handshake) is configured apart,
/// and makes this policy moot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// Upgrade, and fail the session when the server does not offer it (the default: a
    /// downgrade by a man in the middle who strips the offer is refused).
    #[default]
    Required,
    /// Upgrade when the server offers it, go on in cleartext otherwise.
    Opportunistic,
    /// Stay in cleartext (loopback tests, or TLS handled outside the machine).
    Never,
}
