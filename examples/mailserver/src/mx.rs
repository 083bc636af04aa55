//! Next hops from DNS (feature `mx`): the mail exchangers of a domain in the order RFC 5321
//! section 5.1 gives, and the addresses of each.
//!
//! - MX records are sorted by preference, lowest first. Exchangers of equal preference are
//!   shuffled on every lookup (section 5.1: the client "MUST randomize them to spread the
//!   load").
//! - A domain with no MX record (NOERROR, no data) is its own exchanger: the implicit MX of
//!   section 5.1, reached through its A/AAAA records.
//! - A null MX (RFC 7505: one MX of preference 0 naming the root ".") says the domain takes no
//!   mail: a permanent failure with status 5.1.10 (RFC 7505 section 4.2).
//! - NXDOMAIN is permanent (5.1.2, "bad destination system address", RFC 3463); a timeout,
//!   SERVFAIL or any other DNS trouble is temporary (4.4.3, "directory server failure") and the
//!   message stays in the queue.
//! - When this server's own host name is among the exchangers, only the ones preferred over it
//!   are used (section 5.1), and none left means a loop (5.4.6).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use mailstore::Outcome;

use crate::config::RelayConfig;

/// One MX record: preference and exchanger host name (lower case, no trailing dot; the root
/// is ".").
pub type MxRecord = (u16, String);

/// The resolver the relay worker asks, built from `[relay]`.
#[derive(Clone)]
pub struct MxResolver {
    resolver: TokioResolver,
}

impl std::fmt::Debug for MxResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MxResolver").finish_non_exhaustive()
    }
}

/// What a DNS answer came to, before it is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// Records of the type asked for.
    Records(T),
    /// The name exists but has no record of that type (NOERROR, no data).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// No usable answer now (timeout, SERVFAIL, refused, network): try again later.
    Trouble(String),
}

impl MxResolver {
    /// A resolver asking `config.nameservers`, or the servers of `/etc/resolv.conf` when none
    /// are given, with `config.dns_timeout_ms` per query.
    pub fn new(config: &RelayConfig) -> Result<Self, String> {
        let mut builder = if config.nameservers.is_empty() {
            TokioResolver::builder_tokio().map_err(|e| format!("/etc/resolv.conf: {e}"))?
        } else {
            let servers = config
                .nameservers
                .iter()
                .map(|s| name_server(s))
                .collect::<Result<Vec<_>, _>>()?;
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let options = builder.options_mut();
        options.timeout = Duration::from_millis(config.dns_timeout_ms.max(1));
        // The resolver's default asks for AAAA first; IPv4 first is what most exchangers
        // serve best, and it keeps the order predictable.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        let resolver = builder.build().map_err(|e| format!("DNS resolver: {e}"))?;
        Ok(Self { resolver })
    }

    /// The exchangers to try for `domain`, in order (see the module documentation), or the
    /// outcome for every recipient when there are none to try.
    pub async fn exchangers(
        &self,
        domain: &str,
        own_hostname: &str,
    ) -> Result<Vec<String>, Outcome> {
        let answer = self.mx_records(domain).await;
        order(answer, domain, own_hostname, &mut random_below)
    }

    /// The addresses of `host`: A and AAAA asked together, the IPv4 ones first, each family in
    /// the order of the answer.
    pub async fn addresses(&self, host: &str) -> Answer<Vec<IpAddr>> {
        let name = match fqdn(host) {
            Ok(name) => name,
            Err(e) => return Answer::Trouble(e),
        };
        match self.resolver.lookup_ip(name).await {
            Ok(lookup) => {
                let addresses: Vec<IpAddr> = lookup.iter().collect();
                if addresses.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(addresses)
                }
            }
            Err(e) => classify(&e),
        }
    }

    async fn mx_records(&self, domain: &str) -> Answer<Vec<MxRecord>> {
        let name = match fqdn(domain) {
            Ok(name) => name,
            Err(e) => return Answer::Trouble(e),
        };
        match self.resolver.lookup(name, RecordType::MX).await {
            Ok(lookup) => {
                // A CNAME chain may come along in the answer section: only the MX records count.
                let records: Vec<MxRecord> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::MX(mx) => Some((mx.preference, host_name(&mx.exchange))),
                        _ => None,
                    })
                    .collect();
                if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                }
            }
            Err(e) => classify(&e),
        }
    }
}

