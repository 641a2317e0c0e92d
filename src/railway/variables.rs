//! Railway variables: a name → value map whose values (database passwords, URLs with
//! credentials) never appear in `Debug`, logs or errors. Only the names are shown.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The scalar `EnvironmentVariables` (`{"NAME": "value"}`), values redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VariableSet(BTreeMap<String, String>);

impl VariableSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// The value of `name`. It may be a secret: hand it on, never print it.
    pub fn expose(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for VariableSet {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Debug for VariableSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_but_never_values() {
        let mut vars = VariableSet::new();
        vars.insert("PGPASSWORD", "hunter2-very-secret");
        let shown = format!("{vars:?}");
        assert!(shown.contains("PGPASSWORD"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn serializes_as_a_flat_object() {
        let vars: VariableSet = [("A".to_owned(), "1".to_owned())].into_iter().collect();
        assert_eq!(
            serde_json::to_string(&vars).ok().as_deref(),
            Some(r#"{"A":"1"}"#)
        );
    }
}
