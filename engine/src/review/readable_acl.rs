//! Sentences for the permission and script sections of `readable` (kept apart to keep files
//! small): who gains or loses which right of the app, of records under a condition, and of a
//! field; scripts added, removed or changed with a line diff of their source.

use serde_json::Value;

use super::readable::{to_json, Arg, Compare, Cx, Line, Statement};

/// App rights of `app/acl.json`, in the order kintone's screen shows them.
const APP_RIGHTS: [&str; 7] = [
    "recordViewable",
    "recordAddable",
    "recordEditable",
    "recordDeletable",
    "recordImportable",
    "recordExportable",
    "appEditable",
];
/// Record rights of `record/acl.json`.
const RECORD_RIGHTS: [&str; 3] = ["viewable", "editable", "deletable"];

fn rights_of(entry: &Value, rights: &[&str]) -> Vec<String> {
    rights
        .iter()
        .filter(|r| entry.get(**r).and_then(Value::as_bool).unwrap_or(false))
        .map(|r| (*r).to_owned())
        .collect()
}

fn right_list(rights: &[String]) -> Arg {
    Arg::List(
        rights
            .iter()
            .map(|r| Arg::Key {
                key: format!("review.right.{r}"),
                args: Default::default(),
            })
            .collect(),
    )
}

/// Gains and losses of rights per entity between two entity lists, as statements built by `make`
/// (`gain`/`lose`/`add`/`remove` with the entity and the rights).
fn entity_rights(
    cx: &Cx<'_>,
    old: &[Value],
    new: &[Value],
    rights: &[&str],
    context: &[(&str, Arg)],
    out: &mut Vec<Statement>,
) {
    let key_of = |e: &Value| cx.entry(e).0;
    for n in new {
        let (k, who) = cx.entry(n);
        let now = rights_of(n, rights);
        let mut args: Vec<(&str, Arg)> = context.to_vec();
        args.push(("who", who));
        match old.iter().find(|o| key_of(o) == k) {
            None => {
                args.push(("rights", right_list(&now)));
                out.push(say(
                    if now.is_empty() {
                        "acl_added_none"
                    } else {
                        "acl_added"
                    },
                    &args,
                ));
            }
            Some(o) => {
                let before = rights_of(o, rights);
                let gained: Vec<String> = now
                    .iter()
                    .filter(|r| !before.contains(r))
                    .cloned()
                    .collect();
                let lost: Vec<String> = before
                    .iter()
                    .filter(|r| !now.contains(r))
                    .cloned()
                    .collect();
                if !gained.is_empty() {
                    let mut a = args.clone();
                    a.push(("rights", right_list(&gained)));
                    out.push(say("acl_gain", &a));
                }
                if !lost.is_empty() {
                    let mut a = args.clone();
                    a.push(("rights", right_list(&lost)));
                    out.push(say("acl_lose", &a));
                }
            }
        }
    }
    for o in old {
        if !new.iter().any(|n| key_of(n) == key_of(o)) {
            let mut args: Vec<(&str, Arg)> = context.to_vec();
            args.push(("who", cx.entry(o).1));
            out.push(say("acl_removed", &args));
        }
    }
}

fn say(key: &str, args: &[(&str, Arg)]) -> Statement {
    Statement {
        key: format!("review.say.{key}"),
        args: args
            .iter()
            .map(|(n, a)| ((*n).to_owned(), a.clone()))
            .collect(),
        compare: Vec::new(),
        lines: Vec::new(),
    }
}

