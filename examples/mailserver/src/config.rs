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
    /// Allow logins and AUTH without TLS (trusted local links only).
    pub allow_plaintext_auth: bool,
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
            allow_plaintext_auth: false,
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

/// Listening addresses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    /// SMTP for mail from other servers (MX): local domains only, no relaying.
    pub smtp: Option<SocketAddr>,
    /// Submission (RFC 6409): AUTH required, relays for its users.
    pub submission: Option<SocketAddr>,
    /// Submission over implicit TLS (RFC 8314).
    pub submissions: Option<SocketAddr>,
    /// LMTP: local delivery, one reply per recipient.
    pub lmtp: Option<SocketAddr>,
    /// POP3 with STLS.
    pub pop3: Option<SocketAddr>,
    /// POP3 over implicit TLS.
    pub pop3s: Option<SocketAddr>,
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 100,
            max_per_ip: 20,
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 100,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
