//! Configuration: a TOML file, with defaults that run out of the box on high ports on
//! 127.0.0.1 with a data directory under the current directory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The host name in greetings, Received fields and bounces.
    pub hostname: String,
    /// Domains whose mail is delivered here (to users of the users file).
    pub domains: Vec<String>,
    /// Where mail, the queue and the users file live.
    pub data_dir: PathBuf,
    /// Listening addresses; an absent one is not served.
    pub listen: Listen,
    /// TLS certificate; without one a self-signed certificate for the host name is made.
    pub tls: Tls,
    /// Where mail for other domains goes: domain to next hop.
    pub routes: BTreeMap<String, Route>,
    /// Abuse controls and sizes.
    pub limits: Limits,
    /// The relay retry schedule.
    pub retry: RetryConfig,
    /// How domains without a route are reached (MX lookup, feature `mx`).
    pub relay: RelayConfig,
    /// Allow logins and AUTH without TLS (trusted local links only).
    pub allow_plaintext_auth: bool,
    /// How failed logins slow down and lock out.
    pub login_throttle: crate::throttle::ThrottleConfig,
    /// What a submission's `From:` header may hold: "off", "warn" or "refuse".
    pub from_header: crate::sender::FromHeaderPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            domains: vec!["localhost".into()],
            data_dir: PathBuf::from("mailserver-data"),
            listen: Listen::default(),
            tls: Tls::default(),
            routes: BTreeMap::new(),
            limits: Limits::default(),
            retry: RetryConfig::default(),
            relay: RelayConfig::default(),
            allow_plaintext_auth: false,
            login_throttle: crate::throttle::ThrottleConfig::default(),
            from_header: crate::sender::FromHeaderPolicy::default(),
        }
    }
}

impl Config {
    /// Reads a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// True if `domain` is delivered here.
    pub fn is_local(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The users file.
    pub fn users_file(&self) -> PathBuf {
        self.data_dir.join("users")
    }
}

/// Listening addresses: `"ip:port"`, or `"off"` for a listener not served (one not given keeps
/// its default).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    /// SMTP for mail from other servers (MX): local domains only, no relaying.
    #[serde(deserialize_with = "listener")]
    pub smtp: Option<SocketAddr>,
    /// Submission (RFC 6409): AUTH required, relays for its users.
    #[serde(deserialize_with = "listener")]
    pub submission: Option<SocketAddr>,
    /// Submission over implicit TLS (RFC 8314).
    #[serde(deserialize_with = "listener")]
    pub submissions: Option<SocketAddr>,
    /// LMTP: local delivery, one reply per recipient.
    #[serde(deserialize_with = "listener")]
    pub lmtp: Option<SocketAddr>,
    /// POP3 with STLS.
    #[serde(deserialize_with = "listener")]
    pub pop3: Option<SocketAddr>,
    /// POP3 over implicit TLS.
    #[serde(deserialize_with = "listener")]
    pub pop3s: Option<SocketAddr>,
}

/// A listener's address, or `"off"`: without it a listener with a default port could not be
/// switched off in the file, as TOML has no null.
fn listener<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    if text == "off" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!("{text:?} is not an address (ip:port) nor \"off\""))
    })
}

impl Default for Listen {
    fn default() -> Self {
        let at = |port: u16| Some(SocketAddr::from(([127, 0, 0, 1], port)));
        Self {
            smtp: at(2525),
            submission: at(2587),
            submissions: None,
            lmtp: at(2424),
            pop3: at(2110),
            pop3s: None,
        }
    }
}

/// Certificate files.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// PEM certificate chain.
    pub cert: Option<PathBuf>,
    /// PEM private key.
    pub key: Option<PathBuf>,
}

/// A next hop for a domain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// host:port.
    pub address: String,
    /// Use STARTTLS (required when true).
    #[serde(default)]
    pub starttls: bool,
    /// Accept any certificate (tests and the walkthrough, on loopback only).
    #[serde(default)]
    pub insecure: bool,
    /// A CA file to trust instead of the web roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Abuse controls and sizes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Connections served at once per listener.
    pub max_connections: usize,
    /// Connections at once from one IP address.
    pub max_per_ip: usize,
    /// The largest message accepted, in octets.
    pub max_message_size: u64,
    /// Recipients per message.
    pub max_recipients: usize,
    /// Password hashes computed at once (0: one per core).
    pub hash_workers: usize,
    /// How long a client may make no progress (no whole command, under 1 KiB of message
    /// data) before it is closed, in milliseconds; also the deadline of a reply the client
    /// does not read. Unset: the protocol's default (SMTP 5 minutes, POP3 10 minutes).
    pub idle_timeout_ms: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 100,
            max_per_ip: 20,
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 100,
            hash_workers: 0,
            idle_timeout_ms: None,
        }
    }
}

