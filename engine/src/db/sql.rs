//! Building SQL text with bound parameters for either backend. Values are never spliced into SQL text:
//! every value goes through `SqlBuilder::bind`, which writes the backend's numbered placeholder.

/// Which SQL dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Int(i64),
    Float(f64),
    Text(String),
}

/// SQL text plus its bound values, in placeholder order.
#[derive(Debug, Clone)]
pub struct SqlBuilder {
    pub dialect: Dialect,
    pub sql: String,
    pub binds: Vec<SqlValue>,
}

impl SqlBuilder {
    pub fn new(dialect: Dialect) -> SqlBuilder {
        SqlBuilder {
            dialect,
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    /// Appends SQL text. Never pass user input here.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Starts a multi-row `INSERT INTO <target> VALUES `, `target` being the table and its columns.
    /// On SQLite the rows are inserted `OR FAIL`: a plain INSERT of several rows inside a
    /// transaction makes SQLite copy every page it touches into a statement journal, so that a
    /// constraint error can undo just that statement. Our callers never continue a transaction
    /// after a failed statement (they roll it back, or a savepoint of it), so that copy is waste:
    /// it was ~15% of the server's CPU in a bulk add (docs/benchmarks.md, "Bulk add").
    pub fn push_insert_rows(&mut self, target: &str) -> &mut Self {
        self.sql.push_str(match self.dialect {
            Dialect::Sqlite => "INSERT OR FAIL INTO ",
            Dialect::Postgres => "INSERT INTO ",
        });
        self.sql.push_str(target);
        self.sql.push_str(" VALUES ");
        self
    }

    /// Appends a placeholder and records its value.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        use std::fmt::Write as _;
        self.binds.push(value);
        let n = self.binds.len();
        let mark = match self.dialect {
            Dialect::Sqlite => '?',
            Dialect::Postgres => '$',
        };
        // Writing into a String cannot fail.
        let _ = write!(self.sql, "{mark}{n}");
        self
    }

    pub fn bind_int(&mut self, v: i64) -> &mut Self {
        self.bind(SqlValue::Int(v))
    }

    pub fn bind_text(&mut self, v: &str) -> &mut Self {
        self.bind(SqlValue::Text(v.to_owned()))
    }

    pub fn bind_float(&mut self, v: f64) -> &mut Self {
        self.bind(SqlValue::Float(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_per_dialect() {
        let mut s = SqlBuilder::new(Dialect::Sqlite);
        s.push("a = ").bind_int(1).push(" AND b = ").bind_text("x");
        assert_eq!(s.sql, "a = ?1 AND b = ?2");
        let mut p = SqlBuilder::new(Dialect::Postgres);
        p.push("a = ").bind_int(1).push(" AND b = ").bind_text("x");
        assert_eq!(p.sql, "a = $1 AND b = $2");
        assert_eq!(p.binds.len(), 2);
    }
}
