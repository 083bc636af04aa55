//! A SASL client machine fed arbitrary challenges. The first byte picks the mechanism, the
//! second the options and how many genuine challenges (from a real server) come before the
//! fuzzed ones take over; the rest is challenges, each with a two-octet length. No panic, no
//! unbounded allocation, and a SCRAM client never completes against forged server messages.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use sasl_proto::{
    ChannelBinding, Client, ClientConfig, ClientStep, Credentials, FixedNonce, Limits, Mechanism,
    MemoryStore, Server, ServerConfig, ServerStep,
};

fn messages(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [a, b, rest @ ..] = data {
        let len = usize::from(u16::from_le_bytes([*a, *b])).min(rest.len());
        let (m, tail) = rest.split_at(len);
        out.push(m);
        data = tail;
    }
    out
}

fn limits() -> Limits {
    Limits::default()
        .with_min_iterations(1)
        .with_max_iterations(64)
}

fuzz_target!(|data: &[u8]| {
    let [pick, opts, rest @ ..] = data else {
        return;
    };
    let mechanism = Mechanism::KNOWN[usize::from(*pick) % Mechanism::KNOWN.len()].clone();
    let use_ir = opts & 1 != 0;
    let finish_with_data = opts & 2 != 0;
    let genuine = usize::from(opts >> 2 & 3);

    let cb = ChannelBinding::TlsServerEndPoint(vec![9; 32]);
    let creds = match mechanism {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth("user", "tok"),
        Mechanism::External => Credentials::external(),
        Mechanism::Anonymous => Credentials::anonymous(None),
        _ => Credentials::password("user", "pencil"),
    };
    let Ok(mut client) = Client::new(
        mechanism.clone(),
        creds,
        ClientConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce("cli".into()))
            .with_channel_binding(cb.clone()),
    ) else {
        return;
    };
    let mut store = MemoryStore::new();
    store
        .add_scram("user", "pencil", b"salt", 2, &limits())
        .unwrap_or_default();
    store.add_password("user", "pencil");
    store.add_token("tok", "user");
    let mut server = Server::new(
        mechanism.clone(),
        ServerConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce("srv".into()))
            .with_channel_binding(cb)
            .with_external_identity("user"),
    )
    .ok();

    let mut fuzzed = messages(rest).into_iter();
    let mut server_step = None;
    let mut response = if use_ir {
        client.initial_response().ok().flatten()
    } else {
        None
    };
    if let Some(s) = server.as_mut() {
        server_step = Some(s.start_with(response.as_deref(), &store));
    }
    let mut forged = false;
    for round in 0..8 {
        // A genuine challenge from the real server while round < genuine.
        let genuine_challenge = match (&server_step, round < genuine) {
            (Some(ServerStep::Challenge(c)), true) => Some(c.clone()),
            _ => None,
        };
        let from_server = genuine_challenge.is_some();
        let Some(challenge) = genuine_challenge.or_else(|| fuzzed.next().map(<[u8]>::to_vec))
        else {
            break;
        };
        forged |= !from_server;
        match client.step(&challenge) {
            Ok(ClientStep::Response(r)) => response = Some(r),
            Ok(_) => response = Some(Vec::new()),
            Err(_) => return,
        }
        if from_server {
            if let (Some(s), Some(r)) = (server.as_mut(), response.as_deref()) {
                server_step = Some(s.step_with(r, &store));
            }
        } else {
            server_step = None;
        }
    }
    match (&server_step, forged) {
        // An all-genuine exchange that the server accepted: the client accepts it too.
        (
            Some(ServerStep::Success {
                additional_data, ..
            }),
            false,
        ) => {
            let result = client.finish(additional_data.as_deref());
            assert!(result.is_ok(), "genuine exchange refused: {result:?}");
        }
        _ => {
            let extra = if finish_with_data {
                fuzzed.next()
            } else {
                None
            };
            let finished = client.finish(extra).is_ok();
            // Forged server messages cannot carry a valid ServerSignature.
            assert!(
                !(finished && forged && mechanism.as_str().starts_with("SCRAM")),
                "SCRAM client accepted forged server messages"
            );
        }
    }
});
