//! The stateless codec: [`message`] cuts whole messages (lines and literals) from contiguous
//! input, the parsers read them, and [`encode`] writes them.

pub mod encode;
pub mod framing;
// The parsers that use every token arrive with the command and response layers.
#[allow(dead_code)]
pub(crate) mod lexer;
pub mod message;

pub use encode::{Encoded, Encoder, Fragment, LiteralPolicy};
pub use framing::{FrameEvent, FramerLimits, MessageFramer, Side};
pub use lexer::{MAX_DEPTH, ParseOptions};
pub use message::{Continuation, LiteralData, Message, split_message};
pub use proto_core::Parsed;
