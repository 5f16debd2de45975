// Field labels as the pages show them. The system fields (レコード番号, 作成者, 作成日時, 更新者, 更新日時,
// ステータス, 作業者, カテゴリー) are stored in an app's definition with Japanese labels (the engine's
// defaults, engine/src/apps/definition.rs SYSTEM_FIELDS). While a label is still that default, it is shown
// in the page's language from the catalog (`field.system.<TYPE>`); a label the app's builder typed is the
// builder's text and is shown as it is.
//
// Load before the page scripts that show field labels; call `KUMIKI_LABELS.label(prop)` wherever a
// label is shown (list headers, the record page, the form, the condition builder), or
// `KUMIKI_LABELS.localize(properties)` once on properties that are only read.
"use strict";
(function () {
  var K = window.KUMIKI;
  var DEFAULTS = {
    RECORD_NUMBER: "レコード番号", CREATOR: "作成者", CREATED_TIME: "作成日時", MODIFIER: "更新者",
    UPDATED_TIME: "更新日時", STATUS: "ステータス", STATUS_ASSIGNEE: "作業者", CATEGORY: "カテゴリー"
  };

  /** Whether `prop` is a system field whose label is still the default one. */
  function isDefault(prop) {
    return !!(prop && DEFAULTS[prop.type] && (prop.label === DEFAULTS[prop.type] || !prop.label));
  }

  /** The label to show for a field property ({type, code, label}): the catalog's name of a system
   *  field with its default label, else the label, else the code. */
  function label(prop) {
    if (!prop) return "";
    if (isDefault(prop)) return K.t("field.system." + prop.type);
    return prop.label || prop.code || "";
  }

  /** The label of field `code` in `props` (an app's `properties`), or the code itself. */
  function labelOf(props, code) {
    var p = props && props[code];
    return p ? label(p) : code;
  }

  /** `props` (an app's `properties`) with every default system label replaced by its name in the
   *  page's language, in place; returns `props`. For pages that only read labels (never save them). */
  function localize(props) {
    Object.keys(props || {}).forEach(function (code) {
      var p = props[code];
      if (isDefault(p)) p.label = label(p);
    });
    return props;
  }

  window.KUMIKI_LABELS = { label: label, labelOf: labelOf, isDefault: isDefault, localize: localize, DEFAULTS: DEFAULTS };
})();
