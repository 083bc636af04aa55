//! QUOTA (RFC 9208): resources and limits.

use super::super::string::Atom;

/// A quota resource with its limit (SETQUOTA) or usage and limit (a QUOTA reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaLimit {
    /// `STORAGE`, `MESSAGE`, `MAILBOX`, `ANNOTATION-STORAGE` or another.
    pub resource: Atom,
    /// The limit.
    pub limit: u64,
}

/// A resource in a QUOTA reply: usage and limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource {
    /// The resource name.
    pub resource: Atom,
    /// Current usage.
    pub usage: u64,
    /// The limit.
    pub limit: u64,
}