/// `ip` or `ip:port` (port 53 by default), UDP with TCP for truncated answers.
fn name_server(text: &str) -> Result<NameServerConfig, String> {
    let address = match text.parse::<SocketAddr>() {
        Ok(address) => address,
        Err(_) => text
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, 53))
            .map_err(|_| format!("name server {text:?} is not ip or ip:port"))?,
    };
    let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
        .into_iter()
        .map(|mut connection| {
            connection.port = address.port();
            connection
        })
        .collect();
    Ok(NameServerConfig::new(address.ip(), true, connections))
}

/// The name with a final dot, so that no search domain of resolv.conf is ever appended.
fn fqdn(host: &str) -> Result<Name, String> {
    let text = if host.ends_with('.') {
        host.to_owned()
    } else {
        format!("{host}.")
    };
    Name::from_ascii(&text).map_err(|e| format!("{host:?} is not a domain name: {e}"))
}

/// Lower case without the final dot; the root stays ".".
fn host_name(name: &Name) -> String {
    if name.is_root() {
        return ".".into();
    }
    let text = name.to_ascii().to_ascii_lowercase();
    text.strip_suffix('.').map(str::to_owned).unwrap_or(text)
}

/// NXDOMAIN and NOERROR-no-data are answers; everything else is trouble for now.
fn classify<T>(error: &NetError) -> Answer<T> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords {
            response_code: ResponseCode::NXDomain,
            ..
        })) => Answer::NxDomain,
        NetError::Dns(DnsError::NoRecordsFound(_)) => Answer::NoData,
        other => Answer::Trouble(other.to_string()),
    }
}

/// A uniform index below `n` from the operating system's generator; 0 when it fails, which
/// only costs the load spreading, never a delivery.
fn random_below(n: usize) -> usize {
    let n64 = u64::try_from(n).unwrap_or(u64::MAX).max(1);
    getrandom::u64()
        .ok()
        .and_then(|r| usize::try_from(r % n64).ok())
        .unwrap_or(0)
}

/// The exchangers to try for `domain` given its MX answer (RFC 5321 section 5.1, RFC 7505),
/// or the outcome for its recipients when there is none. `random(n)` picks an index below `n`
/// to shuffle exchangers of equal preference.
pub fn order(
    answer: Answer<Vec<MxRecord>>,
    domain: &str,
    own_hostname: &str,
    random: &mut impl FnMut(usize) -> usize,
) -> Result<Vec<String>, Outcome> {
    let mut records = match answer {
        Answer::Records(records) => records,
        // Section 5.1: no MX records, the domain itself is the implicit MX.
        Answer::NoData => return Ok(vec![domain.to_ascii_lowercase()]),
        Answer::NxDomain => {
            return Err(Outcome::Failed(format!(
                "550 5.1.2 Domain {domain} does not exist (NXDOMAIN)"
            )));
        }
        Answer::Trouble(e) => {
            return Err(Outcome::Deferred(format!(
                "451 4.4.3 MX lookup for {domain} failed: {e}"
            )));
        }
    };
    // RFC 7505 section 3: a null MX is alone in its set; a "." among real exchangers is a
    // misconfiguration, and the real ones are still tried.
    if records.iter().all(|(_, host)| host == ".") {
        return Err(Outcome::Failed(format!(
            "556 5.1.10 Domain {domain} accepts no mail (null MX, RFC 7505)"
        )));
    }
    records.retain(|(_, host)| host != ".");
    records.sort_by_key(|(preference, _)| *preference);
    let own = own_hostname.trim_end_matches('.');
    if let Some(own_preference) = records
        .iter()
        .find(|(_, host)| host.eq_ignore_ascii_case(own))
        .map(|(preference, _)| *preference)
    {
        records.retain(|(preference, _)| *preference < own_preference);
        if records.is_empty() {
            return Err(Outcome::Failed(format!(
                "554 5.4.6 Mail for {domain} loops back to myself ({own} is its best MX)"
            )));
        }
    }
    shuffle_equal_preferences(&mut records, random);
    Ok(records.into_iter().map(|(_, host)| host).collect())
}

