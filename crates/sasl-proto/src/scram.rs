//! SCRAM (RFC 5802, RFC 7677): key derivation, message grammar and the proofs.
//!
//! A server stores, per user and hash, the salt, the iteration count, StoredKey and
//! ServerKey ([`ScramKeys`]), derived once when the password is set; it never needs the
//! password itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use crate::secret::{SecretBytes, ct_eq};
use crate::{Error, Limits};

/// The hash function of a SCRAM mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramHash {
    /// SHA-1 (SCRAM-SHA-1, RFC 5802).
    Sha1,
    /// SHA-256 (SCRAM-SHA-256, RFC 7677).
    Sha256,
}

impl ScramHash {
    /// The output length in octets.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// `H(data)`.
    pub(crate) fn h(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// `HMAC(key, data)`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length: the `Err` arms cannot happen, and give an empty
        // output (which never verifies) rather than a panic.
        match self {
            Self::Sha1 => match Hmac::<Sha1>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            Self::Sha256 => match Hmac::<Sha256>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
        }
    }

    /// `Hi(str, salt, i)`: PBKDF2 with HMAC (RFC 5802 section 2.2).
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            Self::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
            Self::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
        }
        out
    }
}

/// What a server stores for one user and one SCRAM hash (RFC 5802 section 3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScramKeys {
    /// The hash these keys belong to.
    pub hash: ScramHash,
    /// The salt.
    pub salt: Vec<u8>,
    /// The iteration count.
    pub iterations: u32,
    /// `StoredKey = H(ClientKey)`.
    pub stored_key: SecretBytes,
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: SecretBytes,
}

impl ScramKeys {
    /// Derives the stored keys from a password, at the time the password is set, with the
    /// default [`Limits`] (iterations from 4096 to 100000).
    ///
    /// The password is prepared with SASLprep (RFC 4013) as RFC 5802 section 2.2 requires.
    pub fn derive(
        password: &str,
        salt: &[u8],
        iterations: u32,
        hash: ScramHash,
    ) -> Result<Self, Error> {
        Self::derive_with(password, salt, iterations, hash, &Limits::default())
    }

    /// Derives the stored keys under `limits` (`min_iterations` ..= `max_iterations`).
    pub fn derive_with(
        password: &str,
        salt: &[u8],
        iterations: u32,
        hash: ScramHash,
        limits: &Limits,
    ) -> Result<Self, Error> {
        if iterations < limits.min_iterations {
            return Err(Error::IterationsTooLow {
                got: iterations,
                min: limits.min_iterations,
            });
        }
        if iterations > limits.max_iterations {
            return Err(Error::IterationsTooHigh {
                got: iterations,
                max: limits.max_iterations,
            });
        }
        if salt.is_empty() {
            return Err(Error::EmptyField("salt"));
        }
        let prepared = saslprep(password, "password")?;
        Ok(Self::from_salted(
            hash,
            salt.to_vec(),
            iterations,
            &hash.hi(prepared.as_bytes(), salt, iterations),
        ))
    }

    /// Builds the keys from `SaltedPassword`.
    pub(crate) fn from_salted(
        hash: ScramHash,
        salt: Vec<u8>,
        iterations: u32,
        salted: &[u8],
    ) -> Self {
        let client_key = hash.hmac(salted, b"Client Key");
        let server_key = hash.hmac(salted, b"Server Key");
        Self {
            hash,
            salt,
            iterations,
            stored_key: SecretBytes::new(hash.h(&client_key)),
            server_key: SecretBytes::new(server_key),
        }
    }

    /// Keys as an application stored them (a users file, a database): the salt, the
    /// iteration count, StoredKey and ServerKey. Refused when a key does not have the length
    /// of `hash`'s output, or the salt is empty.
    pub fn from_stored(
        hash: ScramHash,
        salt: Vec<u8>,
        iterations: u32,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, Error> {
        if salt.is_empty() {
            return Err(Error::EmptyField("salt"));
        }
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(Error::Malformed("stored SCRAM key of the wrong length"));
        }
        Ok(Self {
            hash,
            salt,
            iterations,
            stored_key: SecretBytes::new(stored_key),
            server_key: SecretBytes::new(server_key),
        })
    }

    /// Whether `password` is the password these keys were derived from (used by PLAIN and
    /// LOGIN servers that store only SCRAM keys).
    pub fn verify_password(&self, password: &str) -> bool {
        let Ok(prepared) = saslprep(password, "password") else {
            return false;
        };
        let salted = self
            .hash
            .hi(prepared.as_bytes(), &self.salt, self.iterations);
        let stored = self.hash.h(&self.hash.hmac(&salted, b"Client Key"));
        ct_eq(&stored, self.stored_key.expose())
    }
}

