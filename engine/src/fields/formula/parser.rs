//! The expression tree and a recursive-descent parser for it.
//!
//! Precedence, loosest first: comparisons, `&`, `+ -`, `* /`, unary `-`, `^`. Each left-associative level
//! is stored as one flat [`Expr::Chain`] and runs of unary signs are folded while parsing, so the only
//! recursion — in the parser and in everything that walks the tree — is through parentheses and function
//! arguments, which [`MAX_DEPTH`] bounds. Function names are resolved and their argument counts checked
//! here, so evaluation never meets an unknown function.

use rust_decimal::Decimal;

use super::lexer::{tokenize, Tok, Token};
use super::{FormulaError, MAX_DEPTH, MAX_EXPRESSION_LEN};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The functions of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Sum,
    If,
    And,
    Or,
    Not,
    Round,
    RoundUp,
    RoundDown,
    DateFormat,
    Yen,
    Contains,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name.to_uppercase().as_str() {
            "SUM" => Func::Sum,
            "IF" => Func::If,
            "AND" => Func::And,
            "OR" => Func::Or,
            "NOT" => Func::Not,
            "ROUND" => Func::Round,
            "ROUNDUP" => Func::RoundUp,
            "ROUNDDOWN" => Func::RoundDown,
            "DATE_FORMAT" => Func::DateFormat,
            "YEN" => Func::Yen,
            "CONTAINS" => Func::Contains,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Func::Sum => "SUM",
            Func::If => "IF",
            Func::And => "AND",
            Func::Or => "OR",
            Func::Not => "NOT",
            Func::Round => "ROUND",
            Func::RoundUp => "ROUNDUP",
            Func::RoundDown => "ROUNDDOWN",
            Func::DateFormat => "DATE_FORMAT",
            Func::Yen => "YEN",
            Func::Contains => "CONTAINS",
        }
    }

    /// Least and most arguments.
    fn arity(self) -> (usize, usize) {
        match self {
            Func::Sum | Func::And | Func::Or => (1, usize::MAX),
            Func::If | Func::DateFormat => (3, 3),
            Func::Not => (1, 1),
            Func::Round | Func::RoundUp | Func::RoundDown | Func::Yen => (1, 2),
            Func::Contains => (2, 2),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Number(Decimal),
    Str(String),
    Field(String),
    Neg(Box<Expr>),
    /// `first op1 e1 op2 e2 ...`, evaluated left to right; all operators are of one precedence level.
    Chain {
        first: Box<Expr>,
        rest: Vec<(BinOp, Expr)>,
    },
    Call {
        func: Func,
        args: Vec<Expr>,
    },
}

/// Where a field reference sits. A whole subtable column is welcome only as a direct argument of SUM or as
/// the first argument of CONTAINS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UseRole {
    Plain,
    SumArgument,
    ContainsField,
}

/// One field reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldUse {
    pub code: String,
    pub role: UseRole,
}

impl Expr {
    pub(crate) fn collect_uses(&self, role: UseRole, out: &mut Vec<FieldUse>) {
        match self {
            Expr::Number(_) | Expr::Str(_) => {}
            Expr::Field(code) => out.push(FieldUse {
                code: code.clone(),
                role,
            }),
            Expr::Neg(e) => e.collect_uses(UseRole::Plain, out),
            Expr::Chain { first, rest } => {
                first.collect_uses(UseRole::Plain, out);
                for (_, e) in rest {
                    e.collect_uses(UseRole::Plain, out);
                }
            }
            Expr::Call { func, args, .. } => {
                for (i, a) in args.iter().enumerate() {
                    let role = match func {
                        Func::Sum => UseRole::SumArgument,
                        Func::Contains if i == 0 => UseRole::ContainsField,
                        _ => UseRole::Plain,
                    };
                    a.collect_uses(role, out);
                }
            }
        }
    }
}

