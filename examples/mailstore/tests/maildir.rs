//! Maildir: round trips, durability steps, names, flags, Dovecot-written files, uidlist,
//! locks and limits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashSet;
use std::fs;
use std::time::{Duration, SystemTime};

use common::{TempDir, names};
use mailstore::name::MaildirName;
use mailstore::{Error, Flag, Flags, Limits, Maildir, Uidlist};
use proptest::prelude::*;

fn open(t: &TempDir) -> Maildir {
    Maildir::open_or_create(t.join("Maildir"))
        .unwrap()
        .with_hostname("mx.example.org")
}

#[test]
fn crlf_in_crlf_out_lf_on_disk() {
    let t = TempDir::new("roundtrip");
    let md = open(&t);
    let msg = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody line\r\n.dot\r\n\r\nlast\r\n";
    let stored = md.deliver(msg).unwrap();
    let on_disk = fs::read(&stored.path).unwrap();
    assert_eq!(
        on_disk,
        b"From: a@example.org\nSubject: hi\n\nbody line\n.dot\n\nlast\n"
    );
    assert_eq!(stored.size_lf, on_disk.len() as u64);
    assert_eq!(stored.size_crlf, msg.len() as u64);
    // The name carries the same sizes, and sits in new/ without an info part.
    let file_name = stored.path.file_name().unwrap().to_str().unwrap();
    assert_eq!(file_name, stored.id);
    assert_eq!(stored.path.parent().unwrap().file_name().unwrap(), "new");
    let n = MaildirName::parse(file_name).unwrap();
    assert_eq!(n.size, Some(on_disk.len() as u64));
    assert_eq!(n.vsize, Some(msg.len() as u64));
    assert!(n.flags.is_empty());
    assert!(
        file_name.ends_with(&format!(
            ".mx.example.org,S={},W={}",
            on_disk.len(),
            msg.len()
        )),
        "{file_name}"
    );
    // <secs>.M<usecs>P<pid>Q<n>.<host>
    let mut parts = file_name.splitn(3, '.');
    let secs: u64 = parts.next().unwrap().parse().unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs <= now && secs + 60 > now);
    let mid = parts.next().unwrap();
    let (m, rest) = mid.strip_prefix('M').unwrap().split_once('P').unwrap();
    assert!(m.parse::<u32>().unwrap() < 1_000_000);
    let (pid, q) = rest.split_once('Q').unwrap();
    assert_eq!(pid.parse::<u32>().unwrap(), std::process::id());
    q.parse::<u64>().unwrap();
    // Read back.
    assert_eq!(md.read(&stored.id).unwrap(), msg);
    assert_eq!(md.read_raw(&stored.id).unwrap(), on_disk);
    let chunks: Vec<u8> = md
        .open_message(&stored.id)
        .unwrap()
        .flat_map(|c| c.unwrap())
        .collect();
    assert_eq!(chunks, msg);
    assert!(names(&t.join("Maildir/tmp")).is_empty());
}

#[test]
fn lf_input_and_bare_cr() {
    let t = TempDir::new("lf");
    let md = open(&t);
    let s = md.deliver(b"A: b\n\nx\n").unwrap();
    assert_eq!((s.size_lf, s.size_crlf), (8, 11));
    assert_eq!(md.read(&s.id).unwrap(), b"A: b\r\n\r\nx\r\n");
    // A bare CR stays. CR CR LF is stored as CR LF, which reads back as CR LF (a file
    // holding CR LF, as other programs may write, reads back unchanged): the one lossy case.
    let s = md.deliver(b"a\rb\r\r\nc\r").unwrap();
    assert_eq!(fs::read(&s.path).unwrap(), b"a\rb\r\nc\r");
    assert_eq!(md.read(&s.id).unwrap(), b"a\rb\r\nc\r");
    assert_eq!(s.size_crlf, 7);
    // No final line end.
    let s = md.deliver(b"no newline").unwrap();
    assert_eq!((s.size_lf, s.size_crlf), (10, 10));
}

