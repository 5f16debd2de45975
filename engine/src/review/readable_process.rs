//! Sentences for the process section of `readable` (kept apart to keep files small): process
//! management on or off, statuses added, removed or reordered, assignees added or removed by name
//! and how they are chosen, actions added, removed or changed with their settings side by side.

use serde_json::{Map, Value};

use super::readable::{str_of, Arg, Cx, Statement};

/// The process section.
pub(crate) fn process(cx: &Cx<'_>) -> Vec<Statement> {
    let (o, n) = (&cx.old.process, &cx.new.process);
    let mut out = Vec::new();
    let enabled =
        |m: &Map<String, Value>| m.get("enable").and_then(Value::as_bool).unwrap_or(false);
    if enabled(o) != enabled(n) {
        out.push(Statement::new(
            if enabled(n) {
                "process_enabled"
            } else {
                "process_disabled"
            },
            &[],
        ));
    }
    let states = |m: &Map<String, Value>| -> Vec<(String, Value)> {
        let mut list: Vec<(i64, String, Value)> = m
            .get("states")
            .and_then(Value::as_object)
            .map(|s| {
                s.iter()
                    .map(|(k, v)| {
                        let i = match v.get("index") {
                            Some(Value::Number(x)) => x.as_i64().unwrap_or(0),
                            Some(Value::String(x)) => x.trim().parse().unwrap_or(0),
                            _ => 0,
                        };
                        (i, k.clone(), v.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        list.into_iter().map(|(_, k, v)| (k, v)).collect()
    };
    let (so, sn) = (states(o), states(n));
    let find = |list: &[(String, Value)], k: &str| {
        list.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    let entries = |state: &Value| -> Vec<Value> {
        state
            .get("assignee")
            .and_then(|a| a.get("entities"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let kind_of = |state: &Value| -> String {
        state
            .get("assignee")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("ONE")
            .to_owned()
    };
    for (name, state) in &sn {
        let who: Vec<Arg> = entries(state).iter().map(|e| cx.entry(e).1).collect();
        match find(&so, name) {
            None if who.is_empty() => {
                out.push(Statement::new(
                    "state_added",
                    &[("state", Arg::text(name.clone()))],
                ));
            }
            None => out.push(Statement::new(
                &format!("state_added_{}", kind_of(state)),
                &[("state", Arg::text(name.clone())), ("who", Arg::List(who))],
            )),
            Some(before) => {
                let old_entries: Vec<(String, Arg)> =
                    entries(&before).iter().map(|e| cx.entry(e)).collect();
                let new_entries: Vec<(String, Arg)> =
                    entries(state).iter().map(|e| cx.entry(e)).collect();
                let added: Vec<Arg> = new_entries
                    .iter()
                    .filter(|(k, _)| !old_entries.iter().any(|(o, _)| o == k))
                    .map(|(_, a)| a.clone())
                    .collect();
                let removed: Vec<Arg> = old_entries
                    .iter()
                    .filter(|(k, _)| !new_entries.iter().any(|(n, _)| n == k))
                    .map(|(_, a)| a.clone())
                    .collect();
                if !added.is_empty() {
                    out.push(Statement::new(
                        "assignee_added",
                        &[
                            ("state", Arg::text(name.clone())),
                            ("who", Arg::List(added)),
                        ],
                    ));
                }
                if !removed.is_empty() {
                    out.push(Statement::new(
                        "assignee_removed",
                        &[
                            ("state", Arg::text(name.clone())),
                            ("who", Arg::List(removed)),
                        ],
                    ));
                }
                if kind_of(&before) != kind_of(state) {
                    out.push(Statement::new(
                        "assignee_kind",
                        &[
                            ("state", Arg::text(name.clone())),
                            (
                                "old",
                                Arg::key(format!("review.assignee.{}", kind_of(&before))),
                            ),
                            (
                                "new",
                                Arg::key(format!("review.assignee.{}", kind_of(state))),
                            ),
                        ],
                    ));
                }
            }
        }
    }
    for (name, _) in &so {
        if find(&sn, name).is_none() {
            out.push(Statement::new(
                "state_removed",
                &[("state", Arg::text(name.clone()))],
            ));
        }
    }
    let order_old: Vec<&String> = so
        .iter()
        .map(|(k, _)| k)
        .filter(|k| find(&sn, k).is_some())
        .collect();
    let order_new: Vec<&String> = sn
        .iter()
        .map(|(k, _)| k)
        .filter(|k| find(&so, k).is_some())
        .collect();
    if order_old != order_new {
        out.push(Statement::new(
            "states_order",
            &[(
                "order",
                Arg::List(sn.iter().map(|(k, _)| Arg::text(k.clone())).collect()),
            )],
        ));
    }
    let actions = |m: &Map<String, Value>| -> Vec<Value> {
        m.get("actions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    // Branches share their name and status (kintone tries them in order): the n-th action of a
    // (from, name) pair is matched with the n-th one of the other side.
    let keyed = |list: Vec<Value>| -> Vec<((String, String, usize), Value)> {
        let mut out: Vec<((String, String, usize), Value)> = Vec::with_capacity(list.len());
        for a in list {
            let (from, name) = (str_of(&a, "from").to_owned(), str_of(&a, "name").to_owned());
            let n = out
                .iter()
                .filter(|((f, m, _), _)| *f == from && *m == name)
                .count();
            out.push(((from, name, n), a));
        }
        out
    };
    let (ao, an) = (keyed(actions(o)), keyed(actions(n)));
    let skip = ["name", "from"];
    for (ka, a) in &an {
        let args = [
            ("name", Arg::text(str_of(a, "name"))),
            ("from", Arg::text(str_of(a, "from"))),
            ("to", Arg::text(str_of(a, "to"))),
        ];
        match ao.iter().find(|(kb, _)| kb == ka).map(|(_, b)| b) {
            None => {
                let rows = cx.compare_members("review.action.", &Value::Null, a, added_skip(a));
                out.push(Statement::new("action_added", &args).with_compare(rows));
            }
            Some(b) => {
                let rows = cx.compare_members("review.action.", b, a, &skip);
                if !rows.is_empty() {
                    out.push(Statement::new("action_changed", &args).with_compare(rows));
                }
            }
        }
    }
    for (kb, b) in &ao {
        if !an.iter().any(|(ka, _)| ka == kb) {
            out.push(Statement::new(
                "action_removed",
                &[
                    ("name", Arg::text(str_of(b, "name"))),
                    ("from", Arg::text(str_of(b, "from"))),
                    ("to", Arg::text(str_of(b, "to"))),
                ],
            ));
        }
    }
    out
}

/// What a new action's sentence already says, and its type when it is the usual one.
fn added_skip(action: &Value) -> &'static [&'static str] {
    if str_of(action, "type") == "SECONDARY" {
        &["name", "from", "to"]
    } else {
        &["name", "from", "to", "type"]
    }
}
