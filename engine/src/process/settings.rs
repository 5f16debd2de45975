//! Process-management settings (`app/status.json`, spec §5.1): typed, read leniently from kintone's
//! JSON (indexes as strings or numbers, omitted members defaulted), checked against the app, and
//! written back in kintone's response shape.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::apps::AppDefinition;
use crate::error::{FieldErrors, Message};
use crate::fields::FieldType;
use crate::query;

/// How a state's assignees are chosen and how many of them must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeType {
    /// One user, chosen by whoever runs the action that enters the state.
    One,
    /// Every expanded user; all of them must run the action before the status moves.
    All,
    /// Every expanded user; any one of them moves the status.
    Any,
}

impl AssigneeType {
    pub fn name(self) -> &'static str {
        match self {
            AssigneeType::One => "ONE",
            AssigneeType::All => "ALL",
            AssigneeType::Any => "ANY",
        }
    }

    fn from_name(s: &str) -> Option<AssigneeType> {
        Some(match s {
            "ONE" => AssigneeType::One,
            "ALL" => AssigneeType::All,
            "ANY" => AssigneeType::Any,
            _ => return None,
        })
    }
}

/// What an entity names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    User,
    Group,
    Organization,
    /// The users (or departments/groups) in a field of the record.
    FieldEntity,
    /// The record's creator.
    Creator,
    /// A user-profile item (kintone's "custom field"); Kumiki has none, so it names nobody.
    CustomField,
}

impl EntityType {
    pub fn name(self) -> &'static str {
        match self {
            EntityType::User => "USER",
            EntityType::Group => "GROUP",
            EntityType::Organization => "ORGANIZATION",
            EntityType::FieldEntity => "FIELD_ENTITY",
            EntityType::Creator => "CREATOR",
            EntityType::CustomField => "CUSTOM_FIELD",
        }
    }

    fn from_name(s: &str) -> Option<EntityType> {
        Some(match s {
            "USER" => EntityType::User,
            "GROUP" => EntityType::Group,
            "ORGANIZATION" => EntityType::Organization,
            "FIELD_ENTITY" => EntityType::FieldEntity,
            "CREATOR" => EntityType::Creator,
            "CUSTOM_FIELD" => EntityType::CustomField,
            _ => return None,
        })
    }
}

/// `{entity: {type, code}, includeSubs}`. `code` is `None` for CREATOR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityEntry {
    pub kind: EntityType,
    pub code: Option<String>,
    pub include_subs: bool,
}

impl EntityEntry {
    pub fn user(code: &str) -> EntityEntry {
        EntityEntry {
            kind: EntityType::User,
            code: Some(code.to_owned()),
            include_subs: false,
        }
    }

    pub fn field(code: &str) -> EntityEntry {
        EntityEntry {
            kind: EntityType::FieldEntity,
            code: Some(code.to_owned()),
            include_subs: false,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "entity": {"type": self.kind.name(), "code": self.code},
            "includeSubs": self.include_subs,
        })
    }
}

/// A state's assignee rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignee {
    pub kind: AssigneeType,
    pub entities: Vec<EntityEntry>,
}

/// One state (kintone "status").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub name: String,
    pub index: i64,
    pub assignee: Assignee,
}

/// PRIMARY or SECONDARY (only how the button is drawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    Primary,
    Secondary,
}

impl ActionType {
    pub fn name(self) -> &'static str {
        match self {
            ActionType::Primary => "PRIMARY",
            ActionType::Secondary => "SECONDARY",
        }
    }
}

/// One action: a named move from one state to another, under a condition, for some users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub name: String,
    pub from: String,
    pub to: String,
    /// A query condition on the record (empty: always).
    pub filter_cond: String,
    pub kind: ActionType,
    /// Who may run it (empty: whoever may act in the `from` state).
    pub executable_user: Vec<EntityEntry>,
}

/// A whole `app/status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessSettings {
    pub enable: bool,
    /// In index order; `None` when never configured.
    pub states: Option<Vec<State>>,
    /// In settings order; `None` when never configured.
    pub actions: Option<Vec<Action>>,
}