#[test]
fn chunked_delivery_at_every_split_matches_whole() {
    let t = TempDir::new("chunks");
    let md = open(&t);
    let msg = b"H: v\r\n\r\na\rb\r\n\r\r\nend\r";
    let whole = md.deliver(msg).unwrap();
    let whole_disk = fs::read(&whole.path).unwrap();
    for split in 0..=msg.len() {
        let (a, b) = msg.split_at(split);
        let mut d = md.delivery().unwrap();
        d.write_chunk(a).unwrap();
        d.write_chunk(b"").unwrap();
        d.write_chunk(b).unwrap();
        let s = d.commit().unwrap();
        assert_eq!(fs::read(&s.path).unwrap(), whole_disk, "split {split}");
        assert_eq!((s.size_lf, s.size_crlf), (whole.size_lf, whole.size_crlf));
    }
}

#[test]
fn dropped_or_aborted_delivery_leaves_nothing() {
    let t = TempDir::new("drop");
    let md = open(&t);
    {
        let mut d = md.delivery().unwrap();
        d.write_chunk(b"Subject: half\r\n").unwrap();
        assert_eq!(names(&t.join("Maildir/tmp")).len(), 1);
    }
    assert!(names(&t.join("Maildir/tmp")).is_empty());
    assert!(names(&t.join("Maildir/new")).is_empty());
    let mut d = md.delivery().unwrap();
    d.write_chunk(b"x").unwrap();
    d.abort().unwrap();
    assert!(names(&t.join("Maildir/tmp")).is_empty());
    assert!(names(&t.join("Maildir/new")).is_empty());
    assert!(md.list().unwrap().is_empty());
}

