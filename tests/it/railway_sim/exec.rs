//! Simulated execution helpers: argument values (literals and variables) and projecting a
//! resolver's full JSON object onto the selection set (aliases included).

use apollo_compiler::ast;
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use serde_json::{Map, Value};

/// The JSON value of argument `name` of `field`, `Null` when absent.
pub fn arg(field: &Field, name: &str, vars: &Value) -> Value {
    field
        .arguments
        .iter()
        .find(|a| a.name == name)
        .map(|a| to_json(&a.value, vars))
        .unwrap_or(Value::Null)
}

/// Argument `name` of the sub-field `child` of `field` (e.g. `after` of `serviceInstances`).
pub fn child_arg(field: &Field, child: &str, name: &str, vars: &Value) -> Value {
    field
        .selection_set
        .selections
        .iter()
        .find_map(|s| match s {
            Selection::Field(f) if f.name == child => Some(arg(f, name, vars)),
            _ => None,
        })
        .unwrap_or(Value::Null)
}

fn to_json(value: &ast::Value, vars: &Value) -> Value {
    match value {
        ast::Value::Null => Value::Null,
        ast::Value::Enum(n) => Value::String(n.to_string()),
        ast::Value::Variable(n) => vars.get(n.as_str()).cloned().unwrap_or(Value::Null),
        ast::Value::String(s) => Value::String(s.clone()),
        ast::Value::Float(f) => f.try_to_f64().map(Value::from).unwrap_or(Value::Null),
        ast::Value::Int(i) => i.try_to_i32().map(Value::from).unwrap_or(Value::Null),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::List(items) => Value::Array(items.iter().map(|i| to_json(i, vars)).collect()),
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v, vars)))
                .collect(),
        ),
    }
}

/// Keeps only the selected fields of `value`, under their response keys.
pub fn project(value: &Value, set: &SelectionSet) -> Value {
    if set.selections.is_empty() {
        return value.clone();
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|i| project(i, set)).collect()),
        Value::Object(obj) => {
            let mut out = Map::new();
            collect(obj, set, &mut out);
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn collect(obj: &Map<String, Value>, set: &SelectionSet, out: &mut Map<String, Value>) {
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                let child = if f.name == "__typename" {
                    Value::String(set.ty.to_string())
                } else {
                    obj.get(f.name.as_str()).cloned().unwrap_or(Value::Null)
                };
                out.insert(
                    f.response_key().to_string(),
                    project(&child, &f.selection_set),
                );
            }
            Selection::InlineFragment(inline) => collect(obj, &inline.selection_set, out),
            Selection::FragmentSpread(_) => {}
        }
    }
}
