//! MX lookup (feature `mx`) end to end on 127.0.0.1: a fake DNS server on a random UDP port
//! answers what each test needs, the mail server relays a queued message to the exchanger the
//! answer names (small SMTP receivers on loopback addresses, one port), and the tests look at
//! what each receiver got, at the queue and at the DSN.

#![cfg(feature = "mx")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use common::{config, fast_retry, free_port, mail_count, temp_dir, wait_for};
use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use mailserver::Running;
use mailserver::config::{MxTls, RelayConfig, Route};
use mailstore::{Envelope, QueuedRecipient, RecipientState};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

// ---- A fake DNS server ----

/// How the fake DNS server answers one (name, type).
#[derive(Clone, Debug)]
enum Reply {
    Records(Vec<RData>),
    NxDomain,
    ServFail,
    /// No answer at all: the resolver times out.
    Silent,
}

#[derive(Clone, Default)]
struct FakeDns {
    /// Unlisted questions get NOERROR with no answer.
    replies: Arc<Mutex<HashMap<(String, RecordType), Reply>>>,
    /// Every question asked, in order.
    asked: Arc<Mutex<Vec<(String, RecordType)>>>,
}

impl FakeDns {
    /// Starts answering on a random UDP port of 127.0.0.1.
    async fn start() -> (Self, SocketAddr) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        let dns = Self::default();
        let server = dns.clone();
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            while let Ok((n, peer)) = socket.recv_from(&mut buffer).await {
                if let Some(answer) = server.answer(&buffer[..n]) {
                    let _ = socket.send_to(&answer, peer).await;
                }
            }
        });
        (dns, address)
    }

    fn set(&self, name: &str, kind: RecordType, reply: Reply) {
        let key = (name.to_ascii_lowercase(), kind);
        self.replies.lock().unwrap().insert(key, reply);
    }

    fn mx(&self, domain: &str, records: &[(u16, &str)]) {
        let data = records
            .iter()
            .map(|(p, host)| RData::MX(MX::new(*p, Name::from_ascii(host).unwrap())))
            .collect();
        self.set(domain, RecordType::MX, Reply::Records(data));
    }

    fn a(&self, host: &str, addresses: &[Ipv4Addr]) {
        let data = addresses.iter().map(|ip| RData::A(A(*ip))).collect();
        self.set(host, RecordType::A, Reply::Records(data));
    }

    fn aaaa(&self, host: &str, addresses: &[Ipv6Addr]) {
        let data = addresses.iter().map(|ip| RData::AAAA(AAAA(*ip))).collect();
        self.set(host, RecordType::AAAA, Reply::Records(data));
    }

    fn asked(&self) -> Vec<(String, RecordType)> {
        self.asked.lock().unwrap().clone()
    }

    fn answer(&self, packet: &[u8]) -> Option<Vec<u8>> {
        let query = Message::from_vec(packet).ok()?;
        let question = query.queries.first()?.clone();
        let name = question.name().to_ascii().to_ascii_lowercase();
        let name = name.trim_end_matches('.').to_owned();
        let kind = question.query_type();
        self.asked.lock().unwrap().push((name.clone(), kind));
        let reply = self.replies.lock().unwrap().get(&(name, kind)).cloned();
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.add_query(question.clone());
        match reply {
            Some(Reply::Silent) => return None,
            Some(Reply::NxDomain) => response.metadata.response_code = ResponseCode::NXDomain,
            Some(Reply::ServFail) => response.metadata.response_code = ResponseCode::ServFail,
            Some(Reply::Records(data)) => {
                for rdata in data {
                    // TTL 0: nothing is cached between attempts.
                    response.add_answer(Record::from_rdata(question.name().clone(), 0, rdata));
                }
            }
            None => {}
        }
        response.to_vec().ok()
    }
}

// ---- A small SMTP receiver ----

/// One transaction a receiver took.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Received {
    from: String,
    to: Vec<String>,
    /// The data as it crossed the wire, dot-stuffed, without the final ".".
    data: Vec<u8>,
}

