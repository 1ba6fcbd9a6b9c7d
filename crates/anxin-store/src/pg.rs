//! PostgreSQL backend, for several Anxin nodes on one database. Events cross nodes with LISTEN/NOTIFY carrying
//! only ids; the events themselves are read from the table, so a missed notification delays, never loses.

use std::error::Error as _;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use std::collections::HashMap;

use bytes::BytesMut;
use postgres::{Client, NoTls, Statement};

use crate::conn::{Conn, Dialect, Result, Row, StoreError, Value};

pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgConn {
    pub fn connect(url: &str) -> Result<Self> {
        let client = Client::connect(url, NoTls).map_err(map_err)?;
        Ok(Self { client, statements: HashMap::new() })
    }

    fn prepare(&mut self, sql: &str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(map_err)?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(v) => v.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub(crate) fn map_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        use postgres::error::SqlState;
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION || *code == SqlState::FOREIGN_KEY_VIOLATION || *code == SqlState::CHECK_VIOLATION {
            return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_owned());
        }
        // Two writers crossed (deadlock or serialisation failure): the job failed without effect and can be retried.
        if *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE {
            return StoreError::Conflict(format!("retry: {}", db.message()));
        }
        if code.code().starts_with("08") || code.code().starts_with("57") || code.code().starts_with("53") {
            return StoreError::Unavailable(db.message().to_owned());
        }
        return StoreError::Internal(format!("{}: {}", code.code(), db.message()));
    }
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) || e.to_string().contains("connect") {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Internal(e.to_string())
}

fn row_values(row: &postgres::Row) -> Result<Row> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let get_err = |e: postgres::Error| StoreError::Internal(e.to_string());
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(get_err)?.map(Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(get_err)?.map(|v| Value::Int(v.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(get_err)?.map(|v| Value::Int(v.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(get_err)?.map(|v| Value::Int(v.into())),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(get_err)?.map(Value::Real),
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map_err(get_err)?.map(|v| Value::Real(v.into())),
            _ => row.try_get::<_, Option<String>>(i).map_err(get_err)?.map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let stmt = self.prepare(sql)?;
        self.client.execute(&stmt, &refs(params)).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let stmt = self.prepare(sql)?;
        let rows = self.client.query(&stmt, &refs(params)).map_err(map_err)?;
        rows.iter().map(row_values).collect()
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(map_err)
    }
}