/// The relay schedule, in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Wait after the first failed attempt.
    pub first_delay_secs: u64,
    /// Longest wait.
    pub max_delay_secs: u64,
    /// Give up (and bounce) this long after arrival.
    pub give_up_after_secs: u64,
    /// How often the queue is looked at when nothing wakes it.
    pub scan_interval_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            first_delay_secs: 300,
            max_delay_secs: 4 * 3600,
            give_up_after_secs: 5 * 24 * 3600,
            scan_interval_ms: 1000,
        }
    }
}

impl RetryConfig {
    /// The mailstore schedule.
    pub fn retry(&self) -> mailstore::Retry {
        mailstore::Retry::new()
            .first_delay(Duration::from_secs(self.first_delay_secs))
            .max_delay(Duration::from_secs(self.max_delay_secs))
            .give_up_after(Duration::from_secs(self.give_up_after_secs))
    }
}

/// Delivery to domains that have no static route: through DNS (RFC 5321 section 5.1), when the
/// server is built with the `mx` feature and `mx` is true. Static routes always win.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// Look up MX records (then A/AAAA) for domains without a route; without it such
    /// recipients fail with 5.4.4 "no route".
    pub mx: bool,
    /// DNS servers as `ip` or `ip:port` (port 53 by default); empty means the system's
    /// `/etc/resolv.conf`.
    pub nameservers: Vec<String>,
    /// The SMTP port of the mail exchangers (25; tests use a high port).
    pub mx_port: u16,
    /// STARTTLS towards mail exchangers.
    pub tls: MxTls,
    /// How long one DNS query may take before it counts as a temporary failure.
    pub dns_timeout_ms: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            mx: false,
            nameservers: Vec::new(),
            mx_port: 25,
            tls: MxTls::Opportunistic,
            dns_timeout_ms: 5000,
        }
    }
}

/// STARTTLS towards a mail exchanger found through DNS. Its certificate is not checked: the
/// connection is made to an address, the name in DNS is not authenticated without DNSSEC, and
/// RFC 3207 section 4.1 leaves trust to local policy; TLS here protects against passive
/// eavesdropping only (opportunistic security, RFC 7435).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MxTls {
    /// STARTTLS when offered; plaintext again on the same address when it is not offered or
    /// its handshake fails.
    Opportunistic,
    /// STARTTLS or no delivery (deferred).
    Required,
    /// Never STARTTLS.
    None,
}

#[cfg(test)]
pub(crate) mod keys {
    //! Every key the configuration accepts, as serde's derived code lists them: a deserializer
    //! that answers each struct with all of its fields, each map with one entry (`*`), each
    //! option with a value, and each leaf with a value its type takes.

    use serde::de::value::{Error, StrDeserializer};
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
    use serde::forward_to_deserialize_any;

    /// The dotted path of every key (`listen.smtp`, `routes.*.address`), in field order; an
    /// error when a field's type takes none of the values given here.
    pub(crate) fn accepted() -> Result<Vec<String>, Error> {
        let mut keys = Vec::new();
        <super::Config as serde::Deserialize>::deserialize(Keys {
            path: String::new(),
            keys: &mut keys,
        })?;
        Ok(keys)
    }