/// SASLprep (RFC 4013) of a user name or password, for the protocols that apply it outside a
/// SASL exchange (POP3 USER, PASS and APOP under RFC 6856). Strings with a prohibited character
/// are refused.
pub fn saslprep_string(s: &str) -> Result<String, Error> {
    saslprep(s, "string")
}

/// SASLprep (RFC 4013) of a name or password; `what` names the field in the error.
pub(crate) fn saslprep(s: &str, what: &'static str) -> Result<String, Error> {
    stringprep::saslprep(s)
        .map(|c| c.into_owned())
        .map_err(|_| Error::SaslPrep(what))
}

/// Escapes a name for `n=` and `a=`: `,` as `=2C`, `=` as `=3D` (RFC 5802 section 5.1).
pub fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`escape_saslname`]; any other `=` sequence, a `,`, NUL or an empty name is
/// malformed.
pub fn unescape_saslname(s: &str) -> Result<String, Error> {
    if s.is_empty() {
        return Err(Error::EmptyField("saslname"));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(['=', ',', '\0']) {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        if let Some(tail) = after.strip_prefix("=2C") {
            out.push(',');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("=3D") {
            out.push('=');
            rest = tail;
        } else {
            return Err(Error::Malformed("invalid saslname escape"));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The channel-binding flag of a gs2 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CbindFlag {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    ClientOnly,
    /// `p=<name>`: the client binds with this type.
    Bound(String),
}

/// A parsed gs2 header (RFC 5802 section 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gs2Header {
    /// The channel-binding flag.
    pub flag: CbindFlag,
    /// The authorization identity (`a=`), unescaped.
    pub authzid: Option<String>,
}

impl Gs2Header {
    /// Serialises the header, including its two commas.
    pub fn to_wire(&self) -> String {
        let flag = match &self.flag {
            CbindFlag::No => "n".to_owned(),
            CbindFlag::ClientOnly => "y".to_owned(),
            CbindFlag::Bound(name) => format!("p={name}"),
        };
        match &self.authzid {
            Some(a) => format!("{flag},a={},", escape_saslname(a)),
            None => format!("{flag},,"),
        }
    }
}

/// Splits a gs2 header off `msg`, giving the header, its raw text and the rest.
pub(crate) fn parse_gs2_header(msg: &str) -> Result<(Gs2Header, &str, &str), Error> {
    let (flag_str, rest) = msg
        .split_once(',')
        .ok_or(Error::Malformed("missing gs2 header"))?;
    let (authz_str, rest) = rest
        .split_once(',')
        .ok_or(Error::Malformed("missing gs2 header"))?;
    let flag = match flag_str {
        "n" => CbindFlag::No,
        "y" => CbindFlag::ClientOnly,
        _ => {
            let name = flag_str
                .strip_prefix("p=")
                .ok_or(Error::Malformed("invalid gs2 channel-binding flag"))?;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                return Err(Error::Malformed("invalid channel-binding name"));
            }
            CbindFlag::Bound(name.to_owned())
        }
    };
    let authzid = if authz_str.is_empty() {
        None
    } else {
        let a = authz_str
            .strip_prefix("a=")
            .ok_or(Error::Malformed("invalid gs2 authzid"))?;
        if a.is_empty() {
            return Err(Error::Malformed("empty authzid in gs2 header"));
        }
        Some(unescape_saslname(a)?)
    };
    let header_len = flag_str.len() + authz_str.len() + 2;
    let raw = msg
        .get(..header_len)
        .ok_or(Error::Malformed("gs2 header"))?;
    Ok((Gs2Header { flag, authzid }, raw, rest))
}

/// Splits `attr=value` with a one-letter attribute name.
fn attr(part: &str) -> Result<(u8, &str), Error> {
    let bytes = part.as_bytes();
    match (bytes.first(), bytes.get(1)) {
        (Some(&name), Some(b'=')) if name.is_ascii_alphabetic() => {
            Ok((name, part.get(2..).unwrap_or("")))
        }
        _ => Err(Error::Malformed("invalid attribute")),
    }
}

/// Takes the next attribute, which must be `name`, with a non-empty value.
fn expect<'a>(
    parts: &mut impl Iterator<Item = &'a str>,
    name: u8,
    what: &'static str,
) -> Result<&'a str, Error> {
    let part = parts.next().ok_or(Error::Malformed(what))?;
    let (n, v) = attr(part)?;
    if n == b'm' {
        return Err(Error::ExtensionsNotSupported);
    }
    if n != name {
        return Err(Error::Malformed(what));
    }
    if v.is_empty() {
        return Err(Error::Malformed(what));
    }
    Ok(v)
}

/// Checks that the remaining parts are well-formed extensions (ignored, RFC 5802 section 7).
fn extensions<'a>(parts: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    for part in parts {
        attr(part)?;
    }
    Ok(())
}

