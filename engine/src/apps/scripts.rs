//! App scripts as stored in the app definition: a name, the rhai source, the events it is bound to
//! and whether it runs. They are part of the definition, so they move through the pre-live and live
//! stages, deploy, versions, review diffs and packages together with the rest of the settings. The
//! engine never runs them itself: `records::hooks` calls out to whatever implements
//! `RecordScripts` (the kumiki-scripting crate).

use serde::{Deserialize, Serialize};

/// One script of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppScript {
    /// Unique within the app; errors and logs name the script by it.
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub events: Vec<ScriptEvent>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The other apps the script reads or writes. A host call to any other app fails; reviewers
    /// see these declarations (issue 12: scripts as a confused deputy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<ScriptApp>,
}

/// Another app a script may use: by id (`app`) or by app code (`code`, which survives an export to
/// another server), with read or write access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptApp {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "id_text"
    )]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub access: ScriptAccess,
}

/// What a script may do in a declared app. Write includes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScriptAccess {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "write")]
    Write,
}

impl ScriptAccess {
    pub fn name(self) -> &'static str {
        match self {
            ScriptAccess::Read => "read",
            ScriptAccess::Write => "write",
        }
    }
}

/// An app id as kintone sends ids: a number or a string of digits.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) if n.is_i64() => Ok(Some(n.to_string())),
        Some(serde_json::Value::String(s)) if s.parse::<i64>().is_ok() => Ok(Some(s)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "app must be an app id, not {other}"
        ))),
    }
}

impl ScriptApp {
    /// Whether this declaration names the app `id` whose live app code is `code`.
    pub fn names(&self, id: i64, code: &str) -> bool {
        self.app.as_deref() == Some(id.to_string().as_str())
            || self
                .code
                .as_deref()
                .is_some_and(|c| !c.is_empty() && c == code)
    }

    /// `app:12` or `code:ARCHIVE`, for messages and review sentences.
    pub fn label(&self) -> String {
        match (&self.app, &self.code) {
            (Some(id), _) => format!("app {id}"),
            (None, Some(code)) => format!("app code {code}"),
            (None, None) => "no app".to_owned(),
        }
    }
}

fn enabled_by_default() -> bool {
    true
}

/// When a script runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScriptEvent {
    /// A new record is submitted: after its values are checked, before calculated fields are final.
    #[serde(rename = "create.submit")]
    CreateSubmit,
    /// An existing record is submitted, as `CreateSubmit`.
    #[serde(rename = "edit.submit")]
    EditSubmit,
    /// After a record was written, in the same transaction.
    #[serde(rename = "save.after")]
    SaveAfter,
    /// Before a process action moves a record.
    #[serde(rename = "process.before")]
    ProcessBefore,
    /// A field changed in the record form (read-only; computes values the page shows).
    #[serde(rename = "field.change")]
    FieldChange,
    #[serde(rename = "schedule.hourly")]
    ScheduleHourly,
    #[serde(rename = "schedule.daily")]
    ScheduleDaily,
}

impl ScriptEvent {
    pub const ALL: [ScriptEvent; 7] = [
        ScriptEvent::CreateSubmit,
        ScriptEvent::EditSubmit,
        ScriptEvent::SaveAfter,
        ScriptEvent::ProcessBefore,
        ScriptEvent::FieldChange,
        ScriptEvent::ScheduleHourly,
        ScriptEvent::ScheduleDaily,
    ];

    /// The wire name (`"create.submit"`, ...), also the value of `event` inside scripts.
    pub fn name(self) -> &'static str {
        match self {
            ScriptEvent::CreateSubmit => "create.submit",
            ScriptEvent::EditSubmit => "edit.submit",
            ScriptEvent::SaveAfter => "save.after",
            ScriptEvent::ProcessBefore => "process.before",
            ScriptEvent::FieldChange => "field.change",
            ScriptEvent::ScheduleHourly => "schedule.hourly",
            ScriptEvent::ScheduleDaily => "schedule.daily",
        }
    }

    pub fn parse(name: &str) -> Option<ScriptEvent> {
        ScriptEvent::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl AppScript {
    /// Whether this script runs for `event`.
    pub fn runs_on(&self, event: ScriptEvent) -> bool {
        self.enabled && self.events.contains(&event)
    }

    /// Whether the script declared app `id` (live app code `code`) with at least `need`.
    pub fn may_use(&self, id: i64, code: &str, need: ScriptAccess) -> bool {
        self.apps
            .iter()
            .any(|a| a.names(id, code) && a.access >= need)
    }
}

/// Whether any enabled script of `scripts` runs for `event`; lets the write path skip the runtime.
pub fn any_script_for(scripts: &[AppScript], event: ScriptEvent) -> bool {
    scripts.iter().any(|s| s.runs_on(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_use_dotted_names_and_enabled_defaults_to_true() -> Result<(), serde_json::Error> {
        let s: AppScript = serde_json::from_str(
            r#"{"name":"a","source":"1","events":["create.submit","schedule.daily"]}"#,
        )?;
        assert!(s.enabled);
        assert_eq!(
            s.events,
            vec![ScriptEvent::CreateSubmit, ScriptEvent::ScheduleDaily]
        );
        assert_eq!(
            serde_json::to_value(&s)?["events"][0],
            serde_json::json!("create.submit")
        );
        for e in ScriptEvent::ALL {
            assert_eq!(ScriptEvent::parse(e.name()), Some(e));
        }
        Ok(())
    }
}
