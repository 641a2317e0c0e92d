use super::*;

fn p() -> Pseudonymizer {
    Pseudonymizer::new(b"test-key").expect("key")
}

#[test]
fn deterministic_and_normalized() {
    let a = p().fake(&Kind::Email, "Jane.Doe@Client.Example ");
    let b = p().fake(&Kind::Email, "jane.doe@client.example");
    assert_eq!(a, b);
    let other = Pseudonymizer::new(b"other-key")
        .expect("key")
        .fake(&Kind::Email, "jane.doe@client.example");
    assert_ne!(a, other);
    assert_ne!(
        p().fake(&Kind::Username, "jane"),
        p().fake(&Kind::Username, "john")
    );
}

#[test]
fn emails_are_reserved_with_64_bits() {
    let e = p().fake(&Kind::Email, "x@client.example");
    let (local, domain) = e.split_once('@').expect("email");
    assert_eq!(domain, "example.com");
    let hex = local.rsplit('.').next().expect("hex part");
    assert_eq!(hex.len(), 16);
    assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn ips_in_documentation_ranges() {
    for i in 0..200 {
        let v4: std::net::Ipv4Addr = p()
            .fake(&Kind::Ip, &format!("10.0.0.{i}"))
            .parse()
            .expect("v4");
        let o = v4.octets();
        assert!(
            matches!(
                (o[0], o[1], o[2]),
                (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
            ),
            "{v4}"
        );
        let v6: std::net::Ipv6Addr = p()
            .fake(&Kind::Ip, &format!("2a00::{i}"))
            .parse()
            .expect("v6");
        assert_eq!(&v6.segments()[..2], &[0x2001, 0x0db8]);
    }
}

#[test]
fn phones_fictional_and_shapes() {
    let ph = p().fake(&Kind::Phone, "+49 30 1234567");
    assert!(ph.starts_with("+1-555-01") && ph.len() == 11, "{ph}");
    assert_eq!(p().fake(&Kind::Phone, "+49 (30) 123-4567"), ph);
    assert!(p().fake(&Kind::Postcode, "10115").len() == 5);
    assert!(p().fake(&Kind::FullName, "Jane Doe").contains(' '));
    assert!(p().fake(&Kind::Username, "jane").len() <= 60);
    let slug = p().fake(&Kind::Slug, "Jane");
    assert_eq!(slug, slugify(&p().fake(&Kind::Username, "jane")));
    assert!(
        slug.len() <= 50
            && slug
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    );
}

#[test]
fn slugify_rules() {
    assert_eq!(slugify("Amara_00ff"), "amara-00ff");
    assert_eq!(slugify("--a  b--"), "a-b");
    assert!(Pseudonymizer::new(b"").is_err());
}

#[test]
fn every_fake_of_a_tracked_kind_is_reserved_and_originals_are_not() {
    let p = Pseudonymizer::new(b"reserved").expect("key");
    for i in 0..2000 {
        for (kind, original) in [
            (Kind::Email, format!("user{i}@mail.example")),
            (Kind::Ip, format!("85.{}.{}.9", i % 250, i / 250)),
            (Kind::Ip, format!("2a02:8108::{i:x}")),
            (Kind::Phone, format!("+49 171 {:07}", i * 37)),
        ] {
            assert!(!is_reserved(&kind, &original), "{original}");
            let fake = p.fake(&kind, &original);
            assert!(is_reserved(&kind, &fake), "{kind}: {fake}");
        }
    }
}
