//! Process management (kintone spec §5): states with assignees, actions between them, and running
//! actions on records.
//!
//! Guarantees:
//! - settings are checked before they are stored (`settings::check`) and again at deploy, where
//!   stored records are brought in line (`sync_on_deploy`);
//! - a new record starts in the lowest-index state with that state's assignees;
//! - an action runs only from its `from` state, for an assignee (anyone when the record has none)
//!   who is among its executable users, on a record that meets its `filterCond` (the condition is
//!   compiled to SQL and run against that one record); otherwise `GAIA_IL03`;
//! - an action grows the revision by 2 (as kintone), honours the optimistic revision check, updates
//!   STATUS/STATUS_ASSIGNEE and their index rows, and leaves a `STATUS` history entry with the
//!   action's name — all inside the caller's transaction, so a multi-record call is all or nothing;
//! - under an ALL state every assignee must run the same action before the status moves.

mod assignees;
mod execute;
pub mod settings;

pub use assignees::{assignee_value, expand, DbExpander, EntityExpander, RecordFacts};
pub use execute::{
    available_actions, replay_actions, run_actions, set_assignees, start_records, sync_on_deploy,
    AvailableAction, RecordProcess, StatusChange,
};
pub use settings::{
    Action, ActionType, Assignee, AssigneeType, EntityEntry, EntityType, ProcessSettings, State,
};
