//! Host calls: what a script asks of the database (other apps' records, comments, counters).
//!
//! The script runs on a pool worker, but the transaction's connection cannot leave the thread that
//! holds it; so the worker sends each call over a channel and the transaction thread serves it here,
//! with the acting context of the save (channel `Script`, through the path of the script's own app):
//! every app is opened by `ActingContext::open_app`, as for the API, and the same engine functions
//! run, so a script sees and changes at most what its user could through the API. Writes are made
//! with an actor without scripts (no cascades).
//!
//! Two more bounds (issue 12, scripts as a confused deputy): the acting context is limited by the
//! rights of the person who last changed the scripts (`ActingContext::limited_by`, set up by the
//! runtime), and an app other than the script's own is reached only when the script declares it
//! (`AppScript::apps`, read or write). Every app whose records a run read is remembered
//! (`read_apps`): its log lines are shown only to readers who may see all of those apps.

use std::collections::BTreeSet;

use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{load_definition, AppId, LiveApp, ScriptAccess, ScriptApp, LIVE};
use kumiki_engine::db::DbConn;
use kumiki_engine::query;
use kumiki_engine::records::{
    self, add_comment, get_record, list_records, record_json, Actor, ListRequest, RecordTarget,
    RecordUpdate, StoredRecord,
};
use kumiki_engine::{EngineError, UserError};
use serde_json::{json, Map, Value};

use crate::convert;

/// One request of a script.
#[derive(Debug, Clone)]
pub enum HostCall {
    Records {
        app: i64,
        query: String,
    },
    GetRecord {
        app: i64,
        id: i64,
    },
    AddRecord {
        app: i64,
        record: Map<String, Value>,
    },
    UpdateRecord {
        app: i64,
        id: i64,
        record: Map<String, Value>,
    },
    AddComment {
        app: i64,
        id: i64,
        text: String,
    },
    NextNumber {
        key: String,
    },
    /// `app_id()`, `app_id_of(name)` (lookup.rs).
    Lookup(crate::lookup::LookupCall),
}

/// How writes are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A real save: writes happen in the save's transaction.
    Live,
    /// A test run: writes to other apps are only logged ("would add ...").
    TestRun,
    /// `field.change`: no writes at all.
    ReadOnly,
}

/// A failed call: `User` is shown to the script (it may catch it); `Internal` fails the save.
pub enum HostError {
    User(String),
    Internal(EngineError),
}

impl From<EngineError> for HostError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::User(u) => HostError::User(u.to_string()),
            internal => HostError::Internal(internal),
        }
    }
}

impl From<UserError> for HostError {
    fn from(e: UserError) -> Self {
        HostError::User(e.to_string())
    }
}

/// What serving a script's calls needs, on the transaction thread.
pub struct Host<'a> {
    pub conn: &'a mut DbConn,
    /// The app the script belongs to.
    pub app: &'a LiveApp,
    /// Who acts: their rights (bounded by the scripts' last changer's), and the guest-space path
    /// of the script's own app.
    pub acting: ActingContext,
    /// Writes are attributed to this actor; it carries no scripts.
    pub actor: Actor,
    pub mode: Mode,
    /// "would add ..." lines of a test run.
    pub notes: Vec<String>,
    /// The running script's name and declared apps.
    pub script: String,
    pub declared: Vec<ScriptApp>,
    /// Why no app may be reached at all (the scripts' last changer is disabled or deleted).
    pub refusal: Option<String>,
    /// Who last changed the scripts, when that bounds `acting` (for messages).
    pub author: Option<String>,
    /// Apps whose records this event's scripts read.
    pub read_apps: BTreeSet<i64>,
}