impl ProcessSettings {
    /// The settings stored in a definition (`AppDefinition::process`). Stored settings were checked
    /// when saved; anything unreadable counts as "not configured".
    pub fn from_definition(def: &AppDefinition) -> ProcessSettings {
        parse(&def.process, def).unwrap_or_default()
    }

    /// The state a new record starts in: the one with the lowest index.
    pub fn first_state(&self) -> Option<&State> {
        self.states.as_ref().and_then(|s| s.first())
    }

    pub fn state(&self, name: &str) -> Option<&State> {
        self.states
            .as_ref()
            .and_then(|s| s.iter().find(|st| st.name == name))
    }

    pub fn actions(&self) -> &[Action] {
        self.actions.as_deref().unwrap_or(&[])
    }

    /// kintone's JSON (without `revision`): states keyed by name with string indexes, CREATOR codes
    /// `null`, action types filled in.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("enable".into(), Value::Bool(self.enable));
        let states = self.states.as_ref().map(|states| {
            let map: Map<String, Value> = states
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        json!({
                            "name": s.name,
                            "index": s.index.to_string(),
                            "assignee": {
                                "type": s.assignee.kind.name(),
                                "entities": s.assignee.entities.iter().map(EntityEntry::to_json).collect::<Vec<_>>(),
                            },
                        }),
                    )
                })
                .collect();
            Value::Object(map)
        });
        out.insert("states".into(), states.unwrap_or(Value::Null));
        let actions = self.actions.as_ref().map(|actions| {
            Value::Array(
                actions
                    .iter()
                    .map(|a| {
                        json!({
                            "name": a.name,
                            "from": a.from,
                            "to": a.to,
                            "filterCond": a.filter_cond,
                            "type": a.kind.name(),
                            "executableUser": {
                                "entities": a.executable_user.iter().map(EntityEntry::to_json).collect::<Vec<_>>(),
                            },
                        })
                    })
                    .collect(),
            )
        });
        out.insert("actions".into(), actions.unwrap_or(Value::Null));
        out
    }
}

/// The code of the app's CREATOR field (`Created_by` in new apps).
pub fn creator_field(def: &AppDefinition) -> Option<String> {
    def.field_of_type(FieldType::Creator)
        .map(|f| f.property.code.clone())
}

fn add(errors: &mut FieldErrors, key: String, message: impl Into<Message>) {
    errors.entry(key).or_default().push(message.into());
}

fn as_index(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_entities(v: Option<&Value>, key: &str, errors: &mut FieldErrors) -> Vec<EntityEntry> {
    let list = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            add(errors, key.to_owned(), "Enter an array.");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let k = format!("{key}[{i}]");
        let entity = item.get("entity");
        let kind = entity
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .and_then(EntityType::from_name);
        let Some(kind) = kind else {
            add(
                errors,
                format!("{k}.entity.type"),
                "Enter USER, GROUP, ORGANIZATION, FIELD_ENTITY, CREATOR or CUSTOM_FIELD.",
            );
            continue;
        };
        let code = entity
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|c| !c.is_empty());
        let code = if kind == EntityType::Creator {
            None
        } else if code.is_none() {
            add(
                errors,
                format!("{k}.entity.code"),
                Message::keyed("procset.err.required", "Required field."),
            );
            continue;
        } else {
            code
        };
        let include_subs = match item.get("includeSubs") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        out.push(EntityEntry {
            kind,
            code,
            include_subs,
        });
    }
    out
}