    struct Keys<'a> {
        path: String,
        keys: &'a mut Vec<String>,
    }

    impl Keys<'_> {
        fn child(&self, name: &str) -> String {
            match self.path.is_empty() {
                true => name.to_owned(),
                false => format!("{}.{name}", self.path),
            }
        }
    }

    /// The entries of a struct or map: `names` with the values they lead to.
    struct Entries<'a, 'k> {
        keys: &'k mut Keys<'a>,
        names: Vec<String>,
        next: usize,
    }

    impl<'de> MapAccess<'de> for Entries<'_, '_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            let Some(name) = self.names.get(self.next) else {
                return Ok(None);
            };
            let name: StrDeserializer<'_, Error> = name.as_str().into_deserializer();
            seed.deserialize(name).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let name = self.names.get(self.next).cloned().unwrap_or_default();
            self.next += 1;
            let path = self.keys.child(&name);
            seed.deserialize(Keys {
                path,
                keys: self.keys.keys,
            })
        }
    }

    impl<'de> de::Deserializer<'de> for Keys<'_> {
        type Error = Error;

        fn deserialize_struct<V: Visitor<'de>>(
            mut self,
            _name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            for field in fields {
                let key = self.child(field);
                self.keys.push(key);
            }
            let names = fields.iter().map(|f| f.to_string()).collect();
            visitor.visit_map(Entries {
                keys: &mut self,
                names,
                next: 0,
            })
        }

        fn deserialize_map<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
            let key = self.child("*");
            self.keys.push(key);
            visitor.visit_map(Entries {
                keys: &mut self,
                names: vec!["*".into()],
                next: 0,
            })
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            let first: StrDeserializer<'_, Error> = variants
                .first()
                .copied()
                .unwrap_or_default()
                .into_deserializer();
            visitor.visit_enum(first)
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let empty: [u8; 0] = [];
            visitor.visit_seq(de::value::SeqDeserializer::new(empty.into_iter()))
        }

        fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_bool(false)
        }

        /// Strings: one that also reads as a socket address and a path.
        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_str("127.0.0.1:1")
        }

        fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(1)
        }

        forward_to_deserialize_any! {
            i8 i16 i32 i64 i128 f32 f64 char str string bytes byte_buf unit unit_struct
            newtype_struct tuple tuple_struct identifier ignored_any
        }

        fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(1)
        }
        fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(1)
        }
        fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(1)
        }
        fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first TOML block after the README's "## Configuration file" heading.
    fn readme_sample() -> &'static str {
        let readme = include_str!("../README.md");
        let section = readme
            .split_once("\n## Configuration file\n")
            .expect("the README has a \"## Configuration file\" section")
            .1;
        let block = section.split_once("```toml\n").expect("a toml block").1;
        block.split_once("```").expect("the block's end").0
    }

    /// Every key path of `table` (tables included), a route's domain written `*`.
    fn key_paths(table: &toml::Table, parent: &str, out: &mut Vec<String>) {
        for (key, value) in table {
            let key = if parent == "routes" {
                "*"
            } else {
                key.as_str()
            };
            let path = match parent.is_empty() {
                true => key.to_owned(),
                false => format!("{parent}.{key}"),
            };
            out.push(path.clone());
            if let toml::Value::Table(inner) = value {
                key_paths(inner, &path, out);
            }
        }
    }

    #[test]
    fn the_readme_sample_parses_and_lists_every_key_the_parser_accepts() {
        let sample = readme_sample();
        let config = Config::from_toml(sample).unwrap();
        assert_eq!(config.hostname, "mx.example.org");
        assert!(config.routes["example.net"].starttls);
        let mut found = Vec::new();
        key_paths(&sample.parse::<toml::Table>().unwrap(), "", &mut found);
        found.sort();
        let mut accepted = keys::accepted().unwrap();
        accepted.sort();
        let missing: Vec<_> = accepted.iter().filter(|k| !found.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "keys the README's sample lacks: {missing:?}"
        );
        assert_eq!(found, accepted);
    }

    #[test]
    fn the_key_list_comes_from_the_structs() {
        let accepted = keys::accepted().unwrap();
        for key in [
            "data_dir",
            "listen.pop3s",
            "tls.cert",
            "routes.*",
            "routes.*.ca_file",
            "limits.idle_timeout_ms",
            "login_throttle.lockout_secs",
            "relay.dns_timeout_ms",
            "from_header",
        ] {
            assert!(accepted.iter().any(|k| k == key), "{key} in {accepted:?}");
        }
        assert!(!accepted.iter().any(|k| k == "routes.*.nonsense"));
    }

    #[test]
    fn toml_overrides_defaults() {
        let config = Config::from_toml(
            r#"
            hostname = "mx.example.org"
            domains = ["example.org"]
            [listen]
            smtp = "127.0.0.1:2526"
            [routes."example.net"]
            address = "127.0.0.1:2527"
            starttls = true
            "#,
        )
        .unwrap();
        assert_eq!(config.hostname, "mx.example.org");
        assert!(config.is_local("EXAMPLE.org"));
        assert!(!config.is_local("example.net"));
        assert_eq!(config.listen.smtp.unwrap().port(), 2526);
        assert!(
            config.listen.pop3.is_some(),
            "other listeners keep their defaults"
        );
        assert!(config.routes["example.net"].starttls);
        assert!(Config::from_toml("no_such_key = 1").is_err());
    }

    #[test]
    fn a_listener_is_switched_off_with_off() {
        let config = Config::from_toml("[listen]\nlmtp = \"off\"\npop3s = \"[::1]:995\"").unwrap();
        assert_eq!(config.listen.lmtp, None);
        assert_eq!(config.listen.pop3s, Some("[::1]:995".parse().unwrap()));
        assert!(
            config.listen.smtp.is_some(),
            "the others keep their defaults"
        );
        let error = Config::from_toml("[listen]\nsmtp = \"nowhere\"").unwrap_err();
        assert!(
            error.to_string().contains("\"nowhere\" is not an address"),
            "{error}"
        );
    }

    #[test]
    fn relay_section_parses_and_defaults() {
        let config = Config::from_toml(
            r#"
            [relay]
            mx = true
            nameservers = ["127.0.0.1:5353", "::1"]
            mx_port = 2525
            tls = "required"
            "#,
        )
        .unwrap();
        assert!(config.relay.mx);
        assert_eq!(config.relay.nameservers, ["127.0.0.1:5353", "::1"]);
        assert_eq!(config.relay.mx_port, 2525);
        assert_eq!(config.relay.tls, MxTls::Required);
        assert_eq!(config.relay.dns_timeout_ms, 5000);
        let default = Config::default().relay;
        assert!(!default.mx && default.nameservers.is_empty());
        assert_eq!((default.mx_port, default.tls), (25, MxTls::Opportunistic));
        assert!(Config::from_toml("[relay]\ntls = \"sometimes\"").is_err());
    }
}
