//! Our SMTP client in LMTP mode to Dovecot's LMTP: one reply per recipient after the data.

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::time::Duration;

use interop::{DOTTED_BODY, Peers, assert_stored_intact, message, smtp, unique, wait_for_message};
use proto_io::TlsMode;
use proto_io::submit::{SubmitOptions, submit};
use smtp_proto::{ClientConfig, MessageDeclaration, TlsPolicy};
use smtp_proto::{MailParameters, RcptParameters};

#[test]
fn lmtp_replies_per_recipient() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("lmtp");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let options = SubmitOptions::new(peers.endpoint("LMTP", TlsMode::Plain)).lmtp(true);
    let report = submit(
        &options,
        &bob.address,
        [&alice.address, &bob.address],
        &sent[..],
        None,
    )
    .unwrap_or_else(|e| panic!("LMTP: {e}\n{}", peers.logs(20)));
    assert_eq!(
        report.accepted,
        vec![alice.address.clone(), bob.address.clone()]
    );
    let who: Vec<&str> = report.deliveries.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(who, vec![alice.address.as_str(), bob.address.as_str()]);
    for (who, reply) in &report.deliveries {
        assert_eq!(reply.code().get(), 250, "{who}: {reply}");
        assert!(reply.text().contains("Saved"), "{who}: {reply}");
    }
    for user in [&alice, &bob] {
        let (_, stored) = wait_for_message(&peers, &user.maildir, &token, Duration::from_secs(5));
        assert_stored_intact(&stored, &sent);
    }
}

#[test]
fn lmtp_unknown_user_refused_at_rcpt_others_delivered() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let nobody = format!("nobody-{}@{}", unique("n"), peers.get("INTEROP_DOMAIN"));
    let token = unique("lmtp-mixed");
    let sent = message(&alice.address, &alice.address, &token, DOTTED_BODY);
    let config = ClientConfig::default()
        .with_lmtp(true)
        .with_tls(TlsPolicy::Never)
        .with_chunking(false);
    let (mut driver, caps) = smtp::ready(&peers.endpoint("LMTP", TlsMode::Plain), config, None);
    assert!(caps.pipelining);
    let out = smtp::transaction(
        &mut driver,
        &alice.address,
        MessageDeclaration::new(),
        MailParameters::new(),
        vec![
            (nobody.as_str(), RcptParameters::new()),
            (alice.address.as_str(), RcptParameters::new()),
        ],
        &sent,
    )
    .expect("LMTP transaction");
    smtp::quit(&mut driver);
    assert_eq!(out.rcpts.len(), 2);
    assert_eq!(out.rcpts[0].1.code().get(), 550, "{}", out.rcpts[0].1);
    assert_eq!(out.rcpts[1].1.code().get(), 250);
    assert_eq!(
        out.lmtp.len(),
        1,
        "one reply after the data: {:?}",
        out.lmtp
    );
    assert_eq!(out.lmtp[0].0, alice.address);
    assert_eq!(out.lmtp[0].1.code().get(), 250);
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, Duration::from_secs(5));
    assert_stored_intact(&stored, &sent);
}
