//! Versioned migrations: one SQL file per version and engine (`migrations/sqlite`,
//! `migrations/postgres`), the same logical schema on both. `schema_version` records what was
//! applied; a database whose version is newer than [`SCHEMA_VERSION`] is refused untouched.

/// One migration: its version, a short name, and the SQL for each engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    pub(crate) version: u32,
    pub(crate) name: &'static str,
    pub(crate) sqlite: &'static str,
    pub(crate) postgres: &'static str,
}

/// Every migration, in order. Append only: a released migration is never edited.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
    postgres: include_str!("../migrations/postgres/0001_initial.sql"),
}];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The tool version recorded beside each applied migration.
pub(crate) const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What [`crate::Store::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The version found before migrating (0 for a new database).
    pub from: u32,
    /// The version now.
    pub to: u32,
    /// The migrations applied, as `NNNN_name`.
    pub applied: Vec<String>,
}

/// The migrations after `current`, in order.
pub(crate) fn pending(current: u32) -> impl Iterator<Item = &'static Migration> {
    MIGRATIONS.iter().filter(move |m| m.version > current)
}

/// The error for a database migrated by a newer build.
pub(crate) fn too_new(found: u32, what: &str) -> crate::Error {
    crate::Error::schema_too_new(format!(
        "{what} has schema version {found}, newer than this azs-usage ({TOOL_VERSION}) knows (version \
         {SCHEMA_VERSION}); it was left untouched: upgrade azs-usage to use it (a schema is never downgraded)"
    ))
}

/// The tables a version-1 database has (a database with some of them but no `schema_version` is
/// not one of ours).
pub(crate) const OWN_TABLES: &[&str] = &[
    "schema_version",
    "usage_records",
    "usage_daily",
    "subscriptions",
    "focus_costs",
    "cost_monthly",
    "cost_by_tag",
    "cost_dirty_months",
    "rate_cards",
    "rate_card_rows",
    "sync_state",
    "sync_windows",
    "sync_runs",
    "sync_run_scopes",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_both_engines_define_the_same_objects() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
            let objects = |sql: &str| {
                let mut names: Vec<String> = sql
                    .lines()
                    .filter_map(|l| {
                        let l = l.trim_start();
                        ["CREATE TABLE ", "CREATE INDEX ", "CREATE VIEW "]
                            .iter()
                            .find_map(|p| l.strip_prefix(p))
                            .and_then(|rest| rest.split_whitespace().next())
                            .map(str::to_string)
                    })
                    .collect();
                names.sort();
                names
            };
            assert_eq!(objects(m.sqlite), objects(m.postgres), "migration {} defines the same objects", m.version);
        }
        let created: Vec<String> = MIGRATIONS[0]
            .sqlite
            .lines()
            .filter_map(|l| l.strip_prefix("CREATE TABLE ").map(|r| r.split_whitespace().next().unwrap().to_string()))
            .collect();
        let mut own: Vec<&str> = OWN_TABLES.to_vec();
        own.sort();
        let mut created: Vec<&str> = created.iter().map(String::as_str).collect();
        created.sort();
        assert_eq!(created, own);
    }
}
