//! A SASL server machine fed arbitrary client messages. The first byte picks the mechanism,
//! the second the options and how many genuine client messages (from a real client) come
//! before the fuzzed ones take over; the rest is messages, each with a two-octet length.
//! No panic, no unbounded allocation, and success only for the one known identity.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use sasl_proto::{
    ChannelBinding, Client, ClientConfig, ClientStep, Credentials, FixedNonce, Limits, Mechanism,
    MemoryStore, Server, ServerConfig, ServerStep,
};

/// Splits `data` into messages, each preceded by a little-endian u16 length.
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
    Limits::default().with_min_iterations(1)
}

fuzz_target!(|data: &[u8]| {
    let [pick, opts, rest @ ..] = data else {
        return;
    };
    let mechanism = Mechanism::KNOWN[usize::from(*pick) % Mechanism::KNOWN.len()].clone();
    let use_ir = opts & 1 != 0;
    let advertised_plus = opts & 2 != 0;
    let genuine = usize::from(opts >> 2 & 3);

    let mut store = MemoryStore::new();
    store
        .add_scram("user", "pencil", b"salt", 2, &limits())
        .unwrap_or_default();
    store.add_password("tim", "tanstaaftanstaaf");
    store.add_token("tok", "user");
    let cb = ChannelBinding::TlsExporter(vec![7; 32]);
    let Ok(mut server) = Server::new(
        mechanism.clone(),
        ServerConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce("srv".into()))
            .with_channel_binding(cb.clone())
            .with_advertised_plus(advertised_plus)
            .with_external_identity("user"),
    ) else {
        return;
    };
    let creds = match mechanism {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth("user", "tok"),
        Mechanism::External => Credentials::external(),
        Mechanism::Anonymous => Credentials::anonymous(Some("trace".into())),
        Mechanism::CramMd5 => Credentials::password("tim", "tanstaaftanstaaf"),
        _ => Credentials::password("user", "pencil"),
    };
    let mut client = Client::new(
        mechanism.clone(),
        creds,
        ClientConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce("cli".into()))
            .with_channel_binding(cb),
    )
    .ok();

    let fuzzed = messages(rest);
    let mut fuzzed = fuzzed.into_iter();
    let mut sent = 0usize;
    // The next client message: a genuine one while `sent < genuine`, then fuzzed input.
    let mut next = |challenge: Option<&[u8]>, sent: &mut usize| -> Option<Vec<u8>> {
        *sent += 1;
        if *sent <= genuine
            && let Some(c) = client.as_mut()
        {
            let r = match challenge {
                None => c.initial_response().ok().flatten(),
                Some(ch) => match c.step(ch) {
                    Ok(ClientStep::Response(r)) => Some(r),
                    Ok(_) => Some(Vec::new()),
                    Err(_) => None,
                },
            };
            if r.is_some() {
                return r;
            }
        }
        fuzzed.next().map(<[u8]>::to_vec)
    };

    let mut step = if use_ir {
        let ir = next(None, &mut sent);
        server.start_with(ir.as_deref(), &store)
    } else {
        server.start_with(None, &store)
    };
    for _ in 0..8 {
        match step {
            ServerStep::Challenge(c) => {
                let Some(m) = next(Some(&c), &mut sent) else {
                    return;
                };
                step = server.step_with(&m, &store);
            }
            ServerStep::Success { authcid, .. } => {
                assert!(
                    matches!(authcid.as_str(), "user" | "tim" | "anonymous"),
                    "success for {authcid:?}"
                );
                return;
            }
            _ => return,
        }
    }
});
