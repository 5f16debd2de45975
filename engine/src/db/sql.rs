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

    /// Appends a placeholder and records its value.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.binds.push(value);
        let n = self.binds.len();
        match self.dialect {
            Dialect::Sqlite => self.sql.push_str(&format!("?{n}")),
            Dialect::Postgres => self.sql.push_str(&format!("${n}")),
        }
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
