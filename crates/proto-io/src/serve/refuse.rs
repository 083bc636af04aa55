//! The polite refusal of a connection past a cap: the protocol's "try later" line, written
//! in plain text (no TLS handshake, which would cost the server more than the client), within
//! a short deadline, with a bounded number of refusals under way at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How long a refused peer has to take the refusal line.
pub const REFUSAL_DEADLINE: Duration = Duration::from_secs(1);
/// Refusals being written at once; past this a refused connection is closed without a word.
pub const REFUSALS_IN_FLIGHT: usize = 64;

/// SMTP's refusal (RFC 5321 3.8: 421 and close).
pub const SMTP_REFUSAL: &str = "421 4.7.0 Too many connections, try again later";
/// POP3's refusal (RFC 3206 SYS/TEMP).
pub const POP3_REFUSAL: &str = "-ERR [SYS/TEMP] Too many connections, try again later";
/// IMAP's refusal (RFC 9051 7.1.5: BYE as the greeting).
pub const IMAP_REFUSAL: &str = "* BYE Too many connections, try again later";

/// Writes refusal lines, at most [`REFUSALS_IN_FLIGHT`] at once.
#[derive(Debug, Clone)]
pub(super) struct Refuser {
    line: Arc<[u8]>,
    in_flight: Arc<Semaphore>,
}

impl Refuser {
    /// Refuses with `line` (CRLF is added).
    pub(super) fn new(line: &str) -> Self {
        let mut bytes = line.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        Self {
            line: bytes.into(),
            in_flight: Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT)),
        }
    }

    /// Sends the line to `tcp` in a task of its own and closes it; closes it at once when
    /// too many refusals are under way already.
    pub(super) fn refuse(&self, mut tcp: TcpStream) {
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            return;
        };
        let line = self.line.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(REFUSAL_DEADLINE, async {
                tcp.write_all(&line).await?;
                tcp.shutdown().await
            })
            .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn pair(listener: &tokio::net::TcpListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    #[tokio::test]
    async fn refusals_past_the_bound_are_closed_without_a_word() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let refuser = Refuser::new(POP3_REFUSAL);
        let read_all = |mut client: TcpStream| async move {
            let mut text = String::new();
            tokio::time::timeout(Duration::from_secs(5), client.read_to_string(&mut text))
                .await
                .unwrap()
                .unwrap();
            text
        };
        // Every refusal already under way.
        let held = refuser
            .in_flight
            .clone()
            .acquire_many_owned(REFUSALS_IN_FLIGHT as u32)
            .await
            .unwrap();
        let (client, server) = pair(&listener).await;
        refuser.refuse(server);
        assert_eq!(read_all(client).await, "");
        drop(held);
        let (client, server) = pair(&listener).await;
        refuser.refuse(server);
        assert_eq!(read_all(client).await, format!("{POP3_REFUSAL}\r\n"));
    }
}
