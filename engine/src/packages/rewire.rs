//! References between the apps of a bundle. On export, every app id that names another app of the
//! set (a lookup's or a related-records table's `relatedApp.app`, a script's declared `apps[].app`)
//! becomes the package-local key of that app (`appKey`); on import each key becomes the new app's
//! id. An id that names an app outside the set cannot be carried (the other server has no such
//! app), so export refuses it with the list of such references.
//!
//! Works on the package JSON (the `properties` and `scripts` sections), not on typed definitions, so
//! that a package stays a plain JSON value (another module signs packages as they are).

use std::collections::HashMap;

use serde_json::Value;

/// The member that holds the package-local key in place of an app id.
pub const APP_KEY: &str = "appKey";

/// One reference found in an app: where (`field` code or `script:<name>`) and which app id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub at: String,
    pub app: String,
}

/// Replaces app ids that are keys of `keys` by `appKey`s in `properties` (a package's
/// `properties` object) and `scripts` (its `scripts` array). Returns the references to apps that
/// are not in `keys` (left untouched), for the caller to refuse or report.
pub fn to_keys(
    properties: &mut Value,
    scripts: Option<&mut Value>,
    keys: &HashMap<String, String>,
) -> Vec<Reference> {
    let mut outside = Vec::new();
    for (code, property) in properties.as_object_mut().into_iter().flatten() {
        for related in related_apps(property) {
            let id = id_text(related.get("app"));
            let Some(id) = id.filter(|id| !id.is_empty()) else {
                continue;
            };
            match keys.get(&id) {
                Some(key) => {
                    related.insert("app".into(), Value::String(String::new()));
                    related.insert(APP_KEY.into(), Value::String(key.clone()));
                }
                None => outside.push(Reference {
                    at: code.clone(),
                    app: id,
                }),
            }
        }
    }
    for script in scripts.and_then(Value::as_array_mut).into_iter().flatten() {
        let name = script
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for declared in script
            .get_mut("apps")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(obj) = declared.as_object_mut() else {
                continue;
            };
            let Some(id) = id_text(obj.get("app")) else {
                // Declared by app code: the code survives the move as it is.
                continue;
            };
            match keys.get(&id) {
                Some(key) => {
                    obj.remove("app");
                    obj.insert(APP_KEY.into(), Value::String(key.clone()));
                }
                None => outside.push(Reference {
                    at: format!("script:{name}"),
                    app: id,
                }),
            }
        }
    }
    outside
}

/// Replaces every `appKey` in `properties` and `scripts` by the id `ids` gives it. A key that
/// `ids` lacks is returned as an error (the package names an app it does not carry).
pub fn from_keys(
    properties: &mut Value,
    scripts: Option<&mut Value>,
    ids: &HashMap<String, i64>,
) -> Result<(), String> {
    for (_, property) in properties.as_object_mut().into_iter().flatten() {
        for related in related_apps(property) {
            if let Some(key) = related.remove(APP_KEY) {
                related.insert("app".into(), Value::String(resolve(&key, ids)?));
            }
        }
    }
    for script in scripts.and_then(Value::as_array_mut).into_iter().flatten() {
        for declared in script
            .get_mut("apps")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(obj) = declared.as_object_mut() {
                if let Some(key) = obj.remove(APP_KEY) {
                    obj.insert("app".into(), Value::String(resolve(&key, ids)?));
                }
            }
        }
    }
    Ok(())
}

/// The keys of the other apps a package app refers to (for ordering record imports: an app's
/// lookups fetch from its sources, so the sources get their records first).
pub fn referenced_keys(properties: &Value) -> Vec<String> {
    let mut copy = properties.clone();
    let mut out = Vec::new();
    for (_, property) in copy.as_object_mut().into_iter().flatten() {
        for related in related_apps(property) {
            if let Some(key) = related.get(APP_KEY).and_then(Value::as_str) {
                out.push(key.to_owned());
            }
        }
    }
    out
}

fn resolve(key: &Value, ids: &HashMap<String, i64>) -> Result<String, String> {
    let key = key.as_str().unwrap_or_default();
    ids.get(key)
        .map(i64::to_string)
        .ok_or_else(|| format!("The package refers to the app \"{key}\", which it does not carry."))
}

