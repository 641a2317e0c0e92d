//! Where production serves its media from: staging's `upload_url_path` points there by default,
//! so the attachment URLs WordPress builds itself (featured images, `srcset`, the media library,
//! logos) load from production while a PR environment's uploads volume is empty.

use std::collections::BTreeMap;

use anyhow::Context as _;
use tokio_postgres::Client;

use crate::postgres::quote_ident;
use crate::sync::catalog::Table;
use crate::transform::logical_name;

/// Production's uploads base URL, as WordPress's `_wp_upload_dir` computes it from the options:
/// `upload_url_path` when set (taken exactly), else `<siteurl>/<upload_path>` for a relative
/// `upload_path`, else `<siteurl>/wp-content/uploads` (the default `WP_CONTENT_URL`).
pub(super) fn uploads_base(
    siteurl: Option<&str>,
    upload_path: Option<&str>,
    upload_url_path: Option<&str>,
) -> Option<String> {
    if let Some(own) = upload_url_path.map(str::trim).filter(|v| !v.is_empty()) {
        return Some(own.to_owned());
    }
    let site = siteurl?.trim().trim_end_matches('/');
    if site.is_empty() {
        return None;
    }
    let path = upload_path.map(str::trim).unwrap_or_default();
    // An absolute upload_path is a directory: WordPress then serves it under WP_CONTENT_URL.
    if path.is_empty() || path == "wp-content/uploads" || path.starts_with('/') {
        Some(format!("{site}/wp-content/uploads"))
    } else {
        Some(format!("{site}/{}", path.trim_matches('/')))
    }
}

/// Production's uploads base of every options table (`wp_options`, `wp_2_options`, …), read in
/// the snapshot, and a warning for each table that has no `upload_url_path` row to set.
pub(super) async fn production_bases(
    tables: &[Table],
    prefix: &str,
    snapshot: &Client,
) -> anyhow::Result<(BTreeMap<String, String>, Vec<String>)> {
    let (mut bases, mut warnings) = (BTreeMap::new(), Vec::new());
    if prefix.is_empty() {
        return Ok((bases, warnings));
    }
    for t in tables {
        let lower = t.name.to_ascii_lowercase();
        if !lower.starts_with(&prefix.to_ascii_lowercase())
            || logical_name(&t.name, prefix) != "options"
        {
            continue;
        }
        let col = |name: &str| t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name));
        let (Some(name), Some(value)) = (col("option_name"), col("option_value")) else {
            continue;
        };
        // As bytes, decoded lossily: a SQL_ASCII source may hold bytes that are not UTF-8.
        let sql = format!(
            "SELECT {n}::text, convert_to({v}::text, 'SQL_ASCII') FROM {t} \
             WHERE {n} IN ('siteurl', 'upload_path', 'upload_url_path')",
            n = quote_ident(&name.name),
            v = quote_ident(&value.name),
            t = t.qualified(),
        );
        let rows = snapshot
            .query(&sql, &[])
            .await
            .with_context(|| format!("reading the uploads settings of {}", t.display_name()))?;
        let options: BTreeMap<String, String> = rows
            .iter()
            .map(|r| {
                let raw: Option<Vec<u8>> = r.get(1);
                let value = String::from_utf8_lossy(&raw.unwrap_or_default()).into_owned();
                (r.get::<_, String>(0), value)
            })
            .collect();
        let get = |k: &str| options.get(k).map(String::as_str);
        if get("upload_url_path").is_none() {
            warnings.push(format!(
                "{} has no upload_url_path option, so staging cannot be pointed at production's \
                 media: images WordPress links itself (featured images, srcset) will not load. \
                 Add the option in production (`wp option add upload_url_path ''`) or pass \
                 --rewrite-uploads and copy the files.",
                t.display_name()
            ));
            continue;
        }
        if let Some(base) = uploads_base(get("siteurl"), get("upload_path"), get("upload_url_path"))
        {
            bases.insert(t.name.clone(), base);
        }
    }
    Ok((bases, warnings))
}

#[cfg(test)]
mod tests {
    use super::uploads_base;

    #[test]
    fn the_base_is_computed_as_wordpress_does() {
        let site = Some("https://www.client.example/");
        assert_eq!(
            uploads_base(site, Some(""), Some("")).as_deref(),
            Some("https://www.client.example/wp-content/uploads")
        );
        assert_eq!(
            uploads_base(site, Some("files"), None).as_deref(),
            Some("https://www.client.example/files")
        );
        assert_eq!(
            uploads_base(site, Some("/srv/www/uploads"), Some(" ")).as_deref(),
            Some("https://www.client.example/wp-content/uploads")
        );
        assert_eq!(
            uploads_base(site, Some("files"), Some("https://cdn.example/m")).as_deref(),
            Some("https://cdn.example/m")
        );
        assert_eq!(uploads_base(None, None, Some("")), None);
    }
}
