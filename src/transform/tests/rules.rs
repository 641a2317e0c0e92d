use super::*;

#[test]
fn parses_documented_example() {
    let yaml = r#"
tables:
  My_Plugin_Leads:
    columns: { email: email, phone: phone, notes: free_text, token: "fixed:" }
  postmeta:
    meta_keys: { "_my_plugin_*": delete_row, "_lead_email": email }
  my_plugin_kv:
    key_column: name
    value_column: value
    meta_keys: { contact: pii_keys }
  my_plugin_log:
    delete_rows: true
  comments:
    columns: { comment_agent: { fixed: "UA" } }
options:
  set:
    "woocommerce_stripe_settings.testmode": "yes"
    "my_smtp.enabled": false
    "blogdescription": "Staging"
    "x.a.b": 3
"#;
    let r = RulesFile::from_yaml(yaml).expect("valid");
    let t = r
        .table("my_plugin_leads", "wp_my_plugin_leads")
        .expect("table");
    assert!(t.columns.contains(&("notes".to_string(), Kind::FreeText)));
    assert!(
        t.columns
            .contains(&("token".to_string(), Kind::Fixed(String::new())))
    );
    assert!(
        r.table("x", "my_plugin_log")
            .expect("by full name")
            .delete_rows
    );
    assert_eq!(
        r.table("comments", "wp_comments").expect("c").columns[0].1,
        Kind::Fixed("UA".into())
    );
    let set = r.option_sets.iter().find(|s| s.option == "x").expect("x");
    assert_eq!(
        (set.path.clone(), set.value.clone()),
        (vec!["a".to_string(), "b".to_string()], OptionValue::Int(3))
    );
    assert!(
        r.option_sets
            .iter()
            .any(|s| s.option == "my_smtp" && s.value == OptionValue::Bool(false))
    );
    assert!(
        r.option_sets
            .iter()
            .any(|s| s.option == "blogdescription" && s.path.is_empty())
    );
}

#[test]
fn rejects_bad_rules() {
    let e = RulesFile::from_yaml("tables: { t: { columns: { a: emial } } }").expect_err("bad kind");
    assert!(
        e.to_string().contains("emial") && e.to_string().contains("valid kinds"),
        "{e}"
    );
    assert!(RulesFile::from_yaml("tables: { t: { colums: {} } }").is_err());
    assert!(RulesFile::from_yaml("options: { set: { \"a..b\": 1 } }").is_err());
    assert!(RulesFile::from_yaml("options: { set: { a: [1] } }").is_err());
    assert!(RulesFile::from_yaml("").is_ok() || RulesFile::from_yaml("{}").is_ok());
}
