//! Search errors: what the searcher got wrong (a message fit to show, naming the parameter) apart
//! from internal faults (logged, answered with a generic error).

use kumiki_engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A bad parameter of a search request (`q` syntax, a date, a size).
    #[error("{param}: {message}")]
    BadRequest {
        param: &'static str,
        message: String,
    },
    /// Another process holds the index writer (a running server while the CLI rebuilds).
    #[error("the search index is in use by another process (stop the server first)")]
    Locked,
    #[error("search index: {0}")]
    Index(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl SearchError {
    pub fn bad(param: &'static str, message: impl Into<String>) -> SearchError {
        SearchError::BadRequest {
            param,
            message: message.into(),
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}

impl From<std::io::Error> for SearchError {
    fn from(e: std::io::Error) -> Self {
        SearchError::Index(format!("io: {e}"))
    }
}

impl From<diesel::result::Error> for SearchError {
    fn from(e: diesel::result::Error) -> Self {
        SearchError::Engine(e.into())
    }
}
