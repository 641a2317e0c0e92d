use super::*;

fn rw(mode: UploadsMode) -> UrlRewriter {
    UrlRewriter::new(
        &[UrlRewrite {
            from: "https://www.client.example".into(),
            to: "https://pr-42.up.railway.app".into(),
        }],
        &mode,
    )
    .expect("valid")
}

fn apply(r: &UrlRewriter, s: &str) -> (String, UrlCounts) {
    let mut c = UrlCounts::default();
    let out = r.rewrite_text(s, &mut c).unwrap_or_else(|| s.to_string());
    (out, c)
}

#[test]
fn every_form_is_rewritten() {
    let r = rw(UploadsMode::KeepProduction);
    let cases = [
        (
            "https://www.client.example/a/",
            "https://pr-42.up.railway.app/a/",
        ),
        ("http://www.client.example", "https://pr-42.up.railway.app"),
        (
            "HTTP://client.example/x?y=1",
            "https://pr-42.up.railway.app/x?y=1",
        ),
        (
            "src=\"//www.client.example/wp-includes/x.js\"",
            "src=\"//pr-42.up.railway.app/wp-includes/x.js\"",
        ),
        (
            "https:\\/\\/www.client.example\\/a",
            "https:\\/\\/pr-42.up.railway.app\\/a",
        ),
        (
            "\"\\/\\/client.example\\/a\"",
            "\"\\/\\/pr-42.up.railway.app\\/a\"",
        ),
        (
            "https%3A%2F%2Fwww.client.example%2Fshop",
            "https%3A%2F%2Fpr-42.up.railway.app%2Fshop",
        ),
        (
            "https%3a%2f%2fclient.example%2fshop",
            "https%3a%2f%2fpr-42.up.railway.app%2fshop",
        ),
        (
            "<a href='https://client.example'>x</a>",
            "<a href='https://pr-42.up.railway.app'>x</a>",
        ),
        (
            "https://www.client.example#top",
            "https://pr-42.up.railway.app#top",
        ),
        (
            "see https://www.client.example.",
            "see https://pr-42.up.railway.app.",
        ),
    ];
    for (input, want) in cases {
        let (out, c) = apply(&r, input);
        assert_eq!(out, want, "{input}");
        assert_eq!(c.replaced, 1, "{input}");
    }
}

#[test]
fn other_hosts_and_emails_untouched() {
    let r = rw(UploadsMode::KeepProduction);
    for s in [
        "info@www.client.example",
        "mailto:x@client.example",
        "write to x@client.example or visit our site",
        "https://shop.client.example/",
        "https://client.example.org/",
        "https://client.example-cdn.net/",
        "https://notclient.example/",
        "https://client.example:8443/",
        "ftp://client.example/file",
        "www.client.example is our site",
        "https%253A%252F%252Fclient.example",
    ] {
        assert_eq!(r.rewrite_text(s, &mut UrlCounts::default()), None, "{s}");
    }
}

#[test]
fn uploads_modes() {
    let url = "https://www.client.example/wp-content/uploads/2024/01/a.jpg";
    let (out, c) = apply(&rw(UploadsMode::KeepProduction), url);
    assert_eq!(out, url);
    assert_eq!((c.replaced, c.uploads_kept), (0, 1));

    // The uploads URL is the uploads base, as WordPress takes `upload_url_path`.
    let (out, c) = apply(
        &rw(UploadsMode::To("https://media.client.example".into())),
        url,
    );
    assert_eq!(out, "https://media.client.example/2024/01/a.jpg");
    assert_eq!(c.uploads_redirected, 1);
    let cdn = rw(UploadsMode::To(
        "https://cdn.client.example/wp-content/uploads/".into(),
    ));
    assert_eq!(
        apply(&cdn, url).0,
        "https://cdn.client.example/wp-content/uploads/2024/01/a.jpg"
    );
    // The base itself (production's `upload_url_path`) is an uploads URL; a look-alike is not.
    let base = "https://www.client.example/wp-content/uploads";
    assert_eq!(apply(&rw(UploadsMode::KeepProduction), base).0, base);
    assert_eq!(
        apply(&cdn, &format!("\"{base}\"")).0,
        "\"https://cdn.client.example/wp-content/uploads\""
    );
    assert_eq!(
        apply(
            &rw(UploadsMode::KeepProduction),
            &format!("{base}-old/a.jpg")
        )
        .0,
        "https://pr-42.up.railway.app/wp-content/uploads-old/a.jpg"
    );

    let json = r#"https:\/\/www.client.example\/wp-content\/uploads\/a.jpg"#;
    let (out, _) = apply(&cdn, json);
    assert_eq!(
        out,
        r#"https:\/\/cdn.client.example\/wp-content\/uploads\/a.jpg"#
    );

    let (out, c) = apply(&rw(UploadsMode::Rewrite), url);
    assert_eq!(
        out,
        "https://pr-42.up.railway.app/wp-content/uploads/2024/01/a.jpg"
    );
    assert_eq!(c.replaced, 1);
}

#[test]
fn base_paths_and_ports() {
    let r = UrlRewriter::new(
        &[UrlRewrite {
            from: "https://client.example/blog/".into(),
            to: "http://localhost:8080/".into(),
        }],
        &UploadsMode::Rewrite,
    )
    .expect("valid");
    let (out, _) = apply(
        &r,
        "https://client.example/blog/hello https://client.example/shop https://client.example/blogroll",
    );
    assert_eq!(
        out,
        "http://localhost:8080/hello https://client.example/shop https://client.example/blogroll"
    );
    let (enc, _) = apply(&r, "https%3A%2F%2Fclient.example%2Fblog%2Fx");
    assert_eq!(enc, "http%3A%2F%2Flocalhost%3A8080%2Fx");
    assert_eq!(r.primary_target().as_deref(), Some("http://localhost:8080"));
}

#[test]
fn host_mode_only_matches_whole_host() {
    let r = rw(UploadsMode::KeepProduction);
    let mut c = UrlCounts::default();
    assert_eq!(
        r.rewrite_host("www.client.example", &mut c).as_deref(),
        Some("pr-42.up.railway.app")
    );
    assert_eq!(
        r.rewrite_host("client.example", &mut c).as_deref(),
        Some("pr-42.up.railway.app")
    );
    assert_eq!(r.rewrite_host("shop.client.example", &mut c), None);
    assert_eq!(c.replaced, 2);
}

#[test]
fn several_occurrences_and_target_containing_source() {
    let r = UrlRewriter::new(
        &[UrlRewrite {
            from: "https://client.example".into(),
            to: "https://staging.client.example".into(),
        }],
        &UploadsMode::Rewrite,
    )
    .expect("valid");
    let (out, c) = apply(
        &r,
        "https://client.example/a and http://www.client.example/b",
    );
    assert_eq!(
        out,
        "https://staging.client.example/a and https://staging.client.example/b"
    );
    assert_eq!(c.replaced, 2);
    // Rewriting once more finds no old host: staging.client.example is another host.
    assert_eq!(r.rewrite_text(&out, &mut UrlCounts::default()), None);
}

#[test]
fn invalid_configuration() {
    for bad in [
        "client.example",
        "ftp://x",
        "https://",
        "https://a b",
        "https://x?q=1",
    ] {
        assert!(
            UrlRewriter::new(
                &[UrlRewrite {
                    from: bad.into(),
                    to: "https://x".into()
                }],
                &UploadsMode::Rewrite
            )
            .is_err(),
            "{bad}"
        );
    }
}
