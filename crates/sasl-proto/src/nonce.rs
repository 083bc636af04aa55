//! Randomness and channel-binding data, both supplied by the caller.

/// A source of nonces (SCRAM client and server nonces, the CRAM-MD5 challenge).
///
/// The machines never draw randomness themselves. A nonce must be printable US-ASCII without
/// `,` (RFC 5802 section 7, `printable`), and should carry at least 128 bits of entropy;
/// the machines refuse an empty or non-printable nonce with [`crate::Error::InvalidNonce`].
pub trait NonceSource: Send {
    /// Returns a fresh nonce.
    fn nonce(&mut self) -> String;
}

impl<F: FnMut() -> String + Send> NonceSource for F {
    fn nonce(&mut self) -> String {
        self()
    }
}

/// What [`crate::Error::MissingCredential`] says when SCRAM or CRAM-MD5 has no nonce source:
/// the missing piece and its remedy.
pub const NO_NONCE_SOURCE: &str =
    "nonce source (turn on the getrandom feature, or set one with with_nonce_source)";

/// A nonce source that always returns the same value: for tests and the RFC examples only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedNonce(pub String);

impl NonceSource for FixedNonce {
    fn nonce(&mut self) -> String {
        self.0.clone()
    }
}

/// A nonce source that reads 24 random octets from the operating system (feature
/// `getrandom`) and encodes them in base64 (32 characters).
#[cfg(feature = "getrandom")]
#[derive(Clone, Copy, Debug, Default)]
pub struct OsNonce;

#[cfg(feature = "getrandom")]
impl NonceSource for OsNonce {
    fn nonce(&mut self) -> String {
        use base64::Engine as _;
        let mut bytes = [0u8; 24];
        // Without randomness, give the empty nonce: the machines refuse it
        // (`Error::InvalidNonce`) rather than run with a predictable one.
        if getrandom::fill(&mut bytes).is_err() {
            return String::new();
        }
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// Channel-binding data from the TLS layer, handed in by the caller (SCRAM -PLUS, RFC 5802
/// section 6).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelBinding {
    /// `tls-exporter` (RFC 9266): the 32-octet exporter value with label
    /// "EXPORTER-Channel-Binding" and an empty context.
    TlsExporter(Vec<u8>),
    /// `tls-server-end-point` (RFC 5929 section 4): the hash of the server's certificate.
    TlsServerEndPoint(Vec<u8>),
}

impl ChannelBinding {
    /// The binding to use from what a TLS handshake gave: `tls-exporter` (RFC 9266, the type
    /// TLS 1.3 defines) when known, else `tls-server-end-point` (RFC 5929); `None` without
    /// either.
    pub fn from_tls(
        tls_exporter: Option<&[u8]>,
        tls_server_end_point: Option<&[u8]>,
    ) -> Option<Self> {
        match (tls_exporter, tls_server_end_point) {
            (Some(exporter), _) => Some(Self::TlsExporter(exporter.to_vec())),
            (None, Some(end_point)) => Some(Self::TlsServerEndPoint(end_point.to_vec())),
            (None, None) => None,
        }
    }

    /// The channel-binding type name sent in the gs2 header.
    pub fn name(&self) -> &'static str {
        match self {
            Self::TlsExporter(_) => "tls-exporter",
            Self::TlsServerEndPoint(_) => "tls-server-end-point",
        }
    }

    /// The binding data.
    pub fn data(&self) -> &[u8] {
        match self {
            Self::TlsExporter(d) | Self::TlsServerEndPoint(d) => d,
        }
    }
}

impl std::fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChannelBinding({}, {} octets)",
            self.name(),
            self.data().len()
        )
    }
}

/// Whether `nonce` is a valid SCRAM nonce: one or more printable US-ASCII characters other
/// than `,` (RFC 5802 section 7).
pub(crate) fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}
