//! Keeping secrets out of error messages that echo what was sent or received.

use serde_json::Value;

/// Replaces every string value sent in `variables` (they may hold passwords) that an error
/// message echoes back.
pub(crate) fn redact(message: &str, variables: &Value) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.len() >= 6 => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut secrets = Vec::new();
    walk(variables, &mut secrets);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.iter().fold(message.to_owned(), |m, s| {
        m.replace(s.as_str(), "<redacted>")
    })
}

/// serde messages quote the offending value; keep the shape, drop the value.
pub(crate) fn strip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_variable_values_are_redacted() {
        let vars = serde_json::json!({"input": {"variables": {"PGPASSWORD": "s3cr3t-password"}}});
        let m = redact("Invalid value s3cr3t-password for variables", &vars);
        assert_eq!(m, "Invalid value <redacted> for variables");
    }

    #[test]
    fn quoted_values_are_stripped_from_decode_errors() {
        assert_eq!(
            strip_quoted("invalid type: string \"topsecret\", expected u16"),
            "invalid type: string \"…\", expected u16"
        );
    }
}
