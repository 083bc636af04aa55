//! MD5 helpers: the APOP digest (RFC 1939 section 7) and HMAC-MD5 for CRAM-MD5 (RFC 2195).
//!
//! MD5 is broken as a hash; these exist only because the two legacy mechanisms need them.

use ::md5::{Digest as _, Md5};
use hmac::{Hmac, Mac as _};

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            if let Some(&d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(d));
            }
        }
    }
    out
}

/// The MD5 digest of `data`, 16 octets.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// The MD5 digest of `data` in lower-case hexadecimal (32 characters).
pub fn md5_hex(data: &[u8]) -> String {
    hex(&md5(data))
}

/// The APOP digest of RFC 1939 section 7: `md5_hex(timestamp + secret)`, where `timestamp`
/// is the banner's `<...>` string including the angle brackets.
///
/// ```
/// // RFC 1939 section 7.
/// assert_eq!(
///     sasl_proto::md5::apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
///     "c4c9334bac560ecc979e58001b3e22fb"
/// );
/// ```
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    hex(&h.finalize())
}

/// HMAC-MD5 (RFC 2104) of `data` under `key`, 16 octets.
pub fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    // HMAC takes keys of any length, so the error branch cannot happen; it still yields
    // a value rather than a panic.
    match Hmac::<Md5>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 16],
    }
}

/// HMAC-MD5 of `data` under `key` in lower-case hexadecimal: the CRAM-MD5 digest.
///
/// ```
/// // RFC 2195 section 2.
/// assert_eq!(
///     sasl_proto::md5::hmac_md5_hex(b"tanstaaftanstaaf", b"<1896.697170952@postoffice.reston.mci.net>"),
///     "b913a602c7eda7a495b4e6e7334d3890"
/// );
/// ```
pub fn hmac_md5_hex(key: &[u8], data: &[u8]) -> String {
    hex(&hmac_md5(key, data))
}
