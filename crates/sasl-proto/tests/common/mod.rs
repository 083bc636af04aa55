//! Shared helpers: pair a client and a server in memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

use sasl_proto::codec::{decode_challenge, decode_response, encode, encode_continuation};
use sasl_proto::store::resolve;
use sasl_proto::{
    Client, ClientStep, CredentialStore, Error, FixedNonce, Limits, MemoryStore, Server,
    ServerStep, StepResponse,
};

/// How the exchange ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted and the client verified it.
    Success {
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity.
        authzid: Option<String>,
    },
    /// The server failed the exchange.
    ServerFailure(Error),
    /// The client stopped (cancel).
    ClientError(Error),
    /// The server said success but the client refused it (SCRAM verification).
    ClientRefusedSuccess(Error),
}

/// Runs a whole exchange, every message through the base64 codec. With `use_ir` the client
/// sends an initial response; with `final_as_challenge` the server's additional data goes
/// as a last challenge (SMTP, POP3, IMAP) rather than with the success.
pub fn run(
    client: &mut Client,
    server: &mut Server,
    store: &dyn CredentialStore,
    use_ir: bool,
    final_as_challenge: bool,
) -> Outcome {
    run_with(
        client,
        server,
        store,
        use_ir,
        final_as_challenge,
        &mut |_, _| {},
    )
}

/// [`run`] with a hook that sees (and may change) every message in transit, numbered from
/// 0 in order, both directions.
pub fn run_with(
    client: &mut Client,
    server: &mut Server,
    store: &dyn CredentialStore,
    use_ir: bool,
    final_as_challenge: bool,
    hook: &mut dyn FnMut(usize, &mut Vec<u8>),
) -> Outcome {
    let mut n = 0usize;
    let mut tap = |m: &mut Vec<u8>| {
        hook(n, m);
        n += 1;
    };
    let mut step = if use_ir {
        match client.initial_response() {
            Ok(Some(mut ir)) => {
                tap(&mut ir);
                let wire = encode(&ir);
                let Ok(StepResponse::Data(ir)) = decode_response(&wire) else {
                    panic!("codec round trip")
                };
                server.start(Some(&ir))
            }
            Ok(None) => server.start(None),
            Err(e) => return Outcome::ClientError(e),
        }
    } else {
        server.start(None)
    };
    for _ in 0..16 {
        step = resolve(server, step, store);
        match step {
            ServerStep::Challenge(mut c) => {
                tap(&mut c);
                let c = decode_challenge(&encode(&c)).unwrap();
                let mut answer = match client.step(&c) {
                    Ok(ClientStep::Response(r)) => r,
                    Ok(ClientStep::Done) => Vec::new(),
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(e) => return Outcome::ClientError(e),
                };
                tap(&mut answer);
                let Ok(StepResponse::Data(r)) = decode_response(&encode_continuation(&answer))
                else {
                    panic!("codec round trip")
                };
                step = server.step(&r);
            }
            ServerStep::Success {
                authcid,
                authzid,
                additional_data,
            } => {
                let additional_data = additional_data.map(|mut d| {
                    tap(&mut d);
                    d
                });
                let result = match (additional_data, final_as_challenge) {
                    (Some(data), true) => match client.step(&data) {
                        Ok(ClientStep::Done) => client.finish(None),
                        Ok(other) => panic!("unexpected {other:?}"),
                        Err(e) => Err(e),
                    },
                    (data, _) => client.finish(data.as_deref()),
                };
                return match result {
                    Ok(()) => Outcome::Success { authcid, authzid },
                    Err(e) => Outcome::ClientRefusedSuccess(e),
                };
            }
            ServerStep::Failure(e) => return Outcome::ServerFailure(e),
            other => panic!("resolve left {other:?}"),
        }
    }
    panic!("exchange did not end")
}

/// A store with user "user" (password "pencil", SCRAM keys at 4096 iterations), user "tim"
/// with only a plaintext password, and token "tok" for "user".
pub fn store() -> MemoryStore {
    let mut s = MemoryStore::new();
    s.add_scram("user", "pencil", b"salt-of-user", 4096, &Limits::default())
        .unwrap();
    s.add_password("tim", "tanstaaftanstaaf");
    s.add_token("tok", "user");
    s
}

/// A nonce source for a given run.
pub fn nonce(s: &str) -> FixedNonce {
    FixedNonce(s.to_owned())
}
