#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod blocking;
#[cfg(any(feature = "smtp", feature = "pop3"))]
mod calls;
pub mod connect;
pub mod deflate;
pub mod driver_core;
pub mod error;
#[cfg(feature = "pop3")]
pub mod fetch;
#[cfg(feature = "tokio")]
pub mod serve;
#[cfg(feature = "smtp")]
pub mod submit;
pub mod tls;
#[cfg(feature = "tokio")]
pub mod tokio_driver;
pub mod trace;

pub use blocking::{Driver, Stream, TlsUpgrade};
pub use connect::{Connected, Endpoint, TlsMode, connect};
pub use driver_core::{DriverCore, Step};
pub use error::{DriveError, error_chain};
pub use tls::{ServerTls, Trust};
#[cfg(feature = "tokio")]
pub use tokio_driver::{AsyncDriver, AsyncStream};
pub use trace::{Collector, Direction, Side, Trace, TraceLine, TraceSink, TracingSink};

// Every type the public signatures use is reachable from here, so that a user adds proto-io
// alone: the machines' crates, and the types the short calls take and give.
#[cfg(feature = "pop3")]
pub use pop3_proto::{self, LoginMethod};
pub use proto_core;
#[cfg(feature = "smtp")]
pub use rfc5322;
#[cfg(any(feature = "smtp", feature = "pop3"))]
pub use sasl_proto::{self, Credentials};
#[cfg(feature = "smtp")]
pub use smtp_proto::{self, MessageDeclaration, Reply, ReplyCode};
