//! Test helpers: a minimal JSON reader for the vector files, line-ending conversion.
#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::let_and_return
)]

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    pub fn get(&self, k: &str) -> &Json {
        match self {
            Json::Obj(m) => m.get(k).unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => &[],
        }
    }
    pub fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

pub fn parse_json(s: &str) -> Json {
    let b = s.as_bytes();
    let mut i = 0;
    let v = value(b, &mut i);
    v
}

fn ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Json {
    ws(b, i);
    match b[*i] {
        b'{' => {
            *i += 1;
            let mut m = BTreeMap::new();
            loop {
                ws(b, i);
                if b[*i] == b'}' {
                    *i += 1;
                    break;
                }
                if b[*i] == b',' {
                    *i += 1;
                    continue;
                }
                let k = string(b, i);
                ws(b, i);
                assert_eq!(b[*i], b':');
                *i += 1;
                let v = value(b, i);
                m.insert(k, v);
            }
            Json::Obj(m)
        }
        b'[' => {
            *i += 1;
            let mut a = Vec::new();
            loop {
                ws(b, i);
                if b[*i] == b']' {
                    *i += 1;
                    break;
                }
                if b[*i] == b',' {
                    *i += 1;
                    continue;
                }
                a.push(value(b, i));
            }
            Json::Arr(a)
        }
        b'"' => Json::Str(string(b, i)),
        b't' => {
            *i += 4;
            Json::Bool(true)
        }
        b'f' => {
            *i += 5;
            Json::Bool(false)
        }
        b'n' => {
            *i += 4;
            Json::Null
        }
        _ => {
            let s = *i;
            while *i < b.len()
                && (b[*i] == b'-'
                    || b[*i] == b'.'
                    || b[*i] == b'e'
                    || b[*i] == b'E'
                    || b[*i] == b'+'
                    || b[*i].is_ascii_digit())
            {
                *i += 1;
            }
            Json::Num(std::str::from_utf8(&b[s..*i]).unwrap().parse().unwrap())
        }
    }
}

fn string(b: &[u8], i: &mut usize) -> String {
    assert_eq!(b[*i], b'"');
    *i += 1;
    let mut out: Vec<u16> = Vec::new();
    let mut s = String::new();
    let flush = |out: &mut Vec<u16>, s: &mut String| {
        if !out.is_empty() {
            s.push_str(&String::from_utf16_lossy(out));
            out.clear();
        }
    };
    loop {
        let c = b[*i];
        if c == b'"' {
            *i += 1;
            break;
        }
        if c == b'\\' {
            let e = b[*i + 1];
            *i += 2;
            match e {
                b'n' => {
                    flush(&mut out, &mut s);
                    s.push('\n')
                }
                b'r' => {
                    flush(&mut out, &mut s);
                    s.push('\r')
                }
                b't' => {
                    flush(&mut out, &mut s);
                    s.push('\t')
                }
                b'b' => {
                    flush(&mut out, &mut s);
                    s.push('\u{8}')
                }
                b'f' => {
                    flush(&mut out, &mut s);
                    s.push('\u{c}')
                }
                b'u' => {
                    let h = std::str::from_utf8(&b[*i..*i + 4]).unwrap();
                    out.push(u16::from_str_radix(h, 16).unwrap());
                    *i += 4;
                }
                other => {
                    flush(&mut out, &mut s);
                    s.push(other as char)
                }
            }
            continue;
        }
        flush(&mut out, &mut s);
        let len = match c {
            0..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        s.push_str(std::str::from_utf8(&b[*i..*i + len]).unwrap());
        *i += len;
    }
    flush(&mut out, &mut s);
    s
}

/// Every bare LF turned into CRLF.
pub fn to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 20);
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' && (i == 0 || b[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// Every CR removed.
pub fn to_lf(b: &[u8]) -> Vec<u8> {
    b.iter().copied().filter(|&c| c != b'\r').collect()
}

pub fn data(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Loads a skip list: `name<TAB>reason` lines.
pub fn skips(path: &str) -> BTreeMap<String, String> {
    String::from_utf8(data(path))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}
