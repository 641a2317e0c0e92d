//! The app variables a PR environment gets: `WP_HOME` is always the preview URL; `WP_SITEURL`
//! only when the source sets it, keeping its path (Bedrock serves WordPress under `/wp`).

use std::collections::BTreeMap;

/// The app variables for `preview`: the user's `extra`, `WP_HOME`, and `WP_SITEURL` derived
/// from the source's unrendered value `source_siteurl`.
pub fn app_variables(
    extra: &BTreeMap<String, String>,
    preview: &str,
    source_siteurl: Option<&str>,
) -> BTreeMap<String, String> {
    let base = preview.trim_end_matches('/');
    let mut vars = extra.clone();
    vars.insert("WP_HOME".to_owned(), base.to_owned());
    if let Some(siteurl) = source_siteurl.and_then(|s| siteurl_for(s, base))
        && !extra.contains_key("WP_SITEURL")
    {
        vars.insert("WP_SITEURL".to_owned(), siteurl);
    }
    vars
}

/// `WP_SITEURL` for the preview `base` given the source's value: `None` when the source value
/// refers to `WP_HOME` (it follows the new `WP_HOME` by itself); else `base` plus the source
/// URL's path.
fn siteurl_for(source: &str, base: &str) -> Option<String> {
    if source.contains("WP_HOME") {
        return None;
    }
    Some(format!("{base}{}", url_path(source.trim())))
}

/// The path of an absolute URL without its trailing slash (`https://x.example/wp/` → `/wp`).
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |slash| &after_scheme[slash..]);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREVIEW: &str = "https://wp-pr-7.up.railway.app/";

    fn siteurl(source: Option<&str>) -> Option<String> {
        app_variables(&BTreeMap::new(), PREVIEW, source)
            .get("WP_SITEURL")
            .cloned()
    }

    #[test]
    fn home_is_always_the_preview() {
        let vars = app_variables(&BTreeMap::new(), PREVIEW, None);
        assert_eq!(
            vars.get("WP_HOME").map(String::as_str),
            Some("https://wp-pr-7.up.railway.app")
        );
    }

    #[test]
    fn siteurl_keeps_the_source_path_and_is_absent_when_the_source_has_none() {
        assert_eq!(siteurl(None), None);
        let base = "https://wp-pr-7.up.railway.app";
        assert_eq!(siteurl(Some("https://shop.example")), Some(base.to_owned()));
        assert_eq!(
            siteurl(Some("https://shop.example/")),
            Some(base.to_owned())
        );
        assert_eq!(
            siteurl(Some("https://shop.example/wp/")),
            Some(format!("{base}/wp"))
        );
        assert_eq!(
            siteurl(Some("https://shop.example/blog/wp?x=1")),
            Some(format!("{base}/blog/wp"))
        );
    }

    #[test]
    fn a_siteurl_built_from_wp_home_is_left_to_follow_it() {
        assert_eq!(siteurl(Some("${{WP_HOME}}/wp")), None);
        assert_eq!(siteurl(Some("${WP_HOME}/wp")), None);
    }

    #[test]
    fn a_user_override_wins() {
        let extra = BTreeMap::from([("WP_SITEURL".to_owned(), "https://x.example".to_owned())]);
        let vars = app_variables(&extra, PREVIEW, Some("https://shop.example/wp"));
        assert_eq!(
            vars.get("WP_SITEURL").map(String::as_str),
            Some("https://x.example")
        );
    }
}
