//! Plan A2 (a hidden field's canary through every output channel) and A3 (random app, record and
//! field permission lists on the running server against a small reference model of kintone's rule).

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use super::{as_user, everyone, hide_field, PW};
use kumiki_tests::TestApp;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---- A2: the field canary ---------------------------------------------------------------------

#[test]
fn a_hidden_fields_canary_appears_in_no_channel() {
    let app = TestApp::spawn();
    app.user("u", PW);
    let id = app.create_app(
        "住民票",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "秘密": {"type": "SINGLE_LINE_TEXT", "code": "秘密", "label": "個人番号"},
            "備考": {"type": "MULTI_LINE_TEXT", "code": "備考", "label": "備考"},
        }),
    );
    let canary = super::canary();
    let rec = app.add_record(
        id,
        json!({"件名": {"value": "転入届"}, "秘密": {"value": canary}, "備考": {"value": "確認済み"}}),
    );
    // A change of the hidden field, so history holds it.
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rec, "record": {"秘密": {"value": format!("{canary}-2")}}}),
    );
    assert_eq!(s, 200, "{b}");
    hide_field(&app, id, "秘密");
    app.deploy(id);
    app.wait_indexed(std::time::Duration::from_secs(30));
    let u = as_user(&app, "u");
    let mut captured: Vec<(String, String)> = Vec::new();
    let mut get = |path: String| {
        let (_, b) = u.get(&path);
        captured.push((path, b.to_string()));
    };
    get(format!("/k/v1/record.json?app={id}&id={rec}"));
    get(format!("/k/v1/records.json?app={id}"));
    get(format!(
        "/k/v1/records.json?app={id}&fields%5B0%5D=%E7%A7%98%E5%AF%86"
    ));
    get(format!(
        "/k/v1/records.json?app={id}&query={}",
        enc(&format!("秘密 = \"{canary}\""))
    ));
    get(format!("/api/record/history.json?app={id}&id={rec}"));
    get(format!("/k/v1/record/comments.json?app={id}&record={rec}"));
    // Searches name the canary's head ("CANARY-xxxxxxxx"): pages echo what was searched for, so
    // the check below looks for the canary's tail, which only the stored value holds.
    let (head, tail) = canary.split_at(15);
    get(format!("/api/search.json?q={}", enc(head)));
    get(format!("/api/search.json?q={}", enc("転入届")));
    get(format!("/api/search.json?q={}&app={id}", enc(head)));
    let (s, b) = u.post("/k/v1/records/cursor.json", json!({"app": id}));
    assert_eq!(s, 200, "{b}");
    let (_, page) = u.get(&format!(
        "/k/v1/records/cursor.json?id={}",
        b["id"].as_str().unwrap()
    ));
    captured.push(("cursor".into(), page.to_string()));
    let session = app.sign_in_form("u", PW);
    for path in [
        format!("/apps/{id}"),
        format!("/apps/{id}/records/{rec}"),
        format!("/apps/{id}/records/{rec}/edit"),
        format!("/search?q={}", enc(head)),
        format!("/search?q={}", enc("転入届")),
    ] {
        let (_, html) = app.page(&session, &path);
        captured.push((path, html));
    }
    for (path, body) in &captured {
        assert_eq!(body.matches(tail).count(), 0, "canary in {path}: {body}");
    }
    // The search found the record by its visible words, so a leaking snippet would show.
    let by_word = captured
        .iter()
        .find(|(p, _)| p.starts_with("/api/search.json") && p.contains("%E8%BB%A2"))
        .map(|(_, b)| b.clone())
        .unwrap_or_default();
    assert!(by_word.contains(&format!("\"record\":{rec}")), "{by_word}");
    // The record itself was reachable: the test saw the visible field.
    assert!(captured[0].1.contains("転入届"), "{}", captured[0].1);
    // Writing the hidden field is refused (mass assignment), by update and by add.
    let (s, b) = u.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rec, "record": {"秘密": {"value": "overwritten"}}}),
    );
    assert!(s >= 400, "{b}");
    let (s, b) = u.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "x"}, "秘密": {"value": "planted"}}}),
    );
    assert!(s >= 400, "{b}");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(b["record"]["秘密"]["value"], format!("{canary}-2"));
}

// ---- A3: random permission lists against a reference model ------------------------------------

const USERS: [&str; 3] = ["u1", "u2", "u3"];
const KINDS: [&str; 3] = ["A", "B", "C"];