/// The `relatedApp` objects of one field: its lookup's, its related-records table's, and those of
/// the fields inside a table.
fn related_apps(property: &mut Value) -> Vec<&mut serde_json::Map<String, Value>> {
    let mut out = Vec::new();
    let Some(obj) = property.as_object_mut() else {
        return out;
    };
    for (member, value) in obj.iter_mut() {
        match member.as_str() {
            "lookup" | "referenceTable" => {
                if let Some(related) = value.get_mut("relatedApp").and_then(Value::as_object_mut) {
                    out.push(related);
                }
            }
            "fields" => {
                for (_, inner) in value.as_object_mut().into_iter().flatten() {
                    out.extend(related_apps(inner));
                }
            }
            _ => {}
        }
    }
    out
}

/// An app id as kintone writes it: a string or a number.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn props() -> Value {
        json!({
            "顧客": {"type": "SINGLE_LINE_TEXT", "code": "顧客",
                "lookup": {"relatedApp": {"app": "1", "code": ""}, "relatedKeyField": "名前",
                           "fieldMappings": []}},
            "履歴": {"type": "REFERENCE_TABLE", "code": "履歴",
                "referenceTable": {"relatedApp": {"app": 2, "code": ""},
                                   "condition": {"field": "名前", "relatedField": "顧客"}}},
            "明細": {"type": "SUBTABLE", "code": "明細", "fields": {
                "品目": {"type": "NUMBER", "code": "品目",
                    "lookup": {"relatedApp": {"app": "9"}, "relatedKeyField": "番号"}}}}
        })
    }

    #[test]
    fn ids_in_the_set_become_keys_and_come_back_as_new_ids() {
        let mut p = props();
        let mut scripts = json!([{"name": "s", "source": "", "apps": [
            {"app": "2", "access": "write"}, {"code": "other", "access": "read"}]}]);
        let keys: HashMap<String, String> = [("1", "master"), ("2", "history"), ("9", "items")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let outside = to_keys(&mut p, Some(&mut scripts), &keys);
        assert!(outside.is_empty(), "{outside:?}");
        assert_eq!(p["顧客"]["lookup"]["relatedApp"]["appKey"], "master");
        assert_eq!(
            p["履歴"]["referenceTable"]["relatedApp"]["appKey"],
            "history"
        );
        assert_eq!(
            p["明細"]["fields"]["品目"]["lookup"]["relatedApp"]["appKey"],
            "items"
        );
        assert_eq!(
            scripts[0]["apps"][0],
            json!({"appKey": "history", "access": "write"})
        );
        assert_eq!(scripts[0]["apps"][1]["code"], "other");
        let mut order = referenced_keys(&p);
        order.sort();
        assert_eq!(order, ["history", "items", "master"]);

        let ids: HashMap<String, i64> = [("master", 11), ("history", 12), ("items", 13)]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b))
            .collect();
        from_keys(&mut p, Some(&mut scripts), &ids).unwrap();
        assert_eq!(
            p["顧客"]["lookup"]["relatedApp"],
            json!({"app": "11", "code": ""})
        );
        assert_eq!(p["履歴"]["referenceTable"]["relatedApp"]["app"], "12");
        assert_eq!(
            p["明細"]["fields"]["品目"]["lookup"]["relatedApp"]["app"],
            "13"
        );
        assert_eq!(
            scripts[0]["apps"][0],
            json!({"app": "12", "access": "write"})
        );
    }

    #[test]
    fn an_app_outside_the_set_is_reported_and_left_alone() {
        let mut p = props();
        let mut scripts =
            json!([{"name": "s", "source": "", "apps": [{"app": 5, "access": "read"}]}]);
        let keys: HashMap<String, String> = [("1".to_owned(), "master".to_owned())].into();
        let outside = to_keys(&mut p, Some(&mut scripts), &keys);
        let at: Vec<(&str, &str)> = outside
            .iter()
            .map(|r| (r.at.as_str(), r.app.as_str()))
            .collect();
        assert_eq!(at, [("履歴", "2"), ("明細", "9"), ("script:s", "5")]);
        assert_eq!(p["履歴"]["referenceTable"]["relatedApp"]["app"], 2);
    }

    #[test]
    fn a_key_the_package_does_not_carry_is_refused() {
        let mut p = json!({"x": {"lookup": {"relatedApp": {"app": "", "appKey": "gone"}}}});
        let err = from_keys(&mut p, None, &HashMap::new()).unwrap_err();
        assert!(err.contains("gone"), "{err}");
    }
}
