//! Request parameters. kintone's clients send GET/DELETE parameters as a `qs`-style query string
//! (`fields[0]=a&fields[1]=b`, also `fields[]=a` and repeated keys) and everything else as JSON; ids and
//! numbers arrive as JSON numbers or strings. This module turns both into one JSON object and reads
//! typed values out of it with kintone's `CB_VA01` errors.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Parses a query string into a JSON object (all leaves are strings).
pub fn parse_query_string(qs: &str) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in form_urlencoded::parse(qs.as_bytes()) {
        let (head, segments) = split_key(&key);
        if head.is_empty() {
            continue;
        }
        let mut path = vec![Segment::Key(head.to_owned())];
        path.extend(segments);
        insert(&mut root, &path, Value::String(value.into_owned()));
    }
    root
}

/// Bracket segments kept per key (`a[b][c]` has two); deeper ones stay one literal key.
const MAX_DEPTH: usize = 8;
/// How far past an array's end an index may point before it is appended instead.
const MAX_INDEX_GAP: usize = 100;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
    Push,
}

fn split_key(key: &str) -> (&str, Vec<Segment>) {
    let Some(open) = key.find('[') else {
        return (key, Vec::new());
    };
    let head = &key[..open];
    let mut segments = Vec::new();
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        // Like qs's `depth`: kintone parameters nest a few levels; deeper brackets stay one literal
        // key, so a long URL cannot make a deep value (recursion when it is built, read and dropped).
        if segments.len() >= MAX_DEPTH {
            segments.push(Segment::Key(rest.to_owned()));
            break;
        }
        let inner = &stripped[..close];
        segments.push(if inner.is_empty() {
            Segment::Push
        } else if let Ok(i) = inner.parse::<usize>() {
            // A hostile index must not allocate a huge array.
            if i > 10_000 {
                Segment::Key(inner.to_owned())
            } else {
                Segment::Index(i)
            }
        } else {
            Segment::Key(inner.to_owned())
        });
        rest = &stripped[close + 1..];
    }
    (head, segments)
}

fn insert(node: &mut Value, path: &[Segment], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let next_is_array = matches!(rest.first(), Some(Segment::Index(_) | Segment::Push));
    let fresh = || {
        if next_is_array {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    };
    match first {
        Segment::Key(k) => {
            let Value::Object(map) = node else { return };
            if rest.is_empty() {
                // A repeated plain key becomes a list.
                match map.get_mut(k) {
                    Some(Value::Array(items)) => items.push(value),
                    Some(existing) => {
                        let old = existing.take();
                        *existing = Value::Array(vec![old, value]);
                    }
                    None => {
                        map.insert(k.clone(), value);
                    }
                }
            } else {
                let child = map.entry(k.clone()).or_insert_with(fresh);
                insert(child, rest, value);
            }
        }
        Segment::Index(i) => {
            let Value::Array(items) = node else { return };
            // Like qs's `arrayLimit`: an index far past the end appends instead of padding, so
            // `k[10000]=x` repeated over a few KB of URL cannot allocate hundreds of MB of nulls.
            let i = &if *i > items.len() + MAX_INDEX_GAP {
                items.len()
            } else {
                *i
            };
            while items.len() <= *i {
                items.push(Value::Null);
            }
            if let Some(slot) = items.get_mut(*i) {
                if rest.is_empty() {
                    *slot = value;
                } else {
                    if slot.is_null() {
                        *slot = fresh();
                    }
                    insert(slot, rest, value);
                }
            }
        }
        Segment::Push => {
            let Value::Array(items) = node else { return };
            if rest.is_empty() {
                items.push(value);
            } else {
                let mut child = fresh();
                insert(&mut child, rest, value);
                items.push(child);
            }
        }
    }
}

/// Typed access to a parameter object.
pub struct Params<'a>(pub &'a Value);

impl Params<'_> {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An integer parameter given as a number or a numeric string.
    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => as_i64(v)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(key, "Enter an integer value.")),
        }
    }

    pub fn i64(&self, key: &str) -> Result<i64, ApiError> {
        self.opt_i64(key)?
            .ok_or_else(|| ApiError::invalid(key, "Required field."))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::invalid(key, "Enter a string value.")),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" || s.is_empty() => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(key, "Enter true or false.")),
        }
    }

    /// A list of strings (`fields[0]=a` or a JSON array).
    pub fn opt_str_list(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(ApiError::invalid(key, "Enter a list of strings.")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(_) => Err(ApiError::invalid(key, "Enter a list of strings.")),
        }
    }

    /// A list of integers; `null` members become None (kintone's `revisions:[null]`).
    pub fn opt_i64_list(&self, key: &str) -> Result<Option<Vec<Option<i64>>>, ApiError> {
        let items = match self.get(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items.clone(),
            Some(single) => vec![single.clone()],
        };
        items
            .iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                Value::String(s) if s.is_empty() => Ok(None),
                other => as_i64(other)
                    .map(Some)
                    .ok_or_else(|| ApiError::invalid(key, "Enter integer values.")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// An object parameter.
    pub fn opt_object(&self, key: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(ApiError::invalid(key, "Enter an object.")),
        }
    }

    pub fn opt_array(&self, key: &str) -> Result<Option<&Vec<Value>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(ApiError::invalid(key, "Enter a list.")),
        }
    }
}

/// An integer from a JSON number or numeric string.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_qs_style_arrays() {
        let v = parse_query_string("app=1&fields%5B0%5D=Text&fields%5B1%5D=%24id&totalCount=true");
        assert_eq!(
            v,
            json!({"app": "1", "fields": ["Text", "$id"], "totalCount": "true"})
        );
        let v = parse_query_string("ids[]=1&ids[]=2&x=a&x=b&q=a%20b");
        assert_eq!(v, json!({"ids": ["1", "2"], "x": ["a", "b"], "q": "a b"}));
        let v = parse_query_string("apps[0][app]=3&apps[0][revision]=2");
        assert_eq!(v, json!({"apps": [{"app": "3", "revision": "2"}]}));
    }

    #[test]
    fn hostile_indexes_do_not_allocate() {
        let v = parse_query_string("a[99999999]=1");
        assert_eq!(v, json!({"a": {"99999999": "1"}}));
    }

    #[test]
    fn many_or_deep_indexes_stay_small() {
        // Found by tests/it/security_fuzz.rs: 7.7 KB of `k<n>[10000]=x` made 55 MB of parameters.
        let qs: Vec<String> = (0..700).map(|i| format!("k{i}[10000]=x")).collect();
        let v = parse_query_string(&qs.join("&"));
        assert_eq!(v["k0"], json!(["x"]));
        let v = parse_query_string(&format!("a{}=x", "[0]".repeat(2000)));
        assert!(serde_json::to_string(&v).map_or(0, |s| s.len()) < 10_000);
        let v = parse_query_string("a[1]=x&a[0]=y");
        assert_eq!(v["a"], json!(["y", "x"]));
    }

    #[test]
    fn typed_access() -> Result<(), ApiError> {
        let v = json!({"app": "12", "id": 3, "revisions": [null, "2"], "flag": "true"});
        let p = Params(&v);
        assert_eq!(p.i64("app")?, 12);
        assert_eq!(p.i64("id")?, 3);
        assert_eq!(p.opt_i64_list("revisions")?, Some(vec![None, Some(2)]));
        assert_eq!(p.opt_bool("flag")?, Some(true));
        assert!(p.i64("missing").is_err());
        Ok(())
    }
}
