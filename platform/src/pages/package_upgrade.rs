//! The 「更新」 part of the import preview (issue 17 part 3, docs/packages.md "Upgrades"): for a
//! newer version of an installed package, each installed app with the review diff from its live
//! settings to the new version, and the local changes the upgrade would overwrite.
//!
//! The diff comes as the review page's sentences (`review::readable`: message keys with
//! arguments); they are rendered here on the server, as `review_common.js` renders them in the
//! browser, so that the preview reads the same without a script.

use serde::Serialize;
use serde_json::Value;

use crate::i18n::{self, Lang};

#[derive(Serialize, Default)]
pub(super) struct CompareRow {
    label: String,
    old: String,
    new: String,
}

#[derive(Serialize, Default)]
pub(super) struct LineRow {
    kind: String,
    text: String,
}

#[derive(Serialize, Default)]
pub(super) struct Sentence {
    text: String,
    compare: Vec<CompareRow>,
    lines: Vec<LineRow>,
}

#[derive(Serialize, Default)]
pub(super) struct DiffSection {
    title: String,
    sentences: Vec<Sentence>,
}

#[derive(Serialize, Default)]
pub(super) struct UpgradedApp {
    app: String,
    name: String,
    sections: Vec<DiffSection>,
    /// 「フィールド『氏名』」… : what the upgrade would overwrite.
    local_changes: Vec<String>,
    /// The app has pre-live changes not yet deployed; the upgrade replaces them.
    pending_changes: bool,
}

#[derive(Serialize, Default)]
pub(super) struct UpgradeView {
    package: String,
    from: String,
    to: String,
    apps: Vec<UpgradedApp>,
    created: Vec<String>,
    kept: Vec<String>,
}

/// One argument of a sentence (as `arg` in review_common.js).
fn arg(lang: Lang, a: &Value) -> String {
    match a {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(list) if list.is_empty() => i18n::t(lang, "review.value.none"),
        Value::Array(list) => list
            .iter()
            .map(|x| arg(lang, x))
            .collect::<Vec<_>>()
            .join(&i18n::t(lang, "review.list_sep")),
        Value::Object(o) => {
            let key = o.get("key").and_then(Value::as_str).unwrap_or_default();
            let args = args_of(lang, o.get("args"));
            let text = format(lang, key, &args);
            if text == key {
                // A property the catalog does not name yet shows its own name.
                return args
                    .iter()
                    .find(|(n, _)| n == "name")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| key.rsplit('.').next().unwrap_or(key).to_owned());
            }
            text
        }
        other => other.to_string(),
    }
}

fn args_of(lang: Lang, args: Option<&Value>) -> Vec<(String, String)> {
    args.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), arg(lang, v)))
        .collect()
}

fn format(lang: Lang, key: &str, args: &[(String, String)]) -> String {
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    i18n::format(lang, key, &pairs)
}

fn sentence(lang: Lang, st: &Value) -> Sentence {
    let key = st["key"].as_str().unwrap_or_default();
    let list = |name: &str| st[name].as_array().cloned().unwrap_or_default();
    Sentence {
        text: format(lang, key, &args_of(lang, st.get("args"))),
        compare: list("compare")
            .iter()
            .map(|r| CompareRow {
                label: arg(lang, &r["label"]),
                old: arg(lang, &r["old"]),
                new: arg(lang, &r["new"]),
            })
            .collect(),
        lines: list("lines")
            .iter()
            .map(|l| LineRow {
                kind: l["kind"].as_str().unwrap_or_default().to_owned(),
                text: l["text"].as_str().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

fn local_change(lang: Lang, c: &Value) -> String {
    let part = c["part"].as_str().unwrap_or_default();
    let label = c["label"].as_str().unwrap_or_default();
    i18n::format(
        lang,
        &format!("pkgimport.upgrade.part.{part}"),
        &[("name", label)],
    )
}

/// The 「更新」 view of a plan's `upgrade`, None when the import is not an upgrade. The same or an
/// older version is no upgrade the page offers: the plan's problem says so, and a diff of apps
/// "to upgrade" beside it would only confuse.
pub(super) fn view(lang: Lang, plan: &Value) -> Option<UpgradeView> {
    let up = plan
        .get("upgrade")
        .filter(|u| u["status"].as_str() == Some("newer"))?;
    let s = |v: &Value, name: &str| v[name].as_str().unwrap_or_default().to_owned();
    let list = |name: &str| up[name].as_array().cloned().unwrap_or_default();
    let apps = list("apps")
        .iter()
        .map(|a| UpgradedApp {
            app: s(a, "app"),
            name: s(a, "name"),
            sections: a["statements"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|sec| DiffSection {
                    title: i18n::t(lang, &format!("review.section.{}", s(sec, "section"))),
                    sentences: sec["statements"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|st| sentence(lang, st))
                        .collect(),
                })
                .collect(),
            local_changes: a["localChanges"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| local_change(lang, c))
                .collect(),
            pending_changes: a["pendingChanges"].as_bool().unwrap_or(false),
        })
        .collect();
    Some(UpgradeView {
        package: s(up, "package"),
        from: s(up, "from"),
        to: s(up, "to"),
        apps,
        created: list("created").iter().map(|c| s(c, "name")).collect(),
        kept: list("kept").iter().map(|c| s(c, "name")).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sentences_read_as_on_the_review_page() {
        let st = json!({"key": "review.say.field_added",
                        "args": {"label": "備考", "type": {"key": "review.type.MULTI_LINE_TEXT"}}});
        let text = sentence(Lang::Ja, &st).text;
        assert!(text.contains("備考"), "{text}");
        assert!(!text.contains("review.say"), "{text}");
    }
}