fn array(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// The permissions section.
pub(crate) fn permissions(cx: &Cx<'_>) -> Vec<Statement> {
    let mut out = Vec::new();
    // App rights: `None` means "never set: everyone may do everything".
    let (ao, an) = (&cx.old.app_acl, &cx.new.app_acl);
    if ao != an {
        let app = [("scope", Arg::key("review.scope.app"))];
        match (ao, an) {
            (None, Some(_)) => out.push(say("acl_app_set", &[])),
            (Some(_), None) => out.push(say("acl_app_reset", &[])),
            _ => {}
        }
        let o = ao.as_ref().map(|v| array(&to_json(v))).unwrap_or_default();
        let n = an.as_ref().map(|v| array(&to_json(v))).unwrap_or_default();
        entity_rights(cx, &o, &n, &APP_RIGHTS, &app, &mut out);
    }
    // Record rights: rules by their condition.
    let (ro, rn) = (
        array(&to_json(&cx.old.record_acl)),
        array(&to_json(&cx.new.record_acl)),
    );
    let cond = |r: &Value| {
        r.get("filterCond")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let scope = |c: &str| {
        if c.is_empty() {
            Arg::key("review.scope.records_all")
        } else {
            Arg::Key {
                key: "review.scope.records".into(),
                args: [("cond".to_owned(), Arg::Text(c.to_owned()))]
                    .into_iter()
                    .collect(),
            }
        }
    };
    for r in &rn {
        let c = cond(r);
        let entities = array(r.get("entities").unwrap_or(&Value::Null));
        match ro.iter().find(|o| cond(o) == c) {
            None => {
                out.push(say("acl_rule_added", &[("scope", scope(&c))]));
                entity_rights(
                    cx,
                    &[],
                    &entities,
                    &RECORD_RIGHTS,
                    &[("scope", scope(&c))],
                    &mut out,
                );
            }
            Some(o) => {
                let before = array(o.get("entities").unwrap_or(&Value::Null));
                entity_rights(
                    cx,
                    &before,
                    &entities,
                    &RECORD_RIGHTS,
                    &[("scope", scope(&c))],
                    &mut out,
                );
            }
        }
    }
    for o in &ro {
        let c = cond(o);
        if !rn.iter().any(|r| cond(r) == c) {
            out.push(say("acl_rule_removed", &[("scope", scope(&c))]));
        }
    }
    if ro.iter().map(cond).collect::<Vec<_>>() != rn.iter().map(cond).collect::<Vec<_>>()
        && ro.len() == rn.len()
        && ro.iter().all(|o| rn.iter().any(|r| cond(r) == cond(o)))
    {
        out.push(say("acl_rule_order", &[]));
    }
    // Field rights: per field, each entity's access.
    let (fo, fnew) = (
        array(&to_json(&cx.old.field_acl)),
        array(&to_json(&cx.new.field_acl)),
    );
    let code = |r: &Value| {
        r.get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut codes: Vec<String> = fnew.iter().chain(fo.iter()).map(code).collect();
    codes.dedup();
    let mut seen = Vec::new();
    for c in codes {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c.clone());
        let list = |rules: &[Value]| -> Vec<Value> {
            rules
                .iter()
                .find(|r| code(r) == c)
                .map(|r| array(r.get("entities").unwrap_or(&Value::Null)))
                .unwrap_or_default()
        };
        let (before, after) = (list(&fo), list(&fnew));
        let field = Arg::Text(cx.field_label(&c));
        let access = |e: Option<&Value>| -> Arg {
            match e
                .and_then(|e| e.get("accessibility"))
                .and_then(Value::as_str)
            {
                Some(a) => Arg::Key {
                    key: format!("review.access.{a}"),
                    args: Default::default(),
                },
                None => Arg::Key {
                    key: "review.access.unset".into(),
                    args: Default::default(),
                },
            }
        };
        let mut keys: Vec<String> = after
            .iter()
            .chain(before.iter())
            .map(|e| cx.entry(e).0)
            .collect();
        keys.dedup();
        let mut done = Vec::new();
        for k in keys {
            if done.contains(&k) {
                continue;
            }
            done.push(k.clone());
            let o = before.iter().find(|e| cx.entry(e).0 == k);
            let n = after.iter().find(|e| cx.entry(e).0 == k);
            let (oa, na) = (access(o), access(n));
            if oa == na {
                continue;
            }
            let who = cx.entry(n.or(o).unwrap_or(&Value::Null)).1;
            out.push(say(
                "acl_field",
                &[
                    ("field", field.clone()),
                    ("who", who),
                    ("old", oa),
                    ("new", na),
                ],
            ));
        }
    }
    out
}

/// The scripts section.
pub(crate) fn scripts(cx: &Cx<'_>) -> Vec<Statement> {
    let mut out = Vec::new();
    let events = |s: &super::super::apps::AppScript| -> Arg {
        Arg::List(
            to_json(&s.events)
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|e| Arg::Key {
                    key: format!("review.event.{}", e.as_str().unwrap_or_default()),
                    args: Default::default(),
                })
                .collect(),
        )
    };
    let yes_no = |b: bool| Arg::Key {
        key: if b {
            "review.value.yes"
        } else {
            "review.value.no"
        }
        .into(),
        args: Default::default(),
    };
    for s in &cx.new.scripts {
        let name = [("name", Arg::Text(s.name.clone()))];
        match cx.old.scripts.iter().find(|o| o.name == s.name) {
            None => {
                let mut st = say("script_added", &name);
                st.compare = vec![row("events", Arg::none_value(), events(s))];
                st.lines = line_diff("", &s.source);
                out.push(st);
                out.extend(declarations(&s.name, &[], &s.apps));
            }
            Some(o) => {
                if o == s {
                    continue;
                }
                let mut st = say("script_changed", &name);
                if o.events != s.events {
                    st.compare.push(row("events", events(o), events(s)));
                }
                if o.enabled != s.enabled {
                    st.compare
                        .push(row("enabled", yes_no(o.enabled), yes_no(s.enabled)));
                }
                if o.source != s.source {
                    st.lines = line_diff(&o.source, &s.source);
                }
                out.push(st);
                out.extend(declarations(&s.name, &o.apps, &s.apps));
            }
        }
    }
    for o in &cx.old.scripts {
        if !cx.new.scripts.iter().any(|s| s.name == o.name) {
            out.push(say(
                "script_removed",
                &[("name", Arg::Text(o.name.clone()))],
            ));
        }
    }
    out
}

/// One sentence per other app a script starts or stops declaring (or whose access changes): what
/// reviewers must see first, since a script reaches no undeclared app (issue 12).
fn declarations(
    script: &str,
    old: &[super::super::apps::ScriptApp],
    new: &[super::super::apps::ScriptApp],
) -> Vec<Statement> {
    let app = |a: &super::super::apps::ScriptApp| match (&a.app, &a.code) {
        (Some(id), _) => Arg::Key {
            key: "review.script.app_id".into(),
            args: [("id".to_owned(), Arg::Text(id.clone()))].into(),
        },
        (None, code) => Arg::Key {
            key: "review.script.app_code".into(),
            args: [(
                "code".to_owned(),
                Arg::Text(code.clone().unwrap_or_default()),
            )]
            .into(),
        },
    };
    let access = |a: &super::super::apps::ScriptApp| Arg::Key {
        key: format!("review.script.access.{}", a.access.name()),
        args: Default::default(),
    };
    let sentence = |key: &str, a: &super::super::apps::ScriptApp| {
        say(
            key,
            &[
                ("name", Arg::Text(script.to_owned())),
                ("app", app(a)),
                ("access", access(a)),
            ],
        )
    };
    let mut out = Vec::new();
    for a in new {
        if !old.contains(a) {
            out.push(sentence("script_app_added", a));
        }
    }
    for a in old {
        if !new.contains(a) {
            out.push(sentence("script_app_removed", a));
        }
    }
    out
}

fn row(prop: &str, old: Arg, new: Arg) -> Compare {
    Compare {
        label: Arg::Key {
            key: format!("review.script.{prop}"),
            args: Default::default(),
        },
        old,
        new,
    }
}

impl Arg {
    fn none_value() -> Arg {
        Arg::Key {
            key: "review.value.none".into(),
            args: Default::default(),
        }
    }
}

/// Lines kept around a change.
const CONTEXT: usize = 2;
/// Beyond this many lines on either side the diff is not aligned (quadratic): old lines are shown
/// removed and new lines added.
const MAX_ALIGNED: usize = 3000;

/// A line diff of two texts (longest common subsequence), with `CONTEXT` unchanged lines around
/// each change and `skip` lines for the unchanged runs left out.
pub fn line_diff(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = if old.is_empty() {
        Vec::new()
    } else {
        old.lines().collect()
    };
    let b: Vec<&str> = if new.is_empty() {
        Vec::new()
    } else {
        new.lines().collect()
    };
    let mut ops: Vec<(&'static str, &str)> = Vec::new();
    if a.len() > MAX_ALIGNED || b.len() > MAX_ALIGNED {
        ops.extend(a.iter().map(|l| ("del", *l)));
        ops.extend(b.iter().map(|l| ("add", *l)));
    } else {
        // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
        let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push(("same", a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(("del", a[i]));
                i += 1;
            } else {
                ops.push(("add", b[j]));
                j += 1;
            }
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT).min(ops.len().saturating_sub(1));
        (lo..=hi).any(|x| ops.get(x).is_some_and(|(kind, _)| *kind != "same"))
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (k, (kind, text)) in ops.iter().enumerate() {
        if *kind == "same" && !near_change(k) {
            if !skipped {
                out.push(Line {
                    kind: "skip",
                    text: String::new(),
                });
                skipped = true;
            }
            continue;
        }
        skipped = false;
        out.push(Line {
            kind,
            text: (*text).to_owned(),
        });
    }
    if !out.is_empty() && out.iter().all(|l| l.kind == "skip") {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_diff_keeps_context_and_skips_the_rest() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh";
        let new = "a\nb\nc\nd\nE\nf\ng\nh";
        let d = line_diff(old, new);
        let shown: Vec<(&str, &str)> = d.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                ("skip", ""),
                ("same", "c"),
                ("same", "d"),
                ("del", "e"),
                ("add", "E"),
                ("same", "f"),
                ("same", "g"),
                ("skip", ""),
            ]
        );
        assert!(line_diff("x", "x").is_empty());
    }
}
