//! RFC 2047 encoded words.

use super::body::{base64_raw, push_hex};

/// The prefix of every encoded word written here; the charset is always UTF-8.
const Q_PREFIX: &str = "=?utf-8?q?";
const B_PREFIX: &str = "=?utf-8?b?";
/// RFC 2047 section 2: an encoded word is at most 75 characters long.
pub(crate) const MAX_WORD: usize = 75;
/// Room for the encoded text inside one word: 75 minus `=?utf-8?q?` and `?=`.
const PAYLOAD: usize = MAX_WORD - Q_PREFIX.len() - 2;

/// The bytes that stand for themselves in a Q-encoded word wherever it appears (the `phrase`
/// rule of RFC 2047 section 5 (3) is the narrowest: letters, digits and `!*+-/`).
fn q_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

/// Characters one byte takes in Q encoding (`_` for a space, `=XX` for the rest).
fn q_cost(b: u8) -> usize {
    if q_literal(b) || b == b' ' { 1 } else { 3 }
}

fn q_encode(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        if q_literal(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('_');
        } else {
            push_hex(b, out);
        }
    }
}

/// Encodes `text` as one or more RFC 2047 encoded words in UTF-8.
///
/// The Q or B encoding is chosen for the whole text by which gives the shorter result; each
/// word is at most 75 characters (RFC 2047 section 2) and holds whole characters only, so no
/// UTF-8 sequence is split between two words (section 5, rule 3). Q words use only the
/// characters allowed in a `phrase`, so the words fit in any header context. Written one after
/// another separated by white space, they decode back to `text` (section 6.2: white space
/// between adjacent encoded words is dropped). An empty text gives no word.
///
/// ```
/// let words = rfc5322::encode::encoded_words("Réunion de travail");
/// assert_eq!(words, ["=?utf-8?q?R=C3=A9union_de_travail?="]);
/// let words = rfc5322::encode::encoded_words("Grüße aus Köln");
/// assert_eq!(words, ["=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?="]);
/// let long = rfc5322::encode::encoded_words(&"ж".repeat(100));
/// assert!(long.len() > 1 && long.iter().all(|w| w.len() <= 75));
/// ```
pub fn encoded_words(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let q_total: usize = bytes.iter().map(|&b| q_cost(b)).sum();
    let b_total = bytes.len().div_ceil(3) * 4;
    let use_q = q_total <= b_total;
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut cost = 0usize;
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let s: &str = ch.encode_utf8(&mut buf);
        let next = if use_q {
            cost + s.bytes().map(q_cost).sum::<usize>()
        } else {
            (chunk.len() + s.len()).div_ceil(3) * 4
        };
        if next > PAYLOAD && !chunk.is_empty() {
            words.push(finish_word(&chunk, use_q));
            chunk.clear();
            cost = 0;
        }
        chunk.push(ch);
        cost = if use_q {
            cost + s.bytes().map(q_cost).sum::<usize>()
        } else {
            chunk.len().div_ceil(3) * 4
        };
    }
    if !chunk.is_empty() {
        words.push(finish_word(&chunk, use_q));
    }
    words
}

fn finish_word(chunk: &str, use_q: bool) -> String {
    let mut w = String::with_capacity(MAX_WORD);
    if use_q {
        w.push_str(Q_PREFIX);
        q_encode(chunk, &mut w);
    } else {
        w.push_str(B_PREFIX);
        base64_raw(chunk.as_bytes(), &mut w);
    }
    w.push_str("?=");
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_when_shorter() {
        let w = encoded_words("日本語");
        assert_eq!(w, ["=?utf-8?b?5pel5pys6Kqe?="]);
    }

    #[test]
    fn words_stay_within_75_and_hold_whole_chars() {
        for text in [
            "é".repeat(200),
            "a€".repeat(90),
            "x".repeat(500),
            "😀".repeat(40),
        ] {
            let words = encoded_words(&text);
            assert!(words.iter().all(|w| w.len() <= MAX_WORD), "{words:?}");
            assert!(words.len() > 1);
        }
    }
}
