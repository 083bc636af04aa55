//! What the short calls share: one piece of session logic for the blocking and the async
//! driver.
//!
//! Each call is written once, as an `async fn` over [`Drive`]. The async call awaits the
//! tokio driver; the blocking call runs the same future with [`block_on`] over the blocking
//! driver, whose `next` never waits on anything but the socket, so the future is ready at its
//! first poll.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use proto_core::Machine;

use crate::error::DriveError;

/// A driver as the short calls see it.
pub(crate) trait Drive<M: Machine> {
    /// The machine.
    fn machine(&mut self) -> &mut M;
    /// The next event (see `Driver::next_event`).
    fn next(&mut self) -> impl Future<Output = Result<Option<M::Event>, DriveError<M::Error>>>;
}

impl<M: Machine> Drive<M> for crate::Driver<M> {
    fn machine(&mut self) -> &mut M {
        crate::Driver::machine(self)
    }
    async fn next(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        self.next_event()
    }
}

#[cfg(feature = "tokio")]
impl<M: Machine> Drive<M> for crate::AsyncDriver<M> {
    fn machine(&mut self) -> &mut M {
        crate::AsyncDriver::machine(self)
    }
    async fn next(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        self.next_event().await
    }
}

/// Runs a future that never waits on anything but blocking calls inside it.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}