/// Plain SMTP without extensions (so no STARTTLS: opportunistic TLS falls back to plaintext),
/// accepting everything, on `address`.
async fn receiver(address: SocketAddr) -> Arc<Mutex<Vec<Received>>> {
    let listener = TcpListener::bind(address).await.unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(smtp_session(stream, store.clone()));
        }
    });
    got
}

async fn smtp_session(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut current = Received {
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let _ = write.write_all(b"220 fake.example ESMTP\r\n").await;
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = text.to_ascii_uppercase();
        let path = || {
            text.split_once(':')
                .map(|(_, p)| p.trim_matches(['<', '>', ' ']).to_owned())
        };
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 fake.example\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            current.from = path().unwrap_or_default();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(path().unwrap_or_default());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            let _ = write.write_all(b"354 go on\r\n").await;
            loop {
                line.clear();
                if lines.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == b".\r\n" {
                    break;
                }
                current.data.extend_from_slice(&line);
            }
            store.lock().unwrap().push(current.clone());
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

// ---- The server under test ----

const BODY: &str = "Subject: mx test\r\n\r\nfound through DNS\r\n";

type Inbox = Arc<Mutex<Vec<Received>>>;

/// A fake DNS server, and the port every exchanger of the test listens on (each on its own
/// loopback address).
struct World {
    dns: FakeDns,
    dns_address: SocketAddr,
    port: u16,
}

impl World {
    async fn new() -> Self {
        let (dns, dns_address) = FakeDns::start().await;
        let port = free_port().port();
        Self {
            dns,
            dns_address,
            port,
        }
    }

    /// A receiver on 127.0.0.`last`.
    async fn receiver(&self, last: u8) -> Inbox {
        receiver(SocketAddr::new(loopback(last).into(), self.port)).await
    }

    /// example.net's one exchanger, mx.example.net, at 127.0.0.`last`, with a receiver there.
    async fn single_exchanger(&self, last: u8) -> Inbox {
        self.dns.mx("example.net", &[(10, "mx.example.net")]);
        self.dns.a("mx.example.net", &[loopback(last)]);
        self.receiver(last).await
    }

    /// The relay config: MX lookup through the fake DNS, exchangers on the test's port.
    fn relay(&self, tls: MxTls) -> RelayConfig {
        RelayConfig {
            mx: true,
            nameservers: vec![self.dns_address.to_string()],
            mx_port: self.port,
            tls,
            dns_timeout_ms: 300,
        }
    }

    /// example.org with user alice, relaying as `relay` gives.
    async fn sender(&self, name: &str, tls: MxTls) -> Running {
        let dir = temp_dir(name);
        mailserver::users::set_password(&dir.join("users"), "alice", "alice-pw", false).unwrap();
        let mut config = config("example.org", &dir, None, vec![], fast_retry(3600));
        config.relay = self.relay(tls);
        mailserver::start(config, None).await.unwrap()
    }
}

/// Queues a message from alice to bob@example.net and wakes the relay worker.
fn queue_for_bob(server: &Running) {
    let envelope = Envelope::new("alice@example.org", ["bob@example.net"]);
    let context = &server.context;
    context
        .queue
        .enqueue(&envelope, [BODY.as_bytes()], SystemTime::now())
        .unwrap();
    context.wake_relay();
}

fn queue_is_empty(server: &Running) -> bool {
    server
        .context
        .queue
        .items()
        .map(|i| i.is_empty())
        .unwrap_or(false)
}

/// Waits for the first attempt, and returns bob as the queue then holds him.
async fn after_one_attempt(server: &Running) -> QueuedRecipient {
    wait_for("a failed attempt", 20, || {
        let items = server.context.queue.items().unwrap();
        items.iter().any(|i| i.attempts >= 1)
    })
    .await;
    let item = server.context.queue.items().unwrap().pop().unwrap();
    item.recipients[0].clone()
}

async fn stop(server: Running) {
    let dir = server.context.config.data_dir.clone();
    server.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

fn loopback(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// Waits for one message at `got`, then for the queue to empty; the receiver saw alice's
/// envelope and the queued bytes.
async fn delivered_once(server: &Running, got: &Inbox) {
    wait_for("delivery", 20, || !got.lock().unwrap().is_empty()).await;
    wait_for("an empty queue", 10, || queue_is_empty(server)).await;
    let expected = Received {
        from: "alice@example.org".into(),
        to: vec!["bob@example.net".into()],
        data: BODY.as_bytes().to_vec(),
    };
    assert_eq!(*got.lock().unwrap(), vec![expected]);
}

/// Waits for alice's DSN, and returns it in lower case.
async fn dsn_for_alice(server: &Running) -> String {
    wait_for("the DSN in alice's mailbox", 20, || {
        mail_count(server, "alice") == 1
    })
    .await;
    assert!(queue_is_empty(server), "the item is gone once reported");
    let maildir = server.context.maildir("alice").unwrap();
    let entry = maildir.list().unwrap().pop().unwrap();
    String::from_utf8_lossy(&maildir.read(&entry.id).unwrap()).to_ascii_lowercase()
}

// ---- Tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lowest_preference_exchanger_gets_the_message() {
    let world = World::new().await;
    // Listed worst first: the order of the answer must not matter.
    let mx = [(20, "mx-b.example.net"), (10, "mx-a.example.net")];
    world.dns.mx("example.net", &mx);
    world.dns.a("mx-a.example.net", &[loopback(2)]);
    world.dns.a("mx-b.example.net", &[loopback(1)]);
    let best = world.receiver(2).await;
    let worse = world.receiver(1).await;
    let server = world.sender("mx-pref", MxTls::Opportunistic).await;
    queue_for_bob(&server);
    delivered_once(&server, &best).await;
    assert!(
        worse.lock().unwrap().is_empty(),
        "the worse exchanger got mail"
    );
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_address_then_the_next_exchanger_is_tried() {
    let world = World::new().await;
    // mx-a: two addresses where nobody listens; mx-b: one dead address, then a live one.
    let mx = [(10, "mx-a.example.net"), (20, "mx-b.example.net")];
    world.dns.mx("example.net", &mx);
    world.dns.a("mx-a.example.net", &[loopback(3), loopback(4)]);
    world.dns.a("mx-b.example.net", &[loopback(5), loopback(6)]);
    let got = world.receiver(6).await;
    let server = world.sender("mx-fallback", MxTls::Opportunistic).await;
    queue_for_bob(&server);
    delivered_once(&server, &got).await;
    let asked = world.dns.asked();
    let position = |name: &str| {
        asked
            .iter()
            .position(|(n, t)| n == name && *t == RecordType::A)
            .unwrap_or_else(|| panic!("{name} A was not asked: {asked:?}"))
    };
    assert!(position("mx-a.example.net") < position("mx-b.example.net"));
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mx_records_the_domain_itself_is_the_exchanger() {
    let world = World::new().await;
    // No MX (NOERROR, no data): RFC 5321 section 5.1's implicit MX, over IPv4 and IPv6.
    world.dns.a("example.net", &[loopback(7)]);
    world.dns.aaaa("example.net", &[Ipv6Addr::LOCALHOST]);
    let got = world.receiver(7).await;
    let server = world.sender("mx-implicit", MxTls::Opportunistic).await;
    queue_for_bob(&server);
    delivered_once(&server, &got).await;
    let asked = world.dns.asked();
    assert!(asked.contains(&("example.net".into(), RecordType::MX)));
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_mx_bounces_with_5_1_10() {
    let world = World::new().await;
    world.dns.mx("example.net", &[(0, ".")]);
    // An address the implicit MX would use: a null MX must not fall back to it.
    world.dns.a("example.net", &[loopback(8)]);
    let got = world.receiver(8).await;
    let server = world.sender("mx-null", MxTls::Opportunistic).await;
    queue_for_bob(&server);
    let dsn = dsn_for_alice(&server).await;
    assert!(
        dsn.contains("final-recipient: rfc822; bob@example.net"),
        "{dsn}"
    );
    assert!(dsn.contains("action: failed"));
    assert!(dsn.contains("status: 5.1.10"), "{dsn}");
    assert!(got.lock().unwrap().is_empty());
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nxdomain_bounces_with_5_1_2() {
    let world = World::new().await;
    world
        .dns
        .set("example.net", RecordType::MX, Reply::NxDomain);
    let server = world.sender("mx-nxdomain", MxTls::None).await;
    queue_for_bob(&server);
    let dsn = dsn_for_alice(&server).await;
    assert!(dsn.contains("status: 5.1.2"), "{dsn}");
    assert!(dsn.contains("does not exist"));
    stop(server).await;
}

/// The MX question gets `trouble`: the message stays queued with a 4.4.3 error and no DSN;
/// once DNS answers, a later attempt delivers it.
async fn dns_trouble_is_temporary(name: &str, trouble: Reply) {
    let world = World::new().await;
    world.dns.set("example.net", RecordType::MX, trouble);
    let server = world.sender(name, MxTls::Opportunistic).await;
    queue_for_bob(&server);
    let bob = after_one_attempt(&server).await;
    assert_eq!(bob.state, RecipientState::Pending);
    let error = bob.last_error.unwrap_or_default();
    assert!(error.starts_with("451 4.4.3 "), "{error}");
    assert_eq!(
        mail_count(&server, "alice"),
        0,
        "no DSN for a temporary failure"
    );

    let got = world.single_exchanger(9).await;
    delivered_once(&server, &got).await;
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servfail_keeps_the_message_queued_for_a_retry() {
    dns_trouble_is_temporary("mx-servfail", Reply::ServFail).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_timeout_keeps_the_message_queued_for_a_retry() {
    dns_trouble_is_temporary("mx-timeout", Reply::Silent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_route_wins_over_dns() {
    let world = World::new().await;
    let by_dns = world.single_exchanger(10).await;
    let by_route = world.receiver(11).await;
    let dir = temp_dir("mx-route");
    let mut config = config("example.org", &dir, None, vec![], fast_retry(3600));
    let route = Route {
        address: SocketAddr::new(loopback(11).into(), world.port).to_string(),
        starttls: false,
        insecure: false,
        ca_file: None,
    };
    config.routes.insert("example.net".into(), route);
    config.relay = world.relay(MxTls::Opportunistic);
    let server = mailserver::start(config, None).await.unwrap();
    queue_for_bob(&server);
    delivered_once(&server, &by_route).await;
    assert!(by_dns.lock().unwrap().is_empty());
    let asked = world.dns.asked();
    assert!(asked.is_empty(), "DNS was asked: {asked:?}");
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_to_a_real_exchanger_when_required() {
    let world = World::new().await;
    world.dns.mx("example.net", &[(10, "mx.example.net")]);
    world.dns.a("mx.example.net", &[loopback(1)]);
    // example.net is one of ours, with STARTTLS, listening where the exchanger is.
    let net_dir = temp_dir("mx-tls-net");
    mailserver::users::set_password(&net_dir.join("users"), "bob", "bob-pw", false).unwrap();
    let at = SocketAddr::new(loopback(1).into(), world.port);
    let net_config = config("example.net", &net_dir, Some(at), vec![], fast_retry(3600));
    let net = mailserver::start(net_config, None).await.unwrap();
    let org = world.sender("mx-tls-org", MxTls::Required).await;
    queue_for_bob(&org);
    wait_for("delivery to bob", 20, || mail_count(&net, "bob") == 1).await;
    wait_for("an empty queue", 10, || queue_is_empty(&org)).await;
    let maildir = net.context.maildir("bob").unwrap();
    let entry = maildir.list().unwrap().pop().unwrap();
    let stored = String::from_utf8_lossy(&maildir.read(&entry.id).unwrap()).into_owned();
    assert!(stored.contains("found through DNS"), "{stored}");
    let tls = "by mx.example.net with ESMTPS";
    assert!(stored.contains(tls), "TLS was used: {stored}");
    stop(org).await;
    stop(net).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_tls_without_starttls_defers() {
    let world = World::new().await;
    // The small receiver offers no STARTTLS.
    let got = world.single_exchanger(12).await;
    let server = world.sender("mx-tls-required", MxTls::Required).await;
    queue_for_bob(&server);
    let bob = after_one_attempt(&server).await;
    assert_eq!(bob.state, RecipientState::Pending);
    assert!(got.lock().unwrap().is_empty(), "sent without TLS");
    stop(server).await;
}