/// Reads settings from kintone's JSON (`enable`, `states`, `actions`), filling kintone's defaults:
/// an omitted `assignee` is `ONE` with the creator field, an omitted action `type` is `PRIMARY`, an
/// omitted state `name` is its key. Only the shape is checked here; see [`check`].
///
/// Errors: `CB_VA01`-style messages keyed `enable`, `states.<name>.<member>`, `actions[<i>].<member>`.
pub fn parse(
    input: &Map<String, Value>,
    def: &AppDefinition,
) -> Result<ProcessSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let enable = match input.get("enable") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            add(&mut errors, "enable".into(), "Enter true or false.");
            false
        }
    };
    let states = match input.get("states") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let mut states = Vec::new();
            for (key, v) in map {
                let k = format!("states.{key}");
                let Some(obj) = v.as_object() else {
                    add(&mut errors, k, "Enter an object.");
                    continue;
                };
                let name = obj
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_owned();
                let Some(index) = obj.get("index").and_then(as_index) else {
                    add(
                        &mut errors,
                        format!("{k}.index"),
                        "Enter an integer of 0 or more.",
                    );
                    continue;
                };
                let assignee = match obj.get("assignee") {
                    None | Some(Value::Null) => Assignee {
                        kind: AssigneeType::One,
                        entities: creator_field(def)
                            .map(|c| vec![EntityEntry::field(&c)])
                            .unwrap_or_default(),
                    },
                    Some(a) => {
                        let kind = a
                            .get("type")
                            .and_then(Value::as_str)
                            .map_or(Some(AssigneeType::One), AssigneeType::from_name);
                        let Some(kind) = kind else {
                            add(
                                &mut errors,
                                format!("{k}.assignee.type"),
                                "Enter ONE, ALL or ANY.",
                            );
                            continue;
                        };
                        let entities = parse_entities(
                            a.get("entities"),
                            &format!("{k}.assignee.entities"),
                            &mut errors,
                        );
                        Assignee { kind, entities }
                    }
                };
                states.push(State {
                    name,
                    index,
                    assignee,
                });
            }
            states.sort_by_key(|s| s.index);
            Some(states)
        }
        Some(_) => {
            add(&mut errors, "states".into(), "Enter an object.");
            None
        }
    };
    let actions = match input.get("actions") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => {
            let mut actions = Vec::new();
            for (i, v) in list.iter().enumerate() {
                let k = format!("actions[{i}]");
                let text = |member: &str| {
                    v.get(member)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let kind = match v.get("type").and_then(Value::as_str) {
                    None | Some("PRIMARY") => ActionType::Primary,
                    Some("SECONDARY") => ActionType::Secondary,
                    Some(_) => {
                        add(
                            &mut errors,
                            format!("{k}.type"),
                            "Enter PRIMARY or SECONDARY.",
                        );
                        ActionType::Primary
                    }
                };
                let executable_user = parse_entities(
                    v.get("executableUser").and_then(|e| e.get("entities")),
                    &format!("{k}.executableUser.entities"),
                    &mut errors,
                );
                actions.push(Action {
                    name: text("name"),
                    from: text("from"),
                    to: text("to"),
                    filter_cond: text("filterCond"),
                    kind,
                    executable_user,
                });
            }
            Some(actions)
        }
        Some(_) => {
            add(&mut errors, "actions".into(), "Enter an array.");
            None
        }
    };
    if errors.is_empty() {
        Ok(ProcessSettings {
            enable,
            states,
            actions,
        })
    } else {
        Err(errors)
    }
}

/// Field types a FIELD_ENTITY may name.
fn entity_field_type(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::UserSelect
            | FieldType::OrganizationSelect
            | FieldType::GroupSelect
            | FieldType::Creator
            | FieldType::Modifier
    )
}

