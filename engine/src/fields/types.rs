//! Field types as kintone names them, and what each type allows.

use serde::{Deserialize, Serialize};

/// Every kintone field type, including system and layout-only ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldType {
    SingleLineText,
    MultiLineText,
    RichText,
    Number,
    Calc,
    RadioButton,
    CheckBox,
    MultiSelect,
    DropDown,
    Date,
    Time,
    Datetime,
    Link,
    File,
    UserSelect,
    OrganizationSelect,
    GroupSelect,
    Subtable,
    ReferenceTable,
    RecordNumber,
    Creator,
    Modifier,
    CreatedTime,
    UpdatedTime,
    Status,
    StatusAssignee,
    Category,
    Label,
    Spacer,
    Hr,
    Group,
}

/// How a field's values are copied into the typed pivot index tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// `record_values_num`: numbers, one value per record (or subtable row).
    Number,
    /// `record_values_text`: short text, choices, dates as ISO text (which sorts correctly), user codes.
    Text,
    /// `record_values_long`: long text probed by `like` only.
    Long,
    /// Not indexed (layout, or values kept in columns of `records`).
    None,
}

impl FieldType {
    /// Parses the kintone type name (`"SINGLE_LINE_TEXT"`).
    pub fn from_name(name: &str) -> Option<FieldType> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    /// The kintone type name.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::SingleLineText => "SINGLE_LINE_TEXT",
            FieldType::MultiLineText => "MULTI_LINE_TEXT",
            FieldType::RichText => "RICH_TEXT",
            FieldType::Number => "NUMBER",
            FieldType::Calc => "CALC",
            FieldType::RadioButton => "RADIO_BUTTON",
            FieldType::CheckBox => "CHECK_BOX",
            FieldType::MultiSelect => "MULTI_SELECT",
            FieldType::DropDown => "DROP_DOWN",
            FieldType::Date => "DATE",
            FieldType::Time => "TIME",
            FieldType::Datetime => "DATETIME",
            FieldType::Link => "LINK",
            FieldType::File => "FILE",
            FieldType::UserSelect => "USER_SELECT",
            FieldType::OrganizationSelect => "ORGANIZATION_SELECT",
            FieldType::GroupSelect => "GROUP_SELECT",
            FieldType::Subtable => "SUBTABLE",
            FieldType::ReferenceTable => "REFERENCE_TABLE",
            FieldType::RecordNumber => "RECORD_NUMBER",
            FieldType::Creator => "CREATOR",
            FieldType::Modifier => "MODIFIER",
            FieldType::CreatedTime => "CREATED_TIME",
            FieldType::UpdatedTime => "UPDATED_TIME",
            FieldType::Status => "STATUS",
            FieldType::StatusAssignee => "STATUS_ASSIGNEE",
            FieldType::Category => "CATEGORY",
            FieldType::Label => "LABEL",
            FieldType::Spacer => "SPACER",
            FieldType::Hr => "HR",
            FieldType::Group => "GROUP",
        }
    }

    /// Layout-only types never appear in records.
    pub fn is_layout_only(self) -> bool {
        matches!(
            self,
            FieldType::Label
                | FieldType::Spacer
                | FieldType::Hr
                | FieldType::Group
                | FieldType::ReferenceTable
        )
    }

    /// System fields exist in every app and are maintained by the engine.
    pub fn is_system(self) -> bool {
        matches!(
            self,
            FieldType::RecordNumber
                | FieldType::Creator
                | FieldType::Modifier
                | FieldType::CreatedTime
                | FieldType::UpdatedTime
                | FieldType::Status
                | FieldType::StatusAssignee
                | FieldType::Category
        )
    }

    /// Holds a list of values (`string[]` or `[{code}]`).
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            FieldType::CheckBox
                | FieldType::MultiSelect
                | FieldType::File
                | FieldType::UserSelect
                | FieldType::OrganizationSelect
                | FieldType::GroupSelect
                | FieldType::StatusAssignee
                | FieldType::Category
        )
    }

    /// Whether kintone keeps the `unique` property for this type.
    pub fn supports_unique(self) -> bool {
        matches!(
            self,
            FieldType::SingleLineText
                | FieldType::Number
                | FieldType::Link
                | FieldType::Date
                | FieldType::Datetime
        )
    }

    /// Where the field's values are indexed.
    pub fn index_kind(self) -> IndexKind {
        match self {
            FieldType::Number | FieldType::Calc => IndexKind::Number,
            FieldType::SingleLineText
            | FieldType::Link
            | FieldType::RadioButton
            | FieldType::CheckBox
            | FieldType::MultiSelect
            | FieldType::DropDown
            | FieldType::Date
            | FieldType::Time
            | FieldType::Datetime
            | FieldType::UserSelect
            | FieldType::OrganizationSelect
            | FieldType::GroupSelect
            | FieldType::Creator
            | FieldType::Modifier
            | FieldType::CreatedTime
            | FieldType::UpdatedTime
            | FieldType::Status
            | FieldType::StatusAssignee
            | FieldType::Category => IndexKind::Text,
            FieldType::MultiLineText | FieldType::RichText | FieldType::File => IndexKind::Long,
            FieldType::Subtable
            | FieldType::ReferenceTable
            | FieldType::RecordNumber
            | FieldType::Label
            | FieldType::Spacer
            | FieldType::Hr
            | FieldType::Group => IndexKind::None,
        }
    }

    /// Whether `order by` may use this field.
    pub fn is_sortable(self) -> bool {
        matches!(
            self,
            FieldType::SingleLineText
                | FieldType::Link
                | FieldType::Number
                | FieldType::Calc
                | FieldType::RadioButton
                | FieldType::DropDown
                | FieldType::Date
                | FieldType::Time
                | FieldType::Datetime
                | FieldType::RecordNumber
                | FieldType::Creator
                | FieldType::Modifier
                | FieldType::CreatedTime
                | FieldType::UpdatedTime
                | FieldType::Status
        )
    }

    /// Whether values may be written through the record API.
    pub fn is_writable(self) -> bool {
        !self.is_layout_only()
            && !matches!(
                self,
                FieldType::Calc
                    | FieldType::RecordNumber
                    | FieldType::Status
                    | FieldType::StatusAssignee
                    | FieldType::Category
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in [
            FieldType::SingleLineText,
            FieldType::StatusAssignee,
            FieldType::Hr,
        ] {
            assert_eq!(FieldType::from_name(t.name()), Some(t));
        }
        assert_eq!(FieldType::from_name("NOPE"), None);
    }
}
