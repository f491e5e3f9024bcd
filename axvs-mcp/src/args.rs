//! Tool arguments: parsed into their typed form once, with an error naming the argument at fault.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A failed tool call: one clear message, returned to the client as a tool error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(pub String);

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for ToolError {
    fn from(e: E) -> Self {
        ToolError(e.to_string())
    }
}

/// Builds a [`ToolError`] from a format string.
macro_rules! tool_error {
    ($($arg:tt)*) => { $crate::args::ToolError(format!($($arg)*)) };
}
pub(crate) use tool_error;

/// Parses `arguments` as `T`, then checks them against the ranges `T`'s schema declares (`minimum`,
/// `maximum`, `minLength`, `minItems`: the keywords schemars writes for `range` and `length`), so that the schema a client sees is the rule the server applies.
pub fn parse<T: DeserializeOwned + schemars::JsonSchema + 'static>(
    arguments: Map<String, Value>,
) -> Result<T, ToolError> {
    let value = Value::Object(arguments);
    let parsed: T = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            tool_error!("arguments: {inner}")
        } else {
            tool_error!("argument `{path}`: {inner}")
        }
    })?;
    let schema = rmcp::handler::server::tool::schema_for_type::<T>();
    if let (Some(Value::Object(properties)), Value::Object(given)) = (schema.get("properties"), &value) {
        for (name, rule) in properties {
            if let Some(value) = given.get(name) {
                check_range(name, rule, value)?;
            }
        }
    }
    Ok(parsed)
}

fn check_range(name: &str, rule: &Value, value: &Value) -> Result<(), ToolError> {
    if let Some(x) = value.as_f64() {
        if let Some(min) = rule.get("minimum").and_then(Value::as_f64).filter(|min| x < *min) {
            return Err(tool_error!("argument `{name}`: {value} is below the minimum {min}"));
        }
        if let Some(max) = rule.get("maximum").and_then(Value::as_f64).filter(|max| x > *max) {
            return Err(tool_error!("argument `{name}`: {value} is above the maximum {max}"));
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = rule
            .get("minItems")
            .and_then(Value::as_u64)
            .filter(|min| (items.len() as u64) < *min)
        {
            return Err(tool_error!("argument `{name}`: needs at least {min} item(s)"));
        }
    }
    if let Some(text) = value.as_str() {
        if let Some(min) = rule
            .get("minLength")
            .and_then(Value::as_u64)
            .filter(|min| (text.chars().count() as u64) < *min)
        {
            return Err(tool_error!(
                "argument `{name}`: must not be shorter than {min} character(s)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Args {
        #[schemars(range(min = 1, max = 7))]
        preset: Option<u8>,
        #[schemars(range(min = 0.5))]
        rate: Option<f64>,
        #[schemars(length(min = 1))]
        name: Option<String>,
        #[schemars(length(min = 1))]
        roots: Option<Vec<String>>,
    }

    fn parse_json(json: Value) -> Result<Args, ToolError> {
        match json {
            Value::Object(map) => parse(map),
            _ => Err(tool_error!("not an object")),
        }
    }

    #[test]
    fn ranges_are_enforced_as_the_schema_declares() {
        let parsed = parse_json(serde_json::json!({"preset": 1, "rate": 0.5, "name": "a"})).expect("in range");
        assert_eq!(
            (parsed.preset, parsed.rate, parsed.name.as_deref()),
            (Some(1), Some(0.5), Some("a"))
        );
        assert!(parse_json(serde_json::json!({"preset": 7})).is_ok());
        let e = parse_json(serde_json::json!({"preset": 8})).expect_err("above");
        assert_eq!(e.0, "argument `preset`: 8 is above the maximum 7");
        let e = parse_json(serde_json::json!({"preset": 0})).expect_err("below");
        assert_eq!(e.0, "argument `preset`: 0 is below the minimum 1");
        let e = parse_json(serde_json::json!({"rate": 0.49})).expect_err("below");
        assert!(e.0.starts_with("argument `rate`: 0.49 is below"), "{e}");
        let e = parse_json(serde_json::json!({"name": ""})).expect_err("empty");
        assert!(e.0.starts_with("argument `name`: must not be shorter"), "{e}");
        let e = parse_json(serde_json::json!({"roots": []})).expect_err("no item");
        assert_eq!(e.0, "argument `roots`: needs at least 1 item(s)");
        let roots = parse_json(serde_json::json!({"roots": ["a"]})).expect("one item");
        assert_eq!(roots.roots, Some(vec!["a".to_string()]));
    }

    #[test]
    fn a_tool_error_is_its_message() {
        assert_eq!(tool_error!("argument `x`: {}", 3).to_string(), "argument `x`: 3");
    }

    #[test]
    fn type_errors_and_unknown_arguments_name_the_argument() {
        let e = parse_json(serde_json::json!({"preset": "fast"})).expect_err("type");
        assert!(e.0.starts_with("argument `preset`: invalid type"), "{e}");
        let e = parse_json(serde_json::json!({"speed": 1})).expect_err("unknown");
        assert!(e.0.contains("unknown field `speed`"), "{e}");
    }
}