pub(crate) fn parse(input: &str) -> Result<Expr, FormulaError> {
    if input.len() > MAX_EXPRESSION_LEN {
        return Err(FormulaError::at(
            0,
            format!("The expression is too long; at most {MAX_EXPRESSION_LEN} bytes are allowed"),
        ));
    }
    let tokens = tokenize(input)?;
    let mut p = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    if matches!(p.peek(), Tok::End) {
        return Err(FormulaError::at(0, "The expression is empty"));
    }
    let expr = p.expression()?;
    match p.peek() {
        Tok::End => Ok(expr),
        Tok::RParen => Err(p.error("Unmatched \")\"")),
        other => {
            let found = other.describe();
            Err(p.error(format!(
                "Expected an operator or the end of the expression, found {found}"
            )))
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
}

const END: Tok = Tok::End;

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.next).map_or(&END, |t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.tokens
            .get(self.next)
            .or(self.tokens.last())
            .map_or(0, |t| t.pos)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.next < self.tokens.len() {
            self.next += 1;
        }
        tok
    }

    fn error(&self, message: impl std::fmt::Display) -> FormulaError {
        FormulaError::at(self.pos(), message)
    }

    /// A full expression; the one place the parser recurses, so the one place depth is counted.
    fn expression(&mut self) -> Result<Expr, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!(
                "The expression is nested too deeply; at most {MAX_DEPTH} levels are allowed"
            )));
        }
        let result = self.comparison();
        self.depth -= 1;
        result
    }

    fn comparison(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |t| match t {
                Tok::Eq => Some(BinOp::Eq),
                Tok::Ne => Some(BinOp::Ne),
                Tok::Lt => Some(BinOp::Lt),
                Tok::Gt => Some(BinOp::Gt),
                Tok::Le => Some(BinOp::Le),
                Tok::Ge => Some(BinOp::Ge),
                _ => None,
            },
            Parser::concat,
        )
    }

    fn concat(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |t| matches!(t, Tok::Amp).then_some(BinOp::Concat),
            Parser::additive,
        )
    }

    fn additive(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |t| match t {
                Tok::Plus => Some(BinOp::Add),
                Tok::Minus => Some(BinOp::Sub),
                _ => None,
            },
            Parser::multiplicative,
        )
    }

    fn multiplicative(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |t| match t {
                Tok::Star => Some(BinOp::Mul),
                Tok::Slash => Some(BinOp::Div),
                _ => None,
            },
            Parser::unary,
        )
    }

    fn chain(
        &mut self,
        op_of: impl Fn(&Tok) -> Option<BinOp>,
        operand: fn(&mut Parser) -> Result<Expr, FormulaError>,
    ) -> Result<Expr, FormulaError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = op_of(self.peek()) {
            self.bump();
            rest.push((op, operand(self)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Chain {
                first: Box::new(first),
                rest,
            }
        })
    }

    /// Leading signs, folded into at most one negation.
    fn signs(&mut self) -> bool {
        let mut negative = false;
        loop {
            match self.peek() {
                Tok::Minus => negative = !negative,
                Tok::Plus => {}
                _ => return negative,
            }
            self.bump();
        }
    }

    /// `-x ^ y` is `-(x ^ y)`: power binds tighter than the sign.
    fn unary(&mut self) -> Result<Expr, FormulaError> {
        let negative = self.signs();
        let power = self.power()?;
        Ok(if negative {
            Expr::Neg(Box::new(power))
        } else {
            power
        })
    }

    /// `a ^ b ^ c` is `(a ^ b) ^ c`, as in Excel; an exponent may carry its own sign (`2 ^ -1`).
    fn power(&mut self) -> Result<Expr, FormulaError> {
        let first = self.primary()?;
        let mut rest = Vec::new();
        while matches!(self.peek(), Tok::Caret) {
            self.bump();
            let negative = self.signs();
            let e = self.primary()?;
            rest.push((
                BinOp::Pow,
                if negative { Expr::Neg(Box::new(e)) } else { e },
            ));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Chain {
                first: Box::new(first),
                rest,
            }
        })
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        let pos = self.pos();
        match self.bump() {
            Tok::Number(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::LParen => {
                let e = self.expression()?;
                self.expect_close("Expected \")\" to close the \"(\"")?;
                Ok(e)
            }
            Tok::Ident(name) => {
                if matches!(self.peek(), Tok::LParen) {
                    self.bump();
                    self.call(&name, pos)
                } else {
                    Ok(Expr::Field(name))
                }
            }
            other => {
                // Point at the offending token, not past it.
                self.next = self.next.saturating_sub(1);
                Err(self.error(format!(
                    "Expected a number, a string, a field code, a function or \"(\", found {}",
                    other.describe()
                )))
            }
        }
    }

    fn expect_close(&mut self, message: &str) -> Result<(), FormulaError> {
        if matches!(self.peek(), Tok::RParen) {
            self.bump();
            Ok(())
        } else {
            let found = self.peek().describe();
            Err(self.error(format!("{message}, found {found}")))
        }
    }

    /// After `NAME(`: the arguments and the closing parenthesis.
    fn call(&mut self, name: &str, pos: usize) -> Result<Expr, FormulaError> {
        let func = Func::from_name(name)
            .ok_or_else(|| FormulaError::at(pos, format!("Unknown function \"{name}\"")))?;
        let mut args = Vec::new();
        if !matches!(self.peek(), Tok::RParen) {
            loop {
                args.push(self.expression()?);
                if matches!(self.peek(), Tok::Comma) {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect_close(&format!(
            "Expected \",\" or \")\" in the arguments of {}",
            func.name()
        ))?;
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(FormulaError::at(
                pos,
                format!(
                    "{} takes {wanted} argument(s), but {} were given",
                    func.name(),
                    args.len()
                ),
            ));
        }
        if func == Func::Contains && !matches!(args.first(), Some(Expr::Field(_))) {
            return Err(FormulaError::at(
                pos,
                "The first argument of CONTAINS must be a field code",
            ));
        }
        Ok(Expr::Call { func, args })
    }
}
