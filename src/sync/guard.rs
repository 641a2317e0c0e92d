//! Refusing a sync that would only destroy: an empty source (or one without WordPress tables)
//! into a target that holds data.

/// Tables of a WordPress install: `<prefix>options` together with `<prefix>posts`, in one
/// schema. `tables` are `schema.name`.
pub fn wordpress_tables(tables: &[String]) -> Vec<&str> {
    let mut found = Vec::new();
    for t in tables {
        if let Some(prefix) = t.strip_suffix("options")
            && let Some(posts) = tables.iter().find(|p| **p == format!("{prefix}posts"))
        {
            found.push(t.as_str());
            found.push(posts.as_str());
        }
    }
    found
}

/// Why syncing `source` over a target holding `target` tables and `target_relations` relations
/// would empty staging, or `None` when it would not. The reason completes "The source database …".
pub fn empty_source(source: &[String], target: &[String], target_relations: i64) -> Option<String> {
    if target_relations == 0 {
        return None;
    }
    if source.is_empty() {
        return Some("has no tables".to_owned());
    }
    let staging_wp = wordpress_tables(target);
    if wordpress_tables(source).is_empty() && !staging_wp.is_empty() {
        return Some(format!(
            "has no WordPress tables ({} tables, none of them like the target's {})",
            source.len(),
            staging_wp.join(" and ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn wordpress_is_options_with_posts() {
        let t = names(&[
            "public.wp_options",
            "public.wp_posts",
            "public.other_options",
        ]);
        assert_eq!(
            wordpress_tables(&t),
            ["public.wp_options", "public.wp_posts"]
        );
        assert!(wordpress_tables(&names(&["public.options"])).is_empty());
    }

    #[test]
    fn an_empty_source_over_data_is_refused_and_an_empty_target_is_not() {
        let wp = names(&["public.wp_options", "public.wp_posts"]);
        assert_eq!(empty_source(&[], &wp, 2).as_deref(), Some("has no tables"));
        assert!(empty_source(&[], &[], 1).is_some(), "a view alone is data");
        assert_eq!(empty_source(&[], &[], 0), None);
        let why = empty_source(&names(&["public.t"]), &wp, 2).unwrap();
        assert!(why.contains("public.wp_options"), "{why}");
        assert_eq!(
            empty_source(&names(&["public.t"]), &names(&["public.u"]), 1),
            None
        );
        assert_eq!(empty_source(&wp, &wp, 2), None);
    }
}
