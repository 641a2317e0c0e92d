//! Validation of GraphQL documents against Railway's real schema (the introspection JSON in
//! `tests/fixtures/railway/schema.json`). apollo-compiler reads SDL, not introspection results, so the
//! JSON is turned into SDL first (types, fields, arguments, defaults; descriptions and
//! deprecations are left out, they do not affect validation).

use std::fmt::Write as _;
use std::sync::OnceLock;

use apollo_compiler::Schema;
use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::validation::Valid;
use serde_json::Value;

pub const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/railway/schema.json"
);

const BUILT_IN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

/// Railway's schema, parsed and validated once per test process.
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(SCHEMA_PATH)
            .unwrap_or_else(|e| panic!("read the Railway schema at {SCHEMA_PATH}: {e}"));
        let json: Value = serde_json::from_str(&text).expect("schema.json is JSON");
        let sdl = sdl_from_introspection(&json);
        Schema::parse_and_validate(sdl, "railway.graphql")
            .unwrap_or_else(|e| panic!("the SDL made from schema.json is invalid: {}", e.errors))
    })
}

/// Parses and validates `document` (unknown fields, wrong arguments, wrong variable types fail).
pub fn validate(document: &str) -> Result<Valid<ExecutableDocument>, String> {
    ExecutableDocument::parse_and_validate(schema(), document, "document.graphql")
        .map_err(|e| e.errors.to_string())
}

/// SDL for the `__schema` of an introspection result.
pub fn sdl_from_introspection(json: &Value) -> String {
    let schema = json
        .pointer("/data/__schema")
        .or_else(|| json.get("__schema"))
        .expect("an introspection result");
    let mut out = String::from("schema {\n");
    for (key, op) in [
        ("queryType", "query"),
        ("mutationType", "mutation"),
        ("subscriptionType", "subscription"),
    ] {
        if let Some(name) = schema
            .pointer(&format!("/{key}/name"))
            .and_then(Value::as_str)
        {
            writeln!(out, "  {op}: {name}").unwrap();
        }
    }
    out.push_str("}\n\n");
    for t in schema["types"].as_array().expect("types") {
        let name = t["name"].as_str().expect("type name");
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        match t["kind"].as_str().expect("kind") {
            "SCALAR" => writeln!(out, "scalar {name}\n").unwrap(),
            "ENUM" => {
                writeln!(out, "enum {name} {{").unwrap();
                for v in t["enumValues"].as_array().expect("enum values") {
                    writeln!(out, "  {}", v["name"].as_str().expect("value")).unwrap();
                }
                out.push_str("}\n\n");
            }
            "UNION" => {
                let members: Vec<&str> = t["possibleTypes"]
                    .as_array()
                    .expect("possible types")
                    .iter()
                    .map(|p| p["name"].as_str().expect("member"))
                    .collect();
                writeln!(out, "union {name} = {}\n", members.join(" | ")).unwrap();
            }
            "INPUT_OBJECT" => {
                let one_of = if t["isOneOf"].as_bool() == Some(true) {
                    " @oneOf"
                } else {
                    ""
                };
                writeln!(out, "input {name}{one_of} {{").unwrap();
                for f in t["inputFields"].as_array().expect("input fields") {
                    writeln!(out, "  {}", input_value(f)).unwrap();
                }
                out.push_str("}\n\n");
            }
            kind @ ("OBJECT" | "INTERFACE") => {
                let keyword = if kind == "OBJECT" {
                    "type"
                } else {
                    "interface"
                };
                let interfaces: Vec<&str> = t["interfaces"]
                    .as_array()
                    .map(|list| list.iter().filter_map(|i| i["name"].as_str()).collect())
                    .unwrap_or_default();
                let implements = if interfaces.is_empty() {
                    String::new()
                } else {
                    format!(" implements {}", interfaces.join(" & "))
                };
                writeln!(out, "{keyword} {name}{implements} {{").unwrap();
                for f in t["fields"].as_array().expect("fields") {
                    let args: Vec<String> = f["args"]
                        .as_array()
                        .map(|a| a.iter().map(input_value).collect())
                        .unwrap_or_default();
                    let args = if args.is_empty() {
                        String::new()
                    } else {
                        format!("({})", args.join(", "))
                    };
                    writeln!(
                        out,
                        "  {}{args}: {}",
                        f["name"].as_str().expect("field"),
                        type_ref(&f["type"])
                    )
                    .unwrap();
                }
                out.push_str("}\n\n");
            }
            other => panic!("unknown type kind {other}"),
        }
    }
    out
}

fn input_value(v: &Value) -> String {
    let mut s = format!(
        "{}: {}",
        v["name"].as_str().expect("name"),
        type_ref(&v["type"])
    );
    if let Some(default) = v["defaultValue"].as_str() {
        write!(s, " = {default}").unwrap();
    }
    s
}

fn type_ref(t: &Value) -> String {
    match t["kind"].as_str().expect("kind") {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().expect("named type").to_owned(),
    }
}