/// Who an entry is for. `(type, code)`.
fn entity() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just(("USER", "u1")),
        Just(("USER", "u2")),
        Just(("USER", "u3")),
        Just(("GROUP", "g1")),
        Just(("GROUP", "everyone")),
        Just(("ORGANIZATION", "d1")),
        Just(("ORGANIZATION", "d2")),
        Just(("CREATOR", "")),
    ]
}

#[derive(Debug, Clone)]
struct AppRow {
    who: (&'static str, &'static str),
    subs: bool,
    view: bool,
    edit: bool,
}

#[derive(Debug, Clone)]
struct RecordEntity {
    who: (&'static str, &'static str),
    subs: bool,
    view: bool,
    edit: bool,
}

#[derive(Debug, Clone)]
struct RecordRule {
    /// None: every record.
    kind: Option<&'static str>,
    entities: Vec<RecordEntity>,
}

#[derive(Debug, Clone)]
struct FieldEntity {
    who: (&'static str, &'static str),
    subs: bool,
    level: &'static str,
}

#[derive(Debug, Clone)]
struct World {
    app: Option<Vec<AppRow>>,
    records: Vec<RecordRule>,
    field: Option<Vec<FieldEntity>>,
}

fn world() -> impl Strategy<Value = World> {
    let app_row = (entity(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(who, subs, view, edit)| AppRow {
            who,
            subs,
            view,
            edit: edit && view,
        },
    );
    let record_entity = (entity(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(who, subs, view, edit)| RecordEntity {
            who,
            subs,
            view,
            edit: edit && view,
        },
    );
    let rule = (
        prop_oneof![Just(None), Just(Some("A")), Just(Some("B"))],
        prop::collection::vec(record_entity, 0..3),
    )
        .prop_map(|(kind, entities)| RecordRule { kind, entities });
    let field_entity = (
        entity(),
        any::<bool>(),
        prop_oneof![Just("NONE"), Just("READ"), Just("WRITE")],
    )
        .prop_map(|(who, subs, level)| FieldEntity { who, subs, level });
    (
        prop::option::of(prop::collection::vec(app_row, 0..4)),
        prop::collection::vec(rule, 0..3),
        prop::option::of(prop::collection::vec(field_entity, 0..3)),
    )
        .prop_map(|(app, records, field)| World {
            app,
            records,
            field,
        })
}

/// u1 in d1; u2 in d2 (a child of d1) and g1; u3 in nothing. Records are Administrator's.
fn matches(user: &str, who: (&str, &str), subs: bool) -> bool {
    let (own, all, groups): (&[&str], &[&str], &[&str]) = match user {
        "u1" => (&["d1"], &["d1"], &[]),
        "u2" => (&["d2"], &["d2", "d1"], &["g1"]),
        _ => (&[], &[], &[]),
    };
    match who.0 {
        "USER" => who.1 == user,
        "GROUP" => who.1 == "everyone" || groups.contains(&who.1),
        "ORGANIZATION" if subs => all.contains(&who.1),
        "ORGANIZATION" => own.contains(&who.1),
        // CREATOR: the app's and the records' creator is Administrator.
        _ => false,
    }
}

/// The first matching entry, `everyone` entries last.
fn first<'a, T>(
    user: &str,
    list: &'a [T],
    who: impl Fn(&T) -> ((&'static str, &'static str), bool),
) -> Option<&'a T> {
    let is_everyone = |t: &T| who(t).0 == ("GROUP", "everyone");
    list.iter()
        .filter(|t| !is_everyone(t))
        .chain(list.iter().filter(|t| is_everyone(t)))
        .find(|t| {
            let (w, subs) = who(t);
            matches(user, w, subs)
        })
}

/// What the model says `user` sees: record kind → whether the field is shown (records not seen
/// are absent); `None` when the user may not view the app.
fn model(w: &World, user: &str) -> Option<BTreeMap<&'static str, bool>> {
    let app_view = match &w.app {
        // The default list of a new app: the creator everything, everyone the record rights.
        None => true,
        Some(rows) => first(user, rows, |r| (r.who, r.subs)).is_some_and(|r| r.view),
    };
    if !app_view {
        return None;
    }
    let field_visible = match &w.field {
        None => true,
        Some(list) => first(user, list, |e| (e.who, e.subs)).is_some_and(|e| e.level != "NONE"),
    };
    let mut out = BTreeMap::new();
    for kind in KINDS {
        let rule = w.records.iter().find(|r| r.kind.is_none_or(|k| k == kind));
        let view = match rule {
            None => true,
            Some(r) => first(user, &r.entities, |e| (e.who, e.subs)).is_some_and(|e| e.view),
        };
        if view {
            out.insert(kind, field_visible);
        }
    }
    Some(out)
}

