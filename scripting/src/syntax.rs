//! Syntax errors as catalog messages. rhai describes a parse error in English (`Unexpected ';'`);
//! the people who write app scripts read Japanese first. Each kind of rhai parse error maps to a key
//! of the `scripts.syntax.*` catalog (platform/i18n/scripts.{ja,en}.json) with its arguments, which
//! the pages render in the user's language beside the line and column. The API keeps its error code
//! (`GAIA_SC01`) and rhai's English text as the message; the key and arguments travel with it.

use std::collections::BTreeMap;

use rhai::{LexError, ParseErrorType};

/// A message of the `scripts.syntax.*` catalog: its key and the `{name}` arguments it takes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyntaxMessage {
    pub key: String,
    pub args: BTreeMap<String, String>,
}

fn msg(key: &str, args: &[(&str, &str)]) -> SyntaxMessage {
    SyntaxMessage {
        key: format!("scripts.syntax.{key}"),
        args: args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The catalog message for a rhai parse error. Kinds without a message of their own (rare, or
/// deprecated in rhai) give `scripts.syntax.other` with rhai's English text as `detail`.
pub fn describe(kind: &ParseErrorType) -> SyntaxMessage {
    match kind {
        ParseErrorType::UnexpectedEOF => msg("incomplete", &[]),
        ParseErrorType::BadInput(lex) => describe_lex(lex),
        ParseErrorType::UnknownOperator(op) => msg("unknown_operator", &[("token", op)]),
        ParseErrorType::MissingToken(token, _) => match token.as_str() {
            ";" => msg("missing_semicolon", &[]),
            ")" | "}" | "]" => msg("missing_close", &[("token", token)]),
            _ => msg("missing_token", &[("token", token)]),
        },
        ParseErrorType::MalformedIndexExpr(_) => msg("bad_index", &[]),
        ParseErrorType::DuplicatedProperty(name) => msg("duplicate_property", &[("name", name)]),
        ParseErrorType::DuplicatedVariable(name) | ParseErrorType::VariableExists(name) => {
            msg("duplicate_variable", &[("name", name)])
        }
        ParseErrorType::WrongSwitchIntegerCase
        | ParseErrorType::WrongSwitchDefaultCase
        | ParseErrorType::WrongSwitchCaseCondition => msg("switch", &[]),
        ParseErrorType::PropertyExpected => msg("property_expected", &[]),
        ParseErrorType::VariableExpected => msg("variable_expected", &[]),
        ParseErrorType::ForbiddenVariable(name) => msg("forbidden_variable", &[("name", name)]),
        ParseErrorType::Reserved(word) => msg("reserved", &[("token", word)]),
        ParseErrorType::MismatchedType(..) | ParseErrorType::ExprExpected(_) => {
            msg("expression_expected", &[])
        }
        ParseErrorType::WrongFnDefinition => msg("fn_place", &[]),
        ParseErrorType::FnMissingName => msg("fn_name", &[]),
        ParseErrorType::FnMissingParams(name) => msg("fn_params", &[("name", name)]),
        ParseErrorType::FnDuplicatedParam(name, param) => {
            msg("fn_duplicate_param", &[("name", name), ("param", param)])
        }
        ParseErrorType::FnMissingBody(name) => msg("fn_body", &[("name", name)]),
        ParseErrorType::FnDuplicatedDefinition(name, _) => msg("fn_duplicate", &[("name", name)]),
        ParseErrorType::AssignmentToConstant(name) if !name.is_empty() => {
            msg("assign_constant", &[("name", name)])
        }
        ParseErrorType::AssignmentToConstant(_) | ParseErrorType::AssignmentToInvalidLHS(_) => {
            msg("assign_invalid", &[])
        }
        ParseErrorType::VariableUndefined(name) => msg("variable_undefined", &[("name", name)]),
        ParseErrorType::ExprTooDeep => msg("too_deep", &[]),
        ParseErrorType::TooManyFunctions => msg("too_many_functions", &[]),
        ParseErrorType::LiteralTooLarge(_, max) => msg("too_large", &[("max", &max.to_string())]),
        ParseErrorType::LoopBreak => msg("break_outside_loop", &[]),
        other => msg("other", &[("detail", &other.to_string())]),
    }
}

fn describe_lex(lex: &LexError) -> SyntaxMessage {
    match lex {
        LexError::UnexpectedInput(token) => msg("unexpected", &[("token", token)]),
        LexError::UnterminatedString => msg("unterminated_string", &[]),
        LexError::StringTooLong(max) => msg("too_large", &[("max", &max.to_string())]),
        LexError::MalformedEscapeSequence(text) => msg("bad_escape", &[("token", text)]),
        LexError::MalformedNumber(text) => msg("bad_number", &[("token", text)]),
        LexError::MalformedChar(text) => msg("bad_char", &[("token", text)]),
        LexError::MalformedIdentifier(text) => msg("bad_name", &[("token", text)]),
        LexError::ImproperSymbol(symbol, _) => msg("bad_symbol", &[("token", symbol)]),
        other => msg("other", &[("detail", &other.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(source: &str) -> Result<(ParseErrorType, rhai::Position), String> {
        match rhai::Engine::new().compile(source) {
            Ok(_) => Err(format!("{source:?} compiled")),
            Err(e) => Ok((*e.0, e.1)),
        }
    }

    #[test]
    fn common_mistakes_have_their_own_message() -> Result<(), String> {
        let cases = [
            ("let b = ;", "scripts.syntax.unexpected"),
            ("let a = 1\nlet b = 2;", "scripts.syntax.missing_semicolon"),
            ("if true { let a = 1;", "scripts.syntax.missing_close"),
            ("let s = \"open;", "scripts.syntax.unterminated_string"),
            ("let x = (1 + 2;", "scripts.syntax.missing_close"),
            ("break;", "scripts.syntax.break_outside_loop"),
        ];
        for (source, key) in cases {
            let (kind, pos) = parse_error(source)?;
            let m = describe(&kind);
            assert_eq!(m.key, key, "{source:?}: {kind:?}");
            assert!(pos.line().is_some(), "{source:?} has a position");
        }
        let (kind, _) = parse_error("let b = ;")?;
        assert_eq!(
            describe(&kind).args.get("token").map(String::as_str),
            Some(";")
        );
        Ok(())
    }
}