fn check_entities(
    entities: &[EntityEntry],
    key: &str,
    def: &AppDefinition,
    known_user: &dyn Fn(&str) -> bool,
    errors: &mut FieldErrors,
) {
    for (i, e) in entities.iter().enumerate() {
        let k = format!("{key}[{i}].entity.code");
        let code = e.code.as_deref().unwrap_or_default();
        match e.kind {
            EntityType::User if !known_user(code) => {
                add(
                    errors,
                    k,
                    Message::keyed(
                        "procset.err.user",
                        format!("The user ({code}) does not exist."),
                    )
                    .arg("v", code),
                );
            }
            EntityType::FieldEntity => {
                let ok = def.field(code).is_some_and(|f| {
                    f.subtable.is_none() && entity_field_type(f.property.field_type)
                });
                if !ok {
                    add(
                        errors,
                        k,
                        Message::keyed(
                            "procset.err.field",
                            format!("The field ({code}) is not a user, department, group, creator or updater field of the app."),
                        )
                        .arg("v", code),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Checks settings against the app (spec §5.1): state names and indexes unique, the first state's
/// assignee `ONE` with no entities or only the creator, entities that exist, actions between existing
/// states with a valid `filterCond`. `known_user` says whether a user code exists.
///
/// Errors: messages keyed as [`parse`] keys them.
pub fn check(
    settings: &ProcessSettings,
    def: &AppDefinition,
    known_user: &dyn Fn(&str) -> bool,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let states = settings.states.as_deref().unwrap_or(&[]);
    if settings.enable && states.is_empty() {
        add(
            &mut errors,
            "states".into(),
            Message::keyed(
                "procset.err.need_state",
                "Set at least one status to enable process management.",
            ),
        );
    }
    let mut names = HashSet::new();
    let mut indexes = HashSet::new();
    for s in states {
        let k = format!("states.{}", s.name);
        if s.name.trim().is_empty() || s.name.chars().count() > 64 {
            add(
                &mut errors,
                format!("{k}.name"),
                Message::keyed(
                    "procset.err.state_name",
                    "Enter a status name of 1 to 64 characters.",
                ),
            );
        }
        if !names.insert(s.name.as_str()) {
            add(
                &mut errors,
                format!("{k}.name"),
                Message::keyed(
                    "procset.err.state_duplicate",
                    "The status name is used more than once.",
                ),
            );
        }
        if s.index < 0 {
            add(
                &mut errors,
                format!("{k}.index"),
                "Enter an integer of 0 or more.",
            );
        }
        if !indexes.insert(s.index) {
            add(
                &mut errors,
                format!("{k}.index"),
                "The index is used more than once.",
            );
        }
        check_entities(
            &s.assignee.entities,
            &format!("{k}.assignee.entities"),
            def,
            known_user,
            &mut errors,
        );
    }
    if let Some(first) = states.first() {
        let creator = creator_field(def);
        let only_creator = first.assignee.entities.iter().all(|e| {
            e.kind == EntityType::Creator
                || (e.kind == EntityType::FieldEntity && e.code.is_some() && e.code == creator)
        }) && first.assignee.entities.len() <= 1;
        if first.assignee.kind != AssigneeType::One || !only_creator {
            add(
                &mut errors,
                format!("states.{}.assignee", first.name),
                Message::keyed(
                    "procset.err.first_assignee",
                    "The first status takes no assignee or only the record's creator (type ONE).",
                ),
            );
        }
    }
    let ctx = crate::acting::check_query_context(def, chrono_tz::UTC);
    for (i, a) in settings.actions().iter().enumerate() {
        let k = format!("actions[{i}]");
        if a.name.trim().is_empty() || a.name.chars().count() > 64 {
            add(
                &mut errors,
                format!("{k}.name"),
                Message::keyed(
                    "procset.err.action_name",
                    "Enter an action name of 1 to 64 characters.",
                ),
            );
        }
        for (member, state) in [("from", &a.from), ("to", &a.to)] {
            if !names.contains(state.as_str()) {
                add(
                    &mut errors,
                    format!("{k}.{member}"),
                    // An action whose status was never chosen (or was deleted) names none.
                    if state.is_empty() {
                        Message::keyed("procset.err.choose_state", "The status () does not exist.")
                    } else {
                        Message::keyed(
                            "procset.err.no_state",
                            format!("The status ({state}) does not exist."),
                        )
                        .arg("v", state.as_str())
                    },
                );
            }
        }
        match query::prepare(&a.filter_cond, &ctx) {
            Ok(q) if !q.order_by.is_empty() || q.limit.is_some() || q.offset.is_some() => add(
                &mut errors,
                format!("{k}.filterCond"),
                Message::keyed(
                    "procset.err.cond_order",
                    "A condition takes no order by, limit or offset.",
                ),
            ),
            Ok(_) => {}
            Err(e) => add(
                &mut errors,
                format!("{k}.filterCond"),
                Message::keyed("procset.err.cond", e.to_string()).arg("v", e.to_string()),
            ),
        }
        check_entities(
            &a.executable_user,
            &format!("{k}.executableUser.entities"),
            def,
            known_user,
            &mut errors,
        );
    }
    errors
}

/// USER codes named anywhere in raw settings JSON, so a caller can look them up before [`check`].
pub fn user_codes(settings: &ProcessSettings) -> Vec<String> {
    let states = settings
        .states
        .iter()
        .flatten()
        .flat_map(|s| &s.assignee.entities);
    let actions = settings.actions().iter().flat_map(|a| &a.executable_user);
    states
        .chain(actions)
        .filter(|e| e.kind == EntityType::User)
        .filter_map(|e| e.code.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn app() -> Result<AppDefinition, serde_json::Error> {
        let mut def = AppDefinition::new("案件");
        let extra: Map<String, Value> = serde_json::from_value(json!({
            "優先度": {"type": "DROP_DOWN", "code": "優先度", "label": "優先度", "options": {
                "高": {"label": "高", "index": "0"}, "低": {"label": "低", "index": "1"}}},
            "担当": {"type": "USER_SELECT", "code": "担当", "label": "担当"},
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}
        }))?;
        for (code, p) in extra {
            def.properties.insert(code, serde_json::from_value(p)?);
        }
        def.assign_field_ids();
        Ok(def)
    }

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn users(code: &str) -> bool {
        matches!(code, "sato" | "suzuki")
    }

    fn case_flow() -> Map<String, Value> {
        object(json!({
            "enable": true,
            "states": {
                "受付": {"name": "受付", "index": "0"},
                "対応中": {"name": "対応中", "index": 1, "assignee": {"type": "ONE", "entities": [
                    {"entity": {"type": "USER", "code": "sato"}},
                    {"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}},
                "至急対応": {"name": "至急対応", "index": "2", "assignee": {"type": "ALL", "entities": [
                    {"entity": {"type": "USER", "code": "sato"}}, {"entity": {"type": "USER", "code": "suzuki"}}]}},
                "完了": {"name": "完了", "index": "3", "assignee": {"type": "ONE", "entities": []}}
            },
            "actions": [
                {"name": "対応開始", "from": "受付", "to": "至急対応", "filterCond": "優先度 in (\"高\")"},
                {"name": "対応開始", "from": "受付", "to": "対応中", "filterCond": ""},
                {"name": "完了する", "from": "対応中", "to": "完了", "type": "SECONDARY",
                 "executableUser": {"entities": [{"entity": {"type": "CREATOR", "code": "x"}}]}}
            ]
        }))
    }

    #[test]
    fn defaults_are_filled_and_written_back_as_kintone_does() -> TestResult {
        let def = app()?;
        let s = parse(&case_flow(), &def).map_err(|e| format!("{e:?}"))?;
        assert!(check(&s, &def, &users).is_empty());
        let first = s.first_state().ok_or("no first state")?;
        assert_eq!(first.name, "受付");
        assert_eq!(first.assignee.kind, AssigneeType::One);
        assert_eq!(
            first.assignee.entities,
            vec![EntityEntry::field("Created_by")]
        );
        assert_eq!(s.actions()[0].kind, ActionType::Primary);
        let out = s.to_json();
        assert_eq!(out["states"]["対応中"]["index"], "1");
        assert_eq!(out["actions"][0]["type"], "PRIMARY");
        assert_eq!(out["actions"][2]["type"], "SECONDARY");
        assert_eq!(
            out["actions"][2]["executableUser"]["entities"][0]["entity"],
            json!({"type": "CREATOR", "code": null})
        );
        // What is written back reads back the same.
        assert_eq!(parse(&out, &def).map_err(|e| format!("{e:?}"))?, s);
        Ok(())
    }

    #[test]
    fn bad_shapes_are_reported_by_key() -> TestResult {
        let def = app()?;
        let input = object(json!({
            "enable": "yes",
            "states": {"a": {"index": "x"}, "b": {"index": 1, "assignee": {"type": "SOME"}},
                       "c": {"index": 2, "assignee": {"type": "ALL", "entities": [{"entity": {"type": "ROBOT", "code": "r"}}, {"entity": {"type": "USER"}}]}}},
            "actions": [{"name": "go", "from": "a", "to": "b", "type": "TERTIARY"}]
        }));
        let Err(errors) = parse(&input, &def) else {
            return Err("accepted".into());
        };
        for key in [
            "enable",
            "states.a.index",
            "states.b.assignee.type",
            "states.c.assignee.entities[0].entity.type",
            "states.c.assignee.entities[1].entity.code",
            "actions[0].type",
        ] {
            assert!(errors.contains_key(key), "{key} missing in {errors:?}");
        }
        Ok(())
    }

    #[test]
    fn checks_follow_the_spec() -> TestResult {
        let def = app()?;
        let input = object(json!({
            "enable": true,
            "states": {
                "受付": {"index": "0", "assignee": {"type": "ANY", "entities": [{"entity": {"type": "USER", "code": "sato"}}]}},
                "受付2": {"name": "受付", "index": "0"},
                "対応中": {"index": "1", "assignee": {"type": "ONE", "entities": [
                    {"entity": {"type": "USER", "code": "nobody"}},
                    {"entity": {"type": "FIELD_ENTITY", "code": "件名"}}]}}
            },
            "actions": [
                {"name": "", "from": "受付", "to": "どこか"},
                {"name": "開始", "from": "受付", "to": "対応中", "filterCond": "件名 in (\"x\""},
                {"name": "開始2", "from": "受付", "to": "対応中", "filterCond": "件名 = \"x\" order by 件名 asc"},
                {"name": "開始3", "from": "受付", "to": "対応中", "filterCond": "無い = 1"}
            ]
        }));
        let s = parse(&input, &def).map_err(|e| format!("{e:?}"))?;
        let errors = check(&s, &def, &users);
        for key in [
            "states.受付.name",
            "states.受付.index",
            "states.受付.assignee",
            "states.対応中.assignee.entities[0].entity.code",
            "states.対応中.assignee.entities[1].entity.code",
            "actions[0].name",
            "actions[0].to",
            "actions[1].filterCond",
            "actions[2].filterCond",
            "actions[3].filterCond",
        ] {
            assert!(errors.contains_key(key), "{key} missing in {errors:?}");
        }
        assert!(!errors.contains_key("actions[0].from"));
        Ok(())
    }

    #[test]
    fn enabling_needs_a_state_and_the_first_state_may_name_the_creator() -> TestResult {
        let def = app()?;
        let none = parse(&object(json!({"enable": true})), &def).map_err(|e| format!("{e:?}"))?;
        assert!(check(&none, &def, &users).contains_key("states"));
        let creator = parse(
            &object(json!({"enable": true, "states": {
                "下書き": {"index": 5, "assignee": {"type": "ONE", "entities": [{"entity": {"type": "CREATOR"}}]}},
                "公開": {"index": 9, "assignee": {"type": "ONE", "entities": []}}}})),
            &def,
        )
        .map_err(|e| format!("{e:?}"))?;
        assert!(check(&creator, &def, &users).is_empty());
        assert_eq!(
            creator.first_state().map(|s| s.name.as_str()),
            Some("下書き")
        );
        let off = parse(&object(json!({"enable": false})), &def).map_err(|e| format!("{e:?}"))?;
        assert!(check(&off, &def, &users).is_empty());
        assert_eq!(
            user_codes(&parse(&case_flow(), &def).map_err(|e| format!("{e:?}"))?),
            ["sato", "sato", "suzuki"]
        );
        Ok(())
    }
}
