//! The one thing that differs between backends: a synchronous connection that runs SQL with `$1`-style
//! parameters and returns rows of plain values. Everything above it (operations, group commit, events) is
//! written once.

use std::fmt;

/// A parameter or a column value. Both backends store integers as 64-bit, text as text, floats as doubles.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Real(v as f64)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a parameter list: `params![org_id, "text", None::<i64>]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::conn::Value::from($v)),*][..] };
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> i64 {
        match &self.0[i] {
            Value::Int(v) => *v,
            Value::Real(v) => *v as i64,
            other => panic!("column {i} is not an integer: {other:?}"),
        }
    }

    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match &self.0[i] {
            Value::Null => None,
            _ => Some(self.int(i)),
        }
    }

    pub fn real(&self, i: usize) -> f64 {
        match &self.0[i] {
            Value::Real(v) => *v,
            Value::Int(v) => *v as f64,
            Value::Null => 0.0,
            other => panic!("column {i} is not a number: {other:?}"),
        }
    }

    pub fn text(&self, i: usize) -> String {
        match &self.0[i] {
            Value::Text(v) => v.clone(),
            other => panic!("column {i} is not text: {other:?}"),
        }
    }

    pub fn opt_text(&self, i: usize) -> Option<String> {
        match &self.0[i] {
            Value::Null => None,
            _ => Some(self.text(i)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The small error enum of the storage boundary; `NotFound` apart from the rest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The actor may see this but not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A uniqueness or reference rule was broken; carries the constraint (or column list) that said no.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or refused to commit: nothing was stored.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Internal(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub trait Conn: Send {
    fn dialect(&self) -> Dialect;
    /// Runs one statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Runs statements without parameters (DDL, BEGIN, COMMIT, SAVEPOINT).
    fn batch(&mut self, sql: &str) -> Result<()>;

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query(sql, params)?.into_iter().next().ok_or(StoreError::NotFound)
    }

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        })
    }
}
