//! The stateless codec: [`message`] cuts whole messages (lines and literals) from contiguous
//! input, the parsers read them, and [`encode`] writes them.

mod body;
pub mod command;
pub mod encode;
mod encode_command;
mod encode_response;
pub mod framing;
pub(crate) mod lexer;
pub mod message;
pub mod response;
mod search;
mod sections;

pub use command::{is_idle_done, parse_command, parse_command_message};
pub use encode::{Encoded, Encoder, Fragment, LiteralPolicy};
pub use encode_command::encode_command;
pub use encode_response::encode_response;
pub use framing::{FrameEvent, Limits, MessageFramer, Side};
pub use lexer::{MAX_DEPTH, ParseOptions};
pub use message::{Continuation, LiteralData, Message, split_message};
pub use proto_core::Parsed;
pub use response::{parse_response, parse_response_message};