fn b64(value: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(value)
        .map_err(|_| Error::Malformed("invalid base64"))
}

/// The parsed client-first-message.
#[derive(Clone, Debug)]
pub(crate) struct ClientFirst<'a> {
    pub gs2: Gs2Header,
    pub gs2_raw: &'a str,
    pub bare: &'a str,
    pub username: String,
    pub nonce: &'a str,
}

pub(crate) fn parse_client_first(msg: &str) -> Result<ClientFirst<'_>, Error> {
    let (gs2, gs2_raw, bare) = parse_gs2_header(msg)?;
    let mut parts = bare.split(',');
    let username = unescape_saslname(expect(&mut parts, b'n', "missing username")?)?;
    let nonce = expect(&mut parts, b'r', "missing nonce")?;
    if !crate::nonce::valid_nonce(nonce) {
        return Err(Error::Malformed("invalid nonce"));
    }
    extensions(parts)?;
    Ok(ClientFirst {
        gs2,
        gs2_raw,
        bare,
        username,
        nonce,
    })
}

/// The parsed server-first-message.
#[derive(Clone, Debug)]
pub(crate) struct ServerFirst<'a> {
    pub nonce: &'a str,
    pub salt: Vec<u8>,
    pub iterations: u32,
}

pub(crate) fn parse_server_first(msg: &str) -> Result<ServerFirst<'_>, Error> {
    let mut parts = msg.split(',');
    let nonce = expect(&mut parts, b'r', "missing nonce")?;
    if !crate::nonce::valid_nonce(nonce) {
        return Err(Error::Malformed("invalid nonce"));
    }
    let salt = b64(expect(&mut parts, b's', "missing salt")?)?;
    if salt.is_empty() {
        return Err(Error::EmptyField("salt"));
    }
    let i = expect(&mut parts, b'i', "missing iteration count")?;
    if !i.bytes().all(|b| b.is_ascii_digit()) || i.starts_with('0') {
        return Err(Error::Malformed("invalid iteration count"));
    }
    // A count beyond u32 is certainly beyond any limit.
    let iterations = i.parse::<u32>().unwrap_or(u32::MAX);
    extensions(parts)?;
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// The parsed client-final-message.
#[derive(Clone, Debug)]
pub(crate) struct ClientFinal<'a> {
    pub cbind_input: Vec<u8>,
    pub nonce: &'a str,
    pub without_proof: &'a str,
    pub proof: Vec<u8>,
}

pub(crate) fn parse_client_final(msg: &str) -> Result<ClientFinal<'_>, Error> {
    let (without_proof, proof) = msg
        .rsplit_once(",p=")
        .ok_or(Error::Malformed("missing proof"))?;
    let proof = b64(proof)?;
    let mut parts = without_proof.split(',');
    let cbind_input = b64(expect(&mut parts, b'c', "missing channel binding")?)?;
    let nonce = expect(&mut parts, b'r', "missing nonce")?;
    extensions(parts)?;
    Ok(ClientFinal {
        cbind_input,
        nonce,
        without_proof,
        proof,
    })
}

/// The parsed server-final-message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServerFinal {
    Verifier(Vec<u8>),
    Error(String),
}

pub(crate) fn parse_server_final(msg: &str) -> Result<ServerFinal, Error> {
    let mut parts = msg.split(',');
    let first = parts.next().ok_or(Error::Malformed("empty server-final"))?;
    let (name, value) = attr(first)?;
    let out = match name {
        b'v' => ServerFinal::Verifier(b64(value)?),
        b'e' => ServerFinal::Error(value.to_owned()),
        _ => return Err(Error::Malformed("server-final without v= or e=")),
    };
    extensions(parts)?;
    Ok(out)
}

/// `AuthMessage = client-first-message-bare "," server-first-message ","
/// client-final-message-without-proof` (RFC 5802 section 3).
pub(crate) fn auth_message(bare: &str, server_first: &str, without_proof: &str) -> String {
    format!("{bare},{server_first},{without_proof}")
}

/// XOR of two equal-length byte strings.
pub(crate) fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// base64 encoding (standard alphabet, padded).
pub(crate) fn encode_b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}
