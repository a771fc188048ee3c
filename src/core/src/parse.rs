//! Parsing of one usage page body into records and the `nextLink`.
