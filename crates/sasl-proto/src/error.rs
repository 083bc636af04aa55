//! The one error type of both sides of every mechanism.

/// Why an exchange failed. A client step returns it as `Err`; a server step reports it in
/// [`crate::ServerStep::Failure`]. Hostile input always ends here, never in a panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A message longer than [`crate::Limits::max_message_len`].
    #[error("message of {len} octets exceeds the limit of {max}")]
    TooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An identity or password longer than [`crate::Limits::max_field_len`].
    #[error("{field} of {len} octets exceeds the limit of {max}")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field that must not be empty was empty.
    #[error("empty {0}")]
    EmptyField(&'static str),
    /// A message or field that must be UTF-8 was not.
    #[error("message is not valid UTF-8")]
    NotUtf8,
    /// A message that does not follow the mechanism's grammar.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// SASLprep (RFC 4013) refused a name or password.
    #[error("SASLprep refused the {0}")]
    SaslPrep(&'static str),
    /// The nonce source gave an empty nonce or one with characters outside `printable`.
    #[error("the nonce source returned an invalid nonce")]
    InvalidNonce,
    /// A SCRAM nonce that does not continue the client's nonce, or a client-final nonce that
    /// differs from the combined one.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The server returned the client's nonce without adding its own part.
    #[error("server did not extend the client nonce")]
    NonceNotExtended,
    /// A SCRAM iteration count above [`crate::Limits::max_iterations`].
    #[error("iteration count {got} exceeds the limit of {max}")]
    IterationsTooHigh {
        /// The count received.
        got: u32,
        /// The limit.
        max: u32,
    },
    /// A SCRAM iteration count below [`crate::Limits::min_iterations`].
    #[error("iteration count {got} is below the minimum of {min}")]
    IterationsTooLow {
        /// The count received.
        got: u32,
        /// The minimum.
        min: u32,
    },
    /// The SCRAM `m=` attribute: a mandatory extension this implementation does not know.
    #[error("unsupported mandatory extension")]
    ExtensionsNotSupported,
    /// The channel-binding data in `c=` does not match the gs2 header and this side's data.
    #[error("channel bindings do not match")]
    ChannelBindingMismatch,
    /// A -PLUS mechanism without channel-binding data on this side.
    #[error("channel binding is required but no binding data is available")]
    ChannelBindingUnavailable,
    /// The client asked for channel binding (`p=`) with a mechanism or on a server that
    /// does not bind.
    #[error("channel binding not supported")]
    ChannelBindingNotSupported,
    /// The client asked for a channel-binding type the server does not have.
    #[error("unsupported channel binding type {0:?}")]
    UnsupportedChannelBindingType(String),
    /// The client said `y` (it can bind but thinks the server cannot) to a server that
    /// advertised -PLUS: someone removed -PLUS from the list (RFC 5802 section 6).
    #[error("channel binding downgrade detected")]
    Downgrade,
    /// A -PLUS mechanism received a gs2 header without `p=`.
    #[error("a -PLUS mechanism requires channel binding")]
    ChannelBindingRequired,
    /// The server's final message carried a wrong ServerSignature: it does not know the
    /// password.
    #[error("the server signature is wrong")]
    ServerSignatureMismatch,
    /// The server reported success without proving it knows the password.
    #[error("the server did not send its signature")]
    ServerSignatureMissing,
    /// The SCRAM server ended the exchange with `e=` (RFC 5802 section 7).
    #[error("server error: {0}")]
    ServerError(String),
    /// Wrong password, digest or proof.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The application knows no such user.
    #[error("unknown user")]
    UnknownUser,
    /// The application refused the authorization identity.
    #[error("not authorized")]
    NotAuthorized,
    /// The application answered with a secret of the wrong kind for the mechanism.
    #[error("stored secret does not fit the mechanism")]
    WrongSecretKind,
    /// An OAuth token was refused; `status` is taken from the JSON error.
    #[error("OAuth token refused (status {status:?})")]
    OAuth {
        /// The `status` member of the JSON error, when present.
        status: Option<String>,
        /// The JSON error as sent.
        json: String,
    },
    /// The credentials lack what the mechanism needs.
    #[error("missing {0}")]
    MissingCredential(&'static str),
    /// EXTERNAL without an identity from the lower layer.
    #[error("no external identity is available")]
    NoExternalIdentity,
    /// A message when none was expected (after the end, or before the start).
    #[error("unexpected message")]
    UnexpectedMessage,
    /// A mechanism this crate does not implement.
    #[error("unsupported mechanism {0}")]
    UnsupportedMechanism(String),
    /// The client sent `*`: it cancelled the exchange (RFC 4954 section 4, RFC 5034
    /// section 4, RFC 3501 section 6.2.2).
    #[error("the client cancelled the exchange")]
    Cancelled,
    /// A client line that is not valid base64 (or is too long).
    #[error("cannot decode the client's line: {0}")]
    Base64(crate::codec::CodecError),
    /// The caller used the machine out of order (for example `authorize` when no
    /// authorization was asked for). The state is unchanged.
    #[error("usage error: {0}")]
    Usage(&'static str),
}

impl Error {
    /// The SCRAM `server-error-value` (RFC 5802 section 7) for a server that reports the
    /// failure in a server-final message `e=...`; `None` for errors that are not the client's
    /// doing. RFC 5802 allows a server to send `other-error` instead, to reveal less.
    pub fn scram_error_value(&self) -> Option<&'static str> {
        Some(match self {
            Self::Malformed(_) | Self::NotUtf8 | Self::TooLong { .. } | Self::EmptyField(_) => {
                "invalid-encoding"
            }
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::AuthenticationFailed | Self::NonceMismatch => "invalid-proof",
            Self::ChannelBindingMismatch => "channel-bindings-dont-match",
            Self::Downgrade => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported | Self::ChannelBindingRequired => {
                "channel-binding-not-supported"
            }
            Self::UnsupportedChannelBindingType(_) => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::SaslPrep(_) | Self::FieldTooLong { .. } => "invalid-username-encoding",
            Self::NotAuthorized | Self::WrongSecretKind => "other-error",
            _ => return None,
        })
    }
}