#[test]
fn names_unique_in_a_tight_loop_and_across_threads() {
    let t = TempDir::new("unique");
    let md = open(&t);
    let mut ids = HashSet::new();
    for _ in 0..500 {
        assert!(ids.insert(md.deliver(b"x\r\n").unwrap().id));
    }
    let md = std::sync::Arc::new(md);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let md = md.clone();
            std::thread::spawn(move || {
                (0..200)
                    .map(|_| md.deliver(b"y\r\n").unwrap().id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for id in h.join().unwrap() {
            assert!(ids.insert(id));
        }
    }
    assert_eq!(ids.len(), 1300);
    assert_eq!(names(&t.join("Maildir/new")).len(), 1300);
    let list = md.list().unwrap();
    assert_eq!(list.len(), 1300);
    let uids: Vec<u32> = list.iter().map(|e| e.uid).collect();
    assert_eq!(uids, (1..=1300).collect::<Vec<u32>>());
}

#[test]
fn flags_parse_and_write() {
    let f = Flags::parse("TSRPFD");
    assert_eq!(f.letters(), "DFPRST");
    for flag in Flag::ALL {
        assert!(f.contains(flag));
    }
    let f = Flags::parse("zaSXb!1");
    assert_eq!(f.letters(), "SXabz");
    assert!(f.contains(Flag::Seen) && !f.contains(Flag::Trashed));
    assert!(f.has_letter('X') && f.has_letter('a') && !f.has_letter('c'));
    let mut g = Flags::empty();
    g.insert(Flag::Trashed);
    g.insert(Flag::Draft);
    g.insert(Flag::Seen);
    assert_eq!(g.to_string(), "DST");
    g.remove(Flag::Draft);
    assert_eq!(g.letters(), "ST");
    assert!(!g.set_letter('é', true));
    let h: Flags = [Flag::Replied, Flag::Flagged].into_iter().collect();
    assert_eq!(h.letters(), "FR");

    let n = MaildirName::parse("1.M2P3Q4.host,S=10,W=12:2,TS").unwrap();
    assert_eq!(n.base, "1.M2P3Q4.host,S=10,W=12");
    assert_eq!(n.flags.letters(), "ST");
    assert_eq!(n.cur_name(), "1.M2P3Q4.host,S=10,W=12:2,ST");
    // Experimental info ("1,") or none: no flags.
    assert!(MaildirName::parse("1.x:1,abc").unwrap().flags.is_empty());
    assert_eq!(MaildirName::parse("1.x").unwrap().size, None);
    assert_eq!(MaildirName::parse("1.x,S=abc,W=").unwrap().size, None);
    assert_eq!(
        MaildirName::parse("1.x,S=99999999999999999999999")
            .unwrap()
            .size,
        None
    );
    for bad in ["", ".hidden", "..", "a/b", "a\0b"] {
        assert!(MaildirName::parse(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn set_flags_moves_to_cur_and_keeps_the_id() {
    let t = TempDir::new("flags");
    let md = open(&t);
    let s = md.deliver(b"Subject: f\r\n\r\nx\r\n").unwrap();
    let e = &md.list().unwrap()[0];
    assert!(e.recent && e.flags.is_empty());
    let p = md
        .set_flags(&s.id, Flags::empty().with(Flag::Seen).with(Flag::Flagged))
        .unwrap();
    assert_eq!(
        names(&t.join("Maildir/cur")),
        vec![format!("{}:2,FS", s.id)]
    );
    assert!(names(&t.join("Maildir/new")).is_empty());
    assert_eq!(p, t.join("Maildir/cur").join(format!("{}:2,FS", s.id)));
    let e = &md.list().unwrap()[0];
    assert_eq!((e.id.as_str(), e.uid, e.recent), (s.id.as_str(), 1, false));
    assert_eq!(e.flags.letters(), "FS");
    assert_eq!(md.read(&s.id).unwrap(), b"Subject: f\r\n\r\nx\r\n");
    // Another program renames it behind our back: still found.
    let other = t.join("Maildir/cur").join(format!("{}:2,RS", s.id));
    fs::rename(&p, &other).unwrap();
    assert_eq!(md.read(&s.id).unwrap(), b"Subject: f\r\n\r\nx\r\n");
    md.set_flags(&s.id, Flags::parse("a")).unwrap();
    assert_eq!(names(&t.join("Maildir/cur")), vec![format!("{}:2,a", s.id)]);
    assert!(matches!(
        md.set_flags("nope", Flags::empty()),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn files_dovecot_wrote() {
    let t = TempDir::new("dovecot");
    let root = t.join("Maildir");
    for d in ["tmp", "new", "cur"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    // Dovecot names with sizes; a qmail-style name without; a file with CRLF on disk.
    let a = b"Subject: a\n\nhello\n";
    let a_name = format!(
        "1276528487.M364837P9451.kurkku,S={},W={}:2,S",
        a.len(),
        a.len() + 3
    );
    fs::write(root.join("cur").join(&a_name), a).unwrap();
    let b = b"Subject: b\n\nbye\n";
    fs::write(root.join("new/1035478339.27041_118.foo.org"), b).unwrap();
    let c = b"Subject: c\r\n\r\ncrlf\r\n";
    fs::write(root.join("cur/1276533073.M242911P3632.kurkku:2,FT"), c).unwrap();
    // Noise that is not a message.
    fs::write(root.join("cur/.hidden"), b"x").unwrap();
    fs::create_dir(root.join("cur/subdir")).unwrap();
    fs::write(
        root.join("dovecot-uidlist"),
        "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n\
         25006 :1276528487.M364837P9451.kurkku,S=18,W=21:2,\n\
         25017 W2481 :1276533073.M242911P3632.kurkku:2,F\n\
         25018 :1276533999.M1P1.gone:2,S\n",
    )
    .unwrap();

    let md = Maildir::open_or_create(&root).unwrap();
    let list = md.list().unwrap();
    let got: Vec<(&str, u32, u64, u64, String, bool)> = list
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                e.uid,
                e.size_lf,
                e.size_crlf,
                e.flags.letters(),
                e.recent,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                a_name.split(':').next().unwrap(),
                25006,
                18,
                21,
                "S".to_owned(),
                false
            ),
            (
                "1276533073.M242911P3632.kurkku",
                25017,
                c.len() as u64,
                c.len() as u64,
                "FT".to_owned(),
                false
            ),
            (
                "1035478339.27041_118.foo.org",
                25022,
                b.len() as u64,
                b.len() as u64 + 3,
                String::new(),
                true
            ),
        ]
    );
    assert_eq!(
        md.read("1035478339.27041_118.foo.org").unwrap(),
        b"Subject: b\r\n\r\nbye\r\n"
    );
    assert_eq!(md.read("1276533073.M242911P3632.kurkku").unwrap(), c);
    // The uidlist was rewritten in Dovecot's format: header kept, the vanished record gone,
    // extension fields kept, the new file added with the next UID.
    let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert_eq!(
        text,
        "3 V1275660208 N25023 G3085f01b7f11094c501100008c4a11c1\n\
         25006 :1276528487.M364837P9451.kurkku,S=18,W=21:2,\n\
         25017 W2481 :1276533073.M242911P3632.kurkku:2,F\n\
         25022 :1035478339.27041_118.foo.org\n"
    );
    assert!(!root.join("dovecot-uidlist.lock").exists());
    // A second listing changes nothing.
    assert_eq!(md.list().unwrap(), list);
    assert_eq!(
        fs::read_to_string(root.join("dovecot-uidlist")).unwrap(),
        text
    );
}

#[test]
fn uidlist_parse_versions_and_errors() {
    let v1 = Uidlist::parse(b"1 1000 5\n3 msg-a:2,S\n4 msg-b\n").unwrap();
    assert_eq!((v1.uid_validity, v1.next_uid), (1000, 5));
    assert_eq!(v1.uid_of("msg-a"), Some(3));
    assert_eq!(v1.uid_of("msg-b"), Some(4));
    let v3 = Uidlist::parse(b"3 V7 N2 Xfuture\n9 :x\nbroken\n0 :zero\n").unwrap();
    assert_eq!(v3.header_extra, vec!["Xfuture".to_owned()]);
    assert_eq!(v3.next_uid, 10, "next UID above the largest record");
    assert_eq!(v3.skipped_lines, 2);
    assert_eq!(
        String::from_utf8(v3.to_bytes()).unwrap(),
        "3 V7 N10 Xfuture\n9 :x\n"
    );
    for bad in [&b""[..], b"2 V1 N1\n", b"3 N1\n", b"3 V0 N1\n", b"\xff"] {
        assert!(Uidlist::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn new_uidlist_and_unreadable_one() {
    let t = TempDir::new("uidlist");
    let md = open(&t);
    md.deliver(b"a\r\n").unwrap();
    md.deliver(b"b\r\n").unwrap();
    let list = md.list().unwrap();
    assert_eq!(list.iter().map(|e| e.uid).collect::<Vec<_>>(), [1, 2]);
    let text = fs::read_to_string(t.join("Maildir/dovecot-uidlist")).unwrap();
    let header = text.lines().next().unwrap();
    let fields: Vec<&str> = header.split(' ').collect();
    assert_eq!(fields[0], "3");
    assert!(fields[1].starts_with('V') && fields[1].len() > 1);
    assert_eq!(fields[2], "N3");
    assert!(fields[3].starts_with('G') && fields[3].len() == 33);
    // Deleting the first keeps the second's UID; a new one gets 3.
    md.delete(&[&list[0].id]).unwrap();
    md.deliver(b"c\r\n").unwrap();
    let uids: Vec<u32> = md.list().unwrap().iter().map(|e| e.uid).collect();
    assert_eq!(uids, [2, 3]);
    // A corrupt list is recreated (new UIDVALIDITY, UIDs from 1), as Dovecot does.
    fs::write(t.join("Maildir/dovecot-uidlist"), b"garbage\n").unwrap();
    let uids: Vec<u32> = md.list().unwrap().iter().map(|e| e.uid).collect();
    assert_eq!(uids, [1, 2]);
}

#[test]
fn lock_contention() {
    let t = TempDir::new("lock");
    let md = open(&t);
    let other = Maildir::open_or_create(t.join("Maildir")).unwrap();
    let guard = md.lock().unwrap();
    assert!(matches!(other.lock(), Err(Error::InUse(_))));
    assert!(matches!(md.lock(), Err(Error::InUse(_))));
    let path = t.join("Maildir");
    let from_thread = std::thread::spawn(move || {
        matches!(
            Maildir::open_or_create(path).unwrap().lock(),
            Err(Error::InUse(_))
        )
    })
    .join()
    .unwrap();
    assert!(from_thread);
    drop(guard);
    let again = other.lock().unwrap();
    assert!(again.path().ends_with("mailstore-session.lock"));
}

#[test]
fn message_size_limit() {
    let t = TempDir::new("size");
    // 10 CRLF octets: "12345678\r\n".
    let md = open(&t).with_limits(Limits::new().max_message_size(10));
    let s = md.deliver(b"12345678\r\n").unwrap();
    assert_eq!(s.size_crlf, 10);
    // The limit counts CRLF octets, so LF input is measured as it will be read.
    assert!(md.deliver(b"12345678\n").is_ok());
    assert!(matches!(
        md.deliver(b"123456789\n"),
        Err(Error::MessageTooLarge { limit: 10 })
    ));
    let mut d = md.delivery().unwrap();
    d.write_chunk(b"12345").unwrap();
    d.write_chunk(b"6789\r").unwrap();
    assert!(matches!(
        d.write_chunk(b"\n"),
        Err(Error::MessageTooLarge { .. })
    ));
    assert!(d.write_chunk(b"").is_err());
    assert!(d.commit().is_err());
    assert!(names(&t.join("Maildir/tmp")).is_empty());
    assert_eq!(names(&t.join("Maildir/new")).len(), 2);
    // Reading is bounded the same way.
    let big = open(&t).deliver(b"123456789\r\n").unwrap();
    assert!(matches!(
        md.read(&big.id),
        Err(Error::MessageTooLarge { .. })
    ));
    // read_raw bounds the octets on disk (10 here).
    assert_eq!(md.read_raw(&big.id).unwrap(), b"123456789\n");
    let bigger = open(&t).deliver(b"1234567890\r\n").unwrap();
    assert!(matches!(
        md.read_raw(&bigger.id),
        Err(Error::MessageTooLarge { .. })
    ));
}

#[test]
fn uidlist_size_limit() {
    let t = TempDir::new("uidsize");
    let md = open(&t);
    md.deliver(b"x\r\n").unwrap();
    md.list().unwrap();
    let n = fs::metadata(t.join("Maildir/dovecot-uidlist"))
        .unwrap()
        .len();
    let at = open(&t).with_limits(Limits::new().max_uidlist_size(n));
    assert_eq!(at.list().unwrap().len(), 1);
    let below = open(&t).with_limits(Limits::new().max_uidlist_size(n - 1));
    assert!(matches!(below.list(), Err(Error::FileTooLarge { .. })));
}

#[test]
fn uidlist_dot_lock() {
    let t = TempDir::new("dotlock");
    let md = open(&t).with_limits(
        Limits::new()
            .uidlist_lock_wait(Duration::from_millis(50))
            .uidlist_lock_stale(Duration::from_secs(120)),
    );
    md.deliver(b"x\r\n").unwrap();
    let lock = t.join("Maildir/dovecot-uidlist.lock");
    fs::write(&lock, b"").unwrap();
    assert!(matches!(md.list(), Err(Error::LockTimeout(_))));
    assert!(lock.exists(), "a live lock is left alone");
    // Three minutes old: stale, removed.
    let f = fs::File::options().write(true).open(&lock).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(180))
        .unwrap();
    drop(f);
    assert_eq!(md.list().unwrap().len(), 1);
    assert!(!lock.exists());
}

#[test]
fn ids_and_deletion() {
    let t = TempDir::new("ids");
    let md = open(&t);
    for bad in ["../x", "", ".x", "a/b", "a:2,S"] {
        assert!(matches!(md.read(bad), Err(Error::InvalidId(_))), "{bad}");
    }
    assert!(matches!(md.read("missing"), Err(Error::NotFound(_))));
    let a = md.deliver(b"a\r\n").unwrap();
    let b = md.deliver(b"b\r\n").unwrap();
    md.set_flags(&b.id, Flags::parse("S")).unwrap();
    assert_eq!(
        md.delete(&[a.id.as_str(), b.id.as_str(), "missing"])
            .unwrap(),
        2
    );
    assert_eq!(md.delete(&[a.id.as_str()]).unwrap(), 0);
    assert!(md.list().unwrap().is_empty());
    assert!(matches!(md.read(&a.id), Err(Error::NotFound(_))));
}

#[test]
fn deliver_from_reader() {
    let t = TempDir::new("reader");
    let md = open(&t);
    let body: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}\r\n").into_bytes())
        .collect();
    let s = md.deliver_from(&body[..]).unwrap();
    assert_eq!(s.size_crlf, body.len() as u64);
    assert_eq!(md.read(&s.id).unwrap(), body);
    let mut r = md.open_message(&s.id).unwrap();
    let mut n = 0;
    let mut all = Vec::new();
    while let Some(c) = r.next_chunk().unwrap() {
        assert!(!c.is_empty());
        n += 1;
        all.extend_from_slice(&c);
    }
    assert!(n > 1, "read in several chunks");
    assert_eq!(all, body);
}

fn normalise(data: &[u8]) -> Vec<u8> {
    mailstore::crlf::to_crlf(&mailstore::crlf::to_lf(data))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_bytes_any_split_round_trip(
        data in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()], 0..300),
        cuts in proptest::collection::vec(0usize..300, 0..6),
    ) {
        let t = TempDir::new("prop");
        let md = open(&t);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.sort_unstable();
        let mut d = md.delivery().unwrap();
        let mut last = 0;
        for c in cuts.into_iter().chain([data.len()]) {
            d.write_chunk(&data[last..c]).unwrap();
            last = c;
        }
        let s = d.commit().unwrap();
        let disk = fs::read(&s.path).unwrap();
        prop_assert_eq!(&disk, &mailstore::crlf::to_lf(&data));
        prop_assert_eq!(s.size_lf, disk.len() as u64);
        let back = md.read(&s.id).unwrap();
        prop_assert_eq!(s.size_crlf, back.len() as u64);
        prop_assert_eq!(&back, &normalise(&data));
        // Text whose every CR starts a CRLF comes back unchanged.
        let bare_cr = back.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n')
            || back.ends_with(b"\r");
        if !bare_cr {
            let again = md.deliver(&back).unwrap();
            prop_assert_eq!(md.read(&again.id).unwrap(), back);
        }
    }
}

#[test]
fn clean_tmp_removes_only_old_files() {
    let t = TempDir::new("cleantmp");
    let md = open(&t);
    let old = t.join("Maildir/tmp/1.M1P1Q1.crashed");
    fs::write(&old, b"half").unwrap();
    let f = fs::File::options().write(true).open(&old).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(37 * 3600))
        .unwrap();
    drop(f);
    let d = md.delivery().unwrap();
    let now = SystemTime::now();
    assert_eq!(
        md.clean_tmp(now, Duration::from_secs(36 * 3600)).unwrap(),
        1
    );
    assert!(!old.exists());
    assert_eq!(
        names(&t.join("Maildir/tmp")).len(),
        1,
        "the live delivery is kept"
    );
    d.commit().unwrap();
}
