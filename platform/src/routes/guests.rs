//! Guest users (issue 13, docs/guests.md): kintone's `guests.json` (POST adds, DELETE removes; system
//! administrators only) and `space/guests.json` (PUT, through the guest space's own path; its space
//! administrators only), and Kumiki's `GET /api/guests.json`, the administrators' list. The rules
//! live in `kumiki_engine::guests`; these handlers only translate.

use kumiki_engine::guests::{self, NewGuest};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// A string member of one guest entry (`guests[<i>].<key>`); absent or null is empty.
fn member(entry: &Map<String, Value>, i: usize, key: &str) -> Result<String, ApiError> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::invalid(
            &format!("guests[{i}].{key}"),
            "Enter a string value.",
        )),
    }
}

fn optional(entry: &Map<String, Value>, i: usize, key: &str) -> Result<Option<String>, ApiError> {
    Ok(Some(member(entry, i, key)?).filter(|s| !s.is_empty()))
}

/// `POST guests.json {guests: [{code, password, timezone, locale?, image?, name, surNameReading?,
/// givenNameReading?, surName?, givenName?, company?, division?, phone?, callto?}]}` → `{}`.
pub fn add_guests(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let entries = p
        .opt_array("guests")?
        .ok_or_else(|| ApiError::invalid("guests", "Required field."))?;
    let mut guests = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let Value::Object(entry) = entry else {
            return Err(ApiError::invalid(
                &format!("guests[{i}]"),
                "Enter an object.",
            ));
        };
        // kintone documents `callto`; accept the client's camel case too.
        let call_to = match optional(entry, i, "callto")? {
            Some(c) => c,
            None => member(entry, i, "callTo")?,
        };
        guests.push(NewGuest {
            code: member(entry, i, "code")?,
            password: member(entry, i, "password")?,
            timezone: member(entry, i, "timezone")?,
            locale: optional(entry, i, "locale")?,
            image: optional(entry, i, "image")?,
            name: member(entry, i, "name")?,
            sur_name: member(entry, i, "surName")?,
            given_name: member(entry, i, "givenName")?,
            sur_name_reading: member(entry, i, "surNameReading")?,
            given_name_reading: member(entry, i, "givenNameReading")?,
            company: member(entry, i, "company")?,
            division: member(entry, i, "division")?,
            phone: member(entry, i, "phone")?,
            call_to,
        });
    }
    guests::add_guests(call.acting, call.conn, &guests)?;
    Ok(json!({}))
}

/// `DELETE guests.json {guests: [codes]}` → `{}`.
pub fn delete_guests(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let codes = p
        .opt_str_list("guests")?
        .ok_or_else(|| ApiError::invalid("guests", "Required field."))?;
    guests::delete_guests(call.acting, call.conn, &codes)?;
    Ok(json!({}))
}

/// `PUT /k/guest/<id>/v1/space/guests.json {id, guests: [codes]}` → `{}`.
pub fn update_space_guests(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let codes = p
        .opt_str_list("guests")?
        .ok_or_else(|| ApiError::invalid("guests", "Required field."))?;
    guests::set_space_guests(call.acting, call.conn, id, &codes)?;
    Ok(json!({}))
}

/// `GET /api/guests.json` → `{guests: [{code, name, company, division, isActive, spaces: [{id,
/// name}]}]}` by code (system administrators only).
pub fn list_guests(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let list = guests::list_guests(call.acting, call.conn)?;
    let out: Vec<Value> = list
        .into_iter()
        .map(|g| {
            json!({
                "code": g.code,
                "name": g.name,
                "company": g.company,
                "division": g.division,
                "isActive": g.active,
                "spaces": g.spaces.into_iter()
                    .map(|(id, name)| json!({"id": id.to_string(), "name": name}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({ "guests": out }))
}

/// `POST /api/guests.json {code, name, password, timezone?, locale?, company?, division?, phone?}` →
/// `{}`: one guest, flat, for the administrators' page (its forms send flat objects). The same
/// rules as kintone's `guests.json` (errors keyed `guests[0].<member>`).
pub fn add_one_guest(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let text = |k: &str| -> Result<String, ApiError> { Ok(p.opt_str(k)?.unwrap_or_default()) };
    let guest = NewGuest {
        code: text("code")?.trim().to_owned(),
        password: text("password")?,
        timezone: p
            .opt_str("timezone")?
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Asia/Tokyo".into()),
        locale: p.opt_str("locale")?.filter(|l| !l.is_empty()),
        name: text("name")?,
        company: text("company")?,
        division: text("division")?,
        phone: text("phone")?,
        ..NewGuest::default()
    };
    guests::add_guests(call.acting, call.conn, &[guest])?;
    Ok(json!({}))
}

/// `DELETE /api/guests.json {code}` → `{}`: one guest, for the administrators' page.
pub fn delete_one_guest(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let code = p
        .opt_str("code")?
        .ok_or_else(|| ApiError::invalid("code", "Required field."))?;
    guests::delete_guests(call.acting, call.conn, &[code])?;
    Ok(json!({}))
}
