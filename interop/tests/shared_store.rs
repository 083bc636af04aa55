//! One Maildir for our mailserver and Dovecot: what one delivers, the other serves.
//!
//! Our server's data directory gets a `mail` link to the peers' `DIR/mail`, so that
//! `data_dir/mail/<user>` is Dovecot's Maildir. Dovecot runs as `vmail`, our tests as root:
//! after our server wrote, the Maildir is given back to `vmail`.

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::time::Duration;

use interop::pop3::Session;
use interop::{
    DOTTED_BODY, OurServer, Peers, ServerSetup, assert_stored_intact, chown_tree, message, unique,
    wait_for_message,
};
use pop3_proto::{ClientConfig, LoginMethod};
use proto_io::submit::{SubmitOptions, submit};
use proto_io::{Endpoint, TlsMode};

#[test]
fn our_delivery_read_by_dovecot() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let mut setup = ServerSetup::like_peers(&peers);
    setup.shared_mail = Some(peers.dir().join("mail"));
    let server = OurServer::start(&peers, &setup);
    let token = unique("ours-to-dovecot");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    // Our client to our server's MX port: our server stores into Dovecot's Maildir.
    let endpoint =
        Endpoint::new(peers.host(), server.port("smtp"), TlsMode::StartTls).trust(peers.trust());
    let report = submit(
        &SubmitOptions::new(endpoint),
        &bob.address,
        [&alice.address],
        &sent[..],
        None,
    )
    .expect("delivery to our server");
    assert_eq!(report.accepted, vec![alice.address.clone()]);
    let (path, stored) = wait_for_message(&peers, &alice.maildir, &token, Duration::from_secs(5));
    assert!(path.starts_with(&alice.maildir));
    assert_stored_intact(&stored, &sent);
    drop(server);
    chown_tree(&alice.maildir, "vmail");

    // Dovecot serves it: our POP3 client finds it and RETR gives what was sent.
    let mut s = Session::connect(
        &peers.endpoint("POP3", TlsMode::StartTls),
        ClientConfig::new(),
        None,
    );
    s.must_login(alice.credentials(), LoginMethod::UserPass);
    let (n, _) = s.find(&token).expect("Dovecot lists our delivery");
    let got = s.retr(n);
    assert!(
        got.ends_with(&sent),
        "RETR from Dovecot:\n{}",
        String::from_utf8_lossy(&got)
    );
    s.quit();
}

#[test]
fn postfix_delivery_served_by_our_pop3() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("postfix-to-ours");
    let sent = message(&alice.address, &bob.address, &token, DOTTED_BODY);
    // Postfix -> LMTP -> Dovecot -> DIR/mail/bob.
    submit(
        &SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain)),
        &alice.address,
        [&bob.address],
        &sent[..],
        None,
    )
    .expect("delivery through Postfix");
    let (_, stored) = wait_for_message(&peers, &bob.maildir, &token, Duration::from_secs(20));
    assert_stored_intact(&stored, &sent);

    let mut setup = ServerSetup::like_peers(&peers);
    setup.shared_mail = Some(peers.dir().join("mail"));
    let server = OurServer::start(&peers, &setup);
    let endpoint =
        Endpoint::new(peers.host(), server.port("pop3"), TlsMode::StartTls).trust(peers.trust());
    let mut s = Session::connect(&endpoint, ClientConfig::new(), None);
    s.must_login(bob.credentials(), LoginMethod::Auto);
    let (n, _) = s.find(&token).expect("our server lists Postfix's delivery");
    let got = s.retr(n);
    // Our server gives the stored message back with CRLF: Dovecot's added headers, then ours.
    assert_eq!(interop::crlf_to_lf(&got), stored);
    assert!(got.ends_with(&sent));
    s.quit();
    drop(server);
    chown_tree(&bob.maildir, "vmail");
}
