//! The functions scripts can call (docs/scripts.md "Script API"). Each is bounded: host calls count
//! against `max_host_calls` and the run's deadline, strings and arrays they return are checked by
//! rhai like any other value. There is no file, network, process or environment access.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map as RhaiMap, FLOAT, INT};

use crate::convert::to_json;
use crate::dates;
use crate::host::HostCall;
use crate::sandbox::RunGuard;
use crate::text;
use crate::worker::RunState;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

fn date(text: &str) -> Fallible<chrono::NaiveDate> {
    dates::parse(text).map_err(Into::into)
}

fn object(map: RhaiMap) -> serde_json::Map<String, serde_json::Value> {
    match to_json(&Dynamic::from_map(map)) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Registers the script API on an engine built by `sandbox::new_engine`.
pub fn register(engine: &mut Engine, state: &Arc<RunState>) {
    register_log(engine, state);
    register_outcome(engine, state);
    register_dates(engine, state);
    register_text(engine);
    register_records(engine, state);
    crate::lookup::register(engine, state);
}

fn register_log(engine: &mut Engine, state: &Arc<RunState>) {
    // `log` replaces the math package's logarithm for one argument: scripts log far more often.
    let s = state.clone();
    engine.register_fn("log", move |v: Dynamic| s.log(&v.to_string()));
    let s = state.clone();
    engine.register_fn("log", move |v: FLOAT| s.log(&v.to_string()));
    let s = state.clone();
    engine.register_fn("log", move |v: INT| s.log(&v.to_string()));
    let s = state.clone();
    engine.register_fn("log", move |a: Dynamic, b: Dynamic| {
        s.log(&format!("{a} {b}"))
    });
    let s = state.clone();
    engine.register_fn("log", move |a: Dynamic, b: Dynamic, c: Dynamic| {
        s.log(&format!("{a} {b} {c}"))
    });
}

fn register_outcome(engine: &mut Engine, state: &Arc<RunState>) {
    let s = state.clone();
    engine.register_fn("error", move |field: &str, message: &str| {
        if let Ok(mut errors) = s.errors.lock() {
            if errors.len() < 100 {
                errors
                    .entry(format!("record.{field}.value"))
                    .or_default()
                    .push(message.to_owned().into());
            }
        }
    });
    let s = state.clone();
    engine.register_fn("reject", move |message: &str| -> Fallible<()> {
        if let Ok(mut r) = s.rejection.lock() {
            *r = Some(message.to_owned());
        }
        Err(format!("rejected: {message}").into())
    });
    let s = state.clone();
    engine.register_fn("set_assignee", move |code: &str| {
        if let Ok(mut a) = s.next_assignee.lock() {
            *a = Some(code.to_owned());
        }
    });
}

fn register_dates(engine: &mut Engine, state: &Arc<RunState>) {
    let today = dates::format(state.today);
    engine.register_fn("today", move || today.clone());
    engine.register_fn("add_days", |d: &str, n: INT| -> Fallible<String> {
        Ok(dates::format(dates::add_days(date(d)?, n)?))
    });
    engine.register_fn("add_business_days", |d: &str, n: INT| -> Fallible<String> {
        Ok(dates::format(dates::add_business_days(date(d)?, n)?))
    });
    engine.register_fn("fiscal_year", |d: &str| -> Fallible<INT> {
        Ok(dates::fiscal_year(date(d)?))
    });
    engine.register_fn("wareki", |d: &str| -> Fallible<String> {
        Ok(dates::wareki(date(d)?)?)
    });
    engine.register_fn("era_year", |d: &str| -> Fallible<String> {
        Ok(dates::era_year(date(d)?)?)
    });
    engine.register_fn("is_date", |d: &str| dates::parse(d).is_ok());
    engine.register_fn("days_between", |a: &str, b: &str| -> Fallible<INT> {
        Ok((date(b)? - date(a)?).num_days())
    });
}

fn register_text(engine: &mut Engine) {
    engine.register_fn("to_halfwidth", |t: &str| text::to_halfwidth(t));
    engine.register_fn("to_fullwidth", |t: &str| text::to_fullwidth(t));
    engine.register_fn("matches_postal_code", |t: &str| text::is_postal_code(t));
    engine.register_fn("matches_phone_number", |t: &str| text::is_phone_number(t));
    engine.register_fn("matches_pattern", |t: &str, p: &str| {
        text::matches_pattern(t, p)
    });
    engine.register_fn("pad_number", |n: INT, width: INT| -> Fallible<String> {
        if !(0..=20).contains(&width) {
            return Err("pad_number: the width must be 0 to 20".into());
        }
        Ok(format!("{n:0w$}", w = width as usize))
    });
}

fn register_records(engine: &mut Engine, state: &Arc<RunState>) {
    let s = state.clone();
    engine.register_fn("records", move |app: INT, query: &str| -> Fallible<Array> {
        let found = s.call(HostCall::Records {
            app,
            query: query.to_owned(),
        })?;
        Ok(found.into_array().unwrap_or_default())
    });
    let s = state.clone();
    engine.register_fn(
        "get_record",
        move |app: INT, id: INT| -> Fallible<Dynamic> { s.call(HostCall::GetRecord { app, id }) },
    );
    let s = state.clone();
    engine.register_fn(
        "add_record",
        move |app: INT, record: RhaiMap| -> Fallible<Dynamic> {
            s.call(HostCall::AddRecord {
                app,
                record: object(record),
            })
        },
    );
    let s = state.clone();
    engine.register_fn(
        "update_record",
        move |app: INT, id: INT, record: RhaiMap| -> Fallible<Dynamic> {
            s.call(HostCall::UpdateRecord {
                app,
                id,
                record: object(record),
            })
        },
    );
    let s = state.clone();
    engine.register_fn(
        "add_comment",
        move |app: INT, id: INT, text: &str| -> Fallible<Dynamic> {
            s.call(HostCall::AddComment {
                app,
                id,
                text: text.to_owned(),
            })
        },
    );
    let s = state.clone();
    engine.register_fn("next_number", move |key: &str| -> Fallible<Dynamic> {
        s.call(HostCall::NextNumber {
            key: key.to_owned(),
        })
    });
}