fn entity_json(who: (&str, &str)) -> Value {
    if who.0 == "CREATOR" {
        json!({"type": "CREATOR"})
    } else {
        json!({"type": who.0, "code": who.1})
    }
}

fn apply(app: &TestApp, id: i64, w: &World) -> Result<(), TestCaseError> {
    let admin = json!({"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true,
        "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true});
    let app_rights: Vec<Value> = match &w.app {
        None => vec![
            json!({"entity": {"type": "CREATOR"}, "appEditable": true, "recordViewable": true,
                "recordAddable": true, "recordEditable": true, "recordDeletable": true,
                "recordImportable": true, "recordExportable": true}),
            json!({"entity": everyone(), "recordViewable": true, "recordAddable": true,
                "recordEditable": true, "recordDeletable": true}),
        ],
        Some(rows) => rows
            .iter()
            .map(|r| {
                json!({"entity": entity_json(r.who), "includeSubs": r.subs,
                    "recordViewable": r.view, "recordEditable": r.edit})
            })
            .chain(std::iter::once(admin))
            .collect(),
    };
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": app_rights}),
    );
    prop_assert_eq!(s, 200, "{}", b);
    let rules: Vec<Value> = w
        .records
        .iter()
        .map(|r| {
            let entities: Vec<Value> = r
                .entities
                .iter()
                .map(|e| {
                    json!({"entity": entity_json(e.who), "includeSubs": e.subs,
                        "viewable": e.view, "editable": e.edit})
                })
                .collect();
            json!({"filterCond": r.kind.map(|k| format!("区分 in (\"{k}\")")).unwrap_or_default(),
                "entities": entities})
        })
        .collect();
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": rules}),
    );
    prop_assert_eq!(s, 200, "{}", b);
    let fields: Vec<Value> = w
        .field
        .iter()
        .map(|list| {
            let entities: Vec<Value> = list
                .iter()
                .map(|e| {
                    json!({"entity": entity_json(e.who), "includeSubs": e.subs,
                        "accessibility": e.level})
                })
                .collect();
            json!({"code": "秘密", "entities": entities})
        })
        .collect();
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": fields}),
    );
    prop_assert_eq!(s, 200, "{}", b);
    app.deploy(id);
    Ok(())
}

fn observed(app: &TestApp, id: i64, user: &str) -> Option<BTreeMap<String, bool>> {
    let (s, b) = as_user(app, user).get(&format!("/k/v1/records.json?app={id}"));
    if s != 200 {
        return None;
    }
    let mut out = BTreeMap::new();
    for r in b["records"].as_array().into_iter().flatten() {
        let kind = r["区分"]["value"].as_str().unwrap_or_default().to_owned();
        out.insert(kind, r.get("秘密").is_some());
    }
    Some(out)
}

#[test]
fn random_permission_lists_agree_with_the_reference_model() {
    let app = TestApp::spawn();
    for u in USERS {
        app.user(u, PW);
    }
    for (code, parent) in [("d1", None), ("d2", Some("d1"))] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": code, "parentCode": parent}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = app.post("/api/org/groups.json", json!({"code": "g1", "name": "g1"}));
    assert_eq!(s, 200, "{b}");
    for (user, depts, groups) in [("u1", vec!["d1"], vec![]), ("u2", vec!["d2"], vec!["g1"])] {
        let (s, b) = app.put(
            "/api/org/memberships.json",
            json!({"user": user, "departments": depts, "groups": groups}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let id = app.create_app(
        "モデル",
        json!({
            "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
                "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"},
                "C": {"label": "C", "index": "2"}}},
            "秘密": {"type": "SINGLE_LINE_TEXT", "code": "秘密", "label": "秘密"},
        }),
    );
    for kind in KINDS {
        app.add_record(
            id,
            json!({"区分": {"value": kind}, "秘密": {"value": format!("s-{kind}")}}),
        );
    }
    let cases = std::env::var("KUMIKI_ACL_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&world(), |w| {
        apply(&app, id, &w)?;
        for user in USERS {
            let want =
                model(&w, user).map(|m| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
            let got = observed(&app, id, user);
            prop_assert_eq!(got, want, "{} in {:?}", user, w);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