/// Shuffles each run of equal preference in place (Fisher-Yates within the run); `records`
/// is sorted by preference.
fn shuffle_equal_preferences(records: &mut [MxRecord], random: &mut impl FnMut(usize) -> usize) {
    for run in records.chunk_by_mut(|a, b| a.0 == b.0) {
        for i in (1..run.len()).rev() {
            let j = random(i + 1).min(i);
            run.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(records: &[(u16, &str)]) -> Answer<Vec<MxRecord>> {
        Answer::Records(records.iter().map(|(p, h)| (*p, h.to_string())).collect())
    }

    fn no_shuffle(_: usize) -> usize {
        // Fisher-Yates with j = i keeps every element in place.
        usize::MAX
    }

    #[test]
    fn sorted_by_preference_lowest_first() {
        let hosts = order(
            mx(&[(20, "b.example"), (5, "a.example"), (30, "c.example")]),
            "example.net",
            "mx.example.org",
            &mut no_shuffle,
        )
        .unwrap();
        assert_eq!(hosts, ["a.example", "b.example", "c.example"]);
    }

    #[test]
    fn equal_preferences_are_shuffled_and_stay_behind_better_ones() {
        let records = mx(&[(10, "x"), (10, "y"), (10, "z"), (5, "first"), (50, "last")]);
        let mut seen = std::collections::BTreeSet::new();
        // Every choice of the random source gives a permutation of the run of 10s.
        for seed in 0..64usize {
            let mut state = seed;
            let mut random = |n: usize| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % n
            };
            let hosts = order(records.clone(), "d", "me", &mut random).unwrap();
            assert_eq!(hosts.first().unwrap(), "first");
            assert_eq!(hosts.last().unwrap(), "last");
            let mut middle = hosts[1..4].to_vec();
            seen.insert(middle.clone());
            middle.sort();
            assert_eq!(middle, ["x", "y", "z"]);
        }
        assert!(seen.len() > 1, "the equal preferences were never shuffled");
    }

    #[test]
    fn no_mx_is_the_implicit_mx() {
        let hosts = order(Answer::NoData, "Example.NET", "me", &mut no_shuffle).unwrap();
        assert_eq!(hosts, ["example.net"]);
    }

    #[test]
    fn a_null_mx_fails_for_good_with_5_1_10() {
        let Err(Outcome::Failed(line)) = order(mx(&[(0, ".")]), "d.example", "me", &mut no_shuffle)
        else {
            panic!("a null MX must fail permanently");
        };
        assert!(line.starts_with("556 5.1.10 "), "{line}");
        // A "." beside real exchangers is ignored (RFC 7505 section 3 forbids the mix).
        let hosts = order(mx(&[(0, "."), (10, "real")]), "d", "me", &mut no_shuffle).unwrap();
        assert_eq!(hosts, ["real"]);
    }

    #[test]
    fn nxdomain_is_permanent_and_trouble_is_temporary() {
        assert!(matches!(
            order(Answer::NxDomain, "d", "me", &mut no_shuffle),
            Err(Outcome::Failed(line)) if line.starts_with("550 5.1.2 ")
        ));
        assert!(matches!(
            order(Answer::Trouble("SERVFAIL".into()), "d", "me", &mut no_shuffle),
            Err(Outcome::Deferred(line)) if line.starts_with("451 4.4.3 ") && line.contains("SERVFAIL")
        ));
    }

    #[test]
    fn only_exchangers_better_than_myself_are_used() {
        let records = mx(&[(10, "a"), (20, "mx.example.org"), (20, "b"), (30, "c")]);
        let hosts = order(records, "d", "MX.example.org.", &mut no_shuffle).unwrap();
        assert_eq!(hosts, ["a"]);
        let looped = order(
            mx(&[(10, "mx.example.org")]),
            "d",
            "mx.example.org",
            &mut no_shuffle,
        );
        assert!(matches!(looped, Err(Outcome::Failed(line)) if line.starts_with("554 5.4.6 ")));
    }

    #[test]
    fn random_below_stays_below() {
        for n in 1..20 {
            assert!(random_below(n) < n);
        }
        assert_eq!(random_below(0), 0);
    }

    #[test]
    fn name_servers_parse_with_and_without_port() {
        let server = name_server("127.0.0.1:5353").unwrap();
        assert_eq!(server.ip, IpAddr::from([127, 0, 0, 1]));
        assert!(server.connections.iter().all(|c| c.port == 5353));
        let server = name_server("::1").unwrap();
        assert!(server.connections.iter().all(|c| c.port == 53));
        assert!(name_server("dns.example").is_err());
    }

    #[test]
    fn names_are_fully_qualified_and_normalised() {
        assert_eq!(fqdn("example.net").unwrap().to_ascii(), "example.net.");
        assert_eq!(fqdn("example.net.").unwrap().to_ascii(), "example.net.");
        assert_eq!(
            host_name(&Name::from_ascii("MX1.Example.NET.").unwrap()),
            "mx1.example.net"
        );
        assert_eq!(host_name(&Name::root()), ".");
    }
}