impl<'a> Host<'a> {
    /// A host for `app`'s scripts acting as `acting` (no script running yet, nothing refused).
    pub fn new(
        conn: &'a mut DbConn,
        app: &'a LiveApp,
        acting: ActingContext,
        actor: Actor,
        mode: Mode,
    ) -> Host<'a> {
        Host {
            conn,
            app,
            acting,
            actor,
            mode,
            notes: Vec::new(),
            script: String::new(),
            declared: Vec::new(),
            refusal: None,
            author: None,
            read_apps: BTreeSet::new(),
        }
    }

    /// The app as the acting user (bounded by the scripts' last changer) may use it through the
    /// script's path, when the script declared it with `need` (its own app needs no declaration).
    /// An app of another space answers like a missing app (a script cannot tell what exists
    /// elsewhere).
    fn other_app(
        &mut self,
        app: i64,
        right: AppRight,
        need: ScriptAccess,
    ) -> Result<LiveApp, HostError> {
        if let Some(refusal) = &self.refusal {
            return Err(HostError::User(refusal.clone()));
        }
        if app != self.app.row.id && !self.declares(app, need)? {
            return Err(HostError::User(format!(
                "app {app} is not declared for {} in the settings of script {}: add {{\"app\": \"{app}\", \"access\": \"{}\"}} to its apps",
                need.name(),
                self.script,
                need.name()
            )));
        }
        match self.acting.open_app(self.conn, AppId(app), right) {
            Err(EngineError::User(
                UserError::GuestSpacePathRequired
                | UserError::Forbidden
                | UserError::AppNotFound(_),
            )) => {
                // Say whose rights refused, when the user alone would have been allowed.
                if let Some(author) = &self.author {
                    let alone = self.acting.clone().without_limit();
                    if alone.open_app(self.conn, AppId(app), right).is_ok() {
                        return Err(HostError::User(format!(
                            "app {app}: {author}, who last changed the scripts, may not {} it",
                            need.name()
                        )));
                    }
                }
                Err(UserError::AppNotFound(app.to_string()).into())
            }
            other => Ok(other?),
        }
    }

    /// Whether the running script declared app `app` with at least `need`; a declaration by app
    /// code compares the app's live code.
    fn declares(&mut self, app: i64, need: ScriptAccess) -> Result<bool, HostError> {
        let wanted = self.declared.iter().filter(|d| d.access >= need);
        let by_code = wanted.clone().any(|d| d.code.is_some());
        if wanted.clone().any(|d| d.names(app, "")) {
            return Ok(true);
        }
        if !by_code {
            return Ok(false);
        }
        let code = load_definition(self.conn, AppId(app), LIVE)?
            .map(|(d, _)| d.code)
            .unwrap_or_default();
        Ok(!code.is_empty()
            && self
                .declared
                .iter()
                .any(|d| d.access >= need && d.names(app, &code)))
    }

    fn refuse_in_read_only(&self, what: &str) -> Result<(), HostError> {
        if self.mode == Mode::ReadOnly {
            return Err(HostError::User(format!(
                "{what} is not allowed in field.change scripts"
            )));
        }
        Ok(())
    }

    /// Serves one call; the answer is JSON in the script shape.
    pub fn serve(&mut self, call: HostCall) -> Result<Value, HostError> {
        match call {
            HostCall::Records { app, query } => {
                let live = self.other_app(app, AppRight::View, ScriptAccess::Read)?;
                self.read_apps.insert(app);
                let ctx = self.acting.query_context(&live, None);
                let q = query::prepare(&query, &ctx)?;
                let found = list_records(
                    self.conn,
                    &live,
                    &ListRequest {
                        query: &q,
                        context: &ctx,
                        limit: None,
                        offset: None,
                    },
                )?;
                Ok(Value::Array(
                    found.iter().map(|r| script_record(&live, r)).collect(),
                ))
            }
            HostCall::GetRecord { app, id } => {
                let live = self.other_app(app, AppRight::View, ScriptAccess::Read)?;
                self.read_apps.insert(app);
                let record = get_record(self.conn, &live, id)?;
                Ok(script_record(&live, &record))
            }
            HostCall::AddRecord { app, record } => {
                self.refuse_in_read_only("add_record")?;
                let live = self.other_app(app, AppRight::Add, ScriptAccess::Write)?;
                let input = convert::to_input(&live.definition, &record);
                if self.mode == Mode::TestRun {
                    self.notes.push(format!(
                        "would add a record to app {app}: {}",
                        Value::Object(input)
                    ));
                    return Ok(json!(0));
                }
                let added = records::add_records(self.conn, &live, &[input], &self.actor, false)?;
                Ok(json!(added.first().map_or(0, |(id, _)| *id)))
            }
            HostCall::UpdateRecord { app, id, record } => {
                self.refuse_in_read_only("update_record")?;
                let live = self.other_app(app, AppRight::Edit, ScriptAccess::Write)?;
                let input = convert::to_input(&live.definition, &record);
                if self.mode == Mode::TestRun {
                    get_record(self.conn, &live, id)?;
                    self.notes.push(format!(
                        "would update record {id} of app {app}: {}",
                        Value::Object(input)
                    ));
                    return Ok(json!(0));
                }
                let update = RecordUpdate {
                    target: RecordTarget::Id(id),
                    record: input,
                    revision: None,
                };
                let done = records::update_records(
                    self.conn,
                    &live,
                    &[update],
                    &self.actor,
                    false,
                    false,
                )?;
                Ok(json!(done.first().map_or(0, |o| o.revision)))
            }
            HostCall::AddComment { app, id, text } => {
                self.refuse_in_read_only("add_comment")?;
                let live = self.other_app(app, AppRight::View, ScriptAccess::Write)?;
                if text.trim().is_empty() || text.chars().count() > 10_000 {
                    return Err(HostError::User(
                        "add_comment: the text must have 1 to 10,000 characters".into(),
                    ));
                }
                if self.mode == Mode::TestRun {
                    get_record(self.conn, &live, id)?;
                    self.notes
                        .push(format!("would comment on record {id} of app {app}: {text}"));
                    return Ok(json!(0));
                }
                let comment =
                    add_comment(self.conn, &live, id, &text, &json!([]), &self.actor.code)?;
                Ok(json!(comment))
            }
            HostCall::Lookup(call) => crate::lookup::serve(self, call),
            HostCall::NextNumber { key } => {
                self.refuse_in_read_only("next_number")?;
                if key.is_empty() || key.chars().count() > 200 {
                    return Err(HostError::User(
                        "next_number: the key must have 1 to 200 characters".into(),
                    ));
                }
                Ok(json!(crate::logs::next_number(
                    self.conn,
                    self.app.id(),
                    &key
                )?))
            }
        }
    }
}

/// A record as scripts see it: the fields the principal may view, typed, with `$id`/`$revision`.
fn script_record(app: &LiveApp, record: &StoredRecord) -> Value {
    let shown: Map<String, Value> = record_json(app, record, None)
        .into_iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k, v.get("value").cloned().unwrap_or(Value::Null)))
        .collect();
    let mut out = convert::to_script(&app.definition, &shown);
    out.insert("$id".into(), json!(record.id));
    out.insert("$revision".into(), json!(record.revision));
    Value::Object(out)
}
