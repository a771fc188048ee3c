//! The PostgreSQL engine: tokio-postgres over rustls (ring), binary `COPY` for bulk rows,
//! session advisory locks per stamp.

use std::collections::BTreeMap;
use std::sync::Arc;

use azs_usage_core::{TenantSubscription, UsageRecord};
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, Utc};
use futures::pin_mut;
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use crate::error::{Error, Result};
use crate::model::{DailyKey, DailyValue, Scope, SummaryDelta, Window, map_json};
use crate::schema::{self, MigrationReport, OWN_TABLES, SCHEMA_VERSION, TOOL_VERSION};
use crate::url::{PostgresUrl, SslMode};

/// The first key of every advisory lock this tool takes ("AzSU").
pub(crate) const LOCK_CLASS: i32 = 0x417A_5355;
/// The second key of the migration lock (stamp locks hash the stamp's name).
const MIGRATION_LOCK: i32 = 0;

/// One connection.
pub(crate) struct Postgres {
    url: PostgresUrl,
    client: Client,
    connection: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("url", &self.url.to_string()).finish_non_exhaustive()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// Maps a driver error; `what` says what was being done. Connection losses are transient.
pub(crate) fn pg_error(e: &tokio_postgres::Error, url: &PostgresUrl, what: &str) -> Error {
    if let Some(db) = e.as_db_error() {
        let msg = db.message();
        let code = db.code();
        let c = code.code();
        return if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            Error::database_unavailable(format!(
                "{url}: authentication failed for user '{}' ({msg}); check the password (PGPASSWORD) and pg_hba.conf",
                url.user
            ))
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            Error::database_not_usable(format!(
                "{url}: {msg}; create it first (createdb {}) or name an existing database",
                url.dbname
            ))
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            Error::database_not_usable(format!(
                "{url} is read-only ({what}: {msg}); the sync needs a writable primary server"
            ))
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            Error::database_not_usable(format!(
                "{url}: the role '{}' may not do this ({what}: {msg}); grant it ownership of the azs-usage tables, or CREATE on the schema for a new database",
                url.user
            ))
        } else if *code == SqlState::DISK_FULL {
            Error::database_not_usable(format!("{url}: the server's disk is full ({what})"))
        } else if c.starts_with("08")
            || c.starts_with("57P")
            || *code == SqlState::TOO_MANY_CONNECTIONS
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
        {
            Error::database_unavailable(format!("{url}: {msg} ({what}; SQLSTATE {c})")).transient()
        } else {
            Error::internal(format!("PostgreSQL failed {what} on {url}: {msg} (SQLSTATE {c})"))
        };
    }
    // Not a server error: the connection could not be made, or broke. The cause (refused, timed
    // out, TLS) is in the source chain, not in the driver's own text.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    Error::database_unavailable(format!("{url}: {what}: {text}")).transient()
}

impl Postgres {
    /// Connects (TLS per `sslmode`), naming the connection after this process in
    /// `pg_stat_activity`.
    pub(crate) async fn connect(url: &PostgresUrl) -> Result<Postgres> {
        let mut config = tokio_postgres::Config::new();
        if url.host.starts_with('/') {
            config.host_path(&url.host);
        } else {
            config.host(&url.host);
        }
        config
            .port(url.port)
            .user(&url.user)
            .dbname(&url.dbname)
            .connect_timeout(url.connect_timeout)
            .application_name(format!("azs-usage {} (pid {})", TOOL_VERSION, std::process::id()));
        if let Some(p) = &url.password {
            config.password(p.expose_secret());
        }
        let what = "connecting";
        let (client, connection) = match url.sslmode {
            SslMode::Disable => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                let (client, conn) = config.connect(NoTls).await.map_err(|e| connect_error(&e, url))?;
                (client, tokio::spawn(async move { log_end(conn.await) }))
            }
            mode => {
                config.ssl_mode(if mode == SslMode::Prefer {
                    tokio_postgres::config::SslMode::Prefer
                } else {
                    tokio_postgres::config::SslMode::Require
                });
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(url)?);
                let (client, conn) = config.connect(tls).await.map_err(|e| connect_error(&e, url))?;
                (client, tokio::spawn(async move { log_end(conn.await) }))
            }
        };
        let _ = what;
        Ok(Postgres { url: url.clone(), client, connection })
    }

    pub(crate) fn url(&self) -> &PostgresUrl {
        &self.url
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    pub(crate) fn err(&self, what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
        let what = what.to_string();
        move |e| pg_error(&e, &self.url, &what)
    }

    /// The applied schema version (0: no azs-usage tables yet).
    pub(crate) async fn schema_version(&self) -> Result<u32> {
        read_version(&self.client, &self.url).await
    }

    /// Applies pending migrations under the migration lock. Refuses a newer schema.
    pub(crate) async fn migrate(&mut self) -> Result<MigrationReport> {
        let url = self.url.clone();
        let from = read_version(&self.client, &url).await?;
        if from > SCHEMA_VERSION {
            return Err(schema::too_new(from, &url.to_string()));
        }
        let mut applied = Vec::new();
        for m in schema::pending(from) {
            let err = |e: tokio_postgres::Error| pg_error(&e, &url, "migrating");
            let tx = self.client.transaction().await.map_err(err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_CLASS, &MIGRATION_LOCK]).await.map_err(err)?;
            if read_version(&tx, &url).await? >= m.version {
                continue;
            }
            tx.batch_execute(m.postgres).await.map_err(err)?;
            tx.execute(
                "INSERT INTO schema_version (version, name, applied_at, tool_version) VALUES ($1, $2, now(), $3)",
                &[&(m.version as i32), &m.name, &TOOL_VERSION],
            )
            .await
            .map_err(err)?;
            tx.commit().await.map_err(err)?;
            applied.push(format!("{:04}_{}", m.version, m.name));
        }
        let to = read_version(&self.client, &url).await?;
        Ok(MigrationReport { from, to, applied })
    }

    /// Tries (or, with `wait`, waits) to take the stamp's advisory lock on this session.
    pub(crate) async fn lock_stamp(&self, stamp: &str, wait: bool) -> Result<bool> {
        let key = stamp_lock_key(stamp);
        let err = self.err("taking the sync lock");
        if wait {
            self.client.execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &key]).await.map_err(err)?;
            Ok(true)
        } else {
            let row = self
                .client
                .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
                .await
                .map_err(err)?;
            Ok(row.get(0))
        }
    }

    /// Who holds a stamp's lock, from `pg_stat_activity` (application name, address, since).
    pub(crate) async fn lock_holder(&self, stamp: &str) -> Result<Option<String>> {
        let rows = self
            .client
            .query(
                "SELECT a.application_name, coalesce(host(a.client_addr), 'local'), a.backend_start::text
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2",
                &[&(LOCK_CLASS as u32 as i64), &(stamp_lock_key(stamp) as u32 as i64)],
            )
            .await
            .map_err(self.err("looking up the lock holder"))?;
        Ok(rows.first().map(|r| {
            format!(
                "{} from {} (connected since {})",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            )
        }))
    }
}

fn log_end(result: std::result::Result<(), tokio_postgres::Error>) {
    if let Err(e) = result {
        tracing::debug!("PostgreSQL connection ended: {e}");
    }
}

fn connect_error(e: &tokio_postgres::Error, url: &PostgresUrl) -> Error {
    let mapped = pg_error(e, url, "cannot connect");
    if mapped.is_transient() {
        // A connection that cannot be made at all is reported as is; only a broken one is retried.
        let mut text = mapped.message().to_string();
        if text.contains("Connection refused") {
            text.push_str("; is the server running and listening on that address and port?");
        }
        return Error::database_unavailable(text);
    }
    mapped
}

/// A stamp's lock key: a stable 31-bit hash of its name (FNV-1a).
pub(crate) fn stamp_lock_key(stamp: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in stamp.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h & 0x7fff_ffff) as i32 | 1
}

async fn read_version(client: &impl tokio_postgres::GenericClient, url: &PostgresUrl) -> Result<u32> {
    let err = |e: tokio_postgres::Error| pg_error(&e, url, "reading the schema version");
    let rows = client
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname = current_schema() AND c.relname = ANY($1)",
            &[&OWN_TABLES],
        )
        .await
        .map_err(err)?;
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if names.is_empty() {
        return Ok(0);
    }
    if !names.iter().any(|n| n == "schema_version") {
        return Err(Error::database_not_usable(format!(
            "{url} has tables named like azs-usage's ({}) but no schema_version table; it was left untouched: use another database or schema",
            names.join(", ")
        )));
    }
    let row = client.query_one("SELECT max(version) FROM schema_version", &[]).await.map_err(err)?;
    Ok(row.get::<_, Option<i32>>(0).unwrap_or(0).max(0) as u32)
}

// ---- TLS ----

fn tls_config(url: &PostgresUrl) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS set-up failed: {e}")))?;
    // libpq's rules: prefer/require encrypt without verifying unless a CA file is given; verify-ca
    // checks the chain; verify-full also the host name.
    let verify = matches!(url.sslmode, SslMode::VerifyCa | SslMode::VerifyFull) || url.ca_file.is_some();
    if !verify {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match &url.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                Error::invalid_argument(format!("cannot read the database CA file {}: {e}", path.display()))
            })?;
            let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::invalid_argument(format!("{} is not PEM: {e}", path.display())))?;
            let (ok, _) = roots.add_parsable_certificates(certs);
            if ok == 0 {
                return Err(Error::invalid_argument(format!(
                    "the database CA file {} holds no usable certificate",
                    path.display()
                )));
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    let roots = Arc::new(roots);
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
        .build()
        .map_err(|e| Error::internal(format!("TLS set-up failed: {e}")))?;
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> =
        if url.sslmode == SslMode::VerifyFull { webpki } else { Arc::new(ChainOnly(webpki)) };
    Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
}

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// `sslmode=prefer|require` without a CA file: encrypted, not authenticated (libpq's behaviour).
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

// ---- Values ----

/// JSON text bound to a `json` (or `jsonb`) parameter or COPY column without re-parsing it.
#[derive(Debug)]
pub(crate) struct JsonText<'a>(pub(crate) &'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }
    to_sql_checked!();
}

// ---- Windows ----

const SCOPE_WHERE: &str = "stamp = $1 AND provider_subscription_id = $2 AND granularity = $3";

pub(crate) const USAGE_COPY: &str = "COPY usage_records (stamp, provider_subscription_id, granularity, reported_start,
    reported_end, subscription_id, meter_id, meter_name, meter_category, unit, quantity, usage_start_time, usage_end_time,
    resource_uri, resource_group, resource_provider, resource_type, resource_name, location, tags, additional_info,
    instance_data, ingested_at) FROM STDIN (FORMAT binary)";

pub(crate) const USAGE_TYPES: [Type; 23] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::NUMERIC,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::JSON,
    Type::JSON,
    Type::TEXT,
    Type::TIMESTAMPTZ,
];

/// Removes the stored windows inside `window` (within `tx`); returns their count and delta.
pub(crate) async fn remove_window(
    tx: &tokio_postgres::Transaction<'_>,
    url: &PostgresUrl,
    scope: &Scope,
    window: Window,
) -> Result<(u64, SummaryDelta)> {
    let err = |e: tokio_postgres::Error| pg_error(&e, url, "replacing a window");
    let g = scope.granularity_name();
    let p: [&(dyn ToSql + Sync); 5] = [&scope.stamp, &scope.provider_subscription_id, &g, &window.start, &window.end];
    let cut: i64 = tx
        .query_one(
            &format!(
                "SELECT count(*) FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start < $5 AND reported_end > $4
                 AND NOT (reported_start >= $4 AND reported_end <= $5)"
            ),
            &p,
        )
        .await
        .map_err(err)?
        .get(0);
    if cut > 0 {
        return Err(Error::internal(format!("window {window} would cut {cut} stored window(s) in two (planning bug)")));
    }
    let rows = tx
        .query(
            &format!(
                "DELETE FROM usage_records WHERE {SCOPE_WHERE} AND reported_start >= $4 AND reported_end <= $5
                 RETURNING usage_start_time, subscription_id, meter_id, quantity"
            ),
            &p,
        )
        .await
        .map_err(err)?;
    let mut delta = SummaryDelta::default();
    for r in &rows {
        let (start, sub, meter, q): (DateTime<Utc>, &str, &str, Decimal) = (r.get(0), r.get(1), r.get(2), r.get(3));
        delta.add_parts(-1, start, sub, meter, "", "", "", q);
    }
    tx.execute(
        &format!("DELETE FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start >= $4 AND reported_end <= $5"),
        &p,
    )
    .await
    .map_err(err)?;
    Ok((rows.len() as u64, delta))
}

/// Writes one page through the window's COPY; returns the page's summary delta.
pub(crate) async fn copy_page(
    writer: std::pin::Pin<&mut BinaryCopyInWriter>,
    url: &PostgresUrl,
    scope: &Scope,
    window: Window,
    ingested_at: DateTime<Utc>,
    records: &[UsageRecord],
) -> Result<SummaryDelta> {
    let g = scope.granularity_name();
    let mut delta = SummaryDelta::default();
    let mut writer = writer;
    for r in records {
        let (tags, info) = (map_json(&r.tags), map_json(&r.additional_info));
        let (tags, info) = (JsonText(&tags), JsonText(&info));
        let row: [&(dyn ToSql + Sync); 23] = [
            &scope.stamp,
            &scope.provider_subscription_id,
            &g,
            &window.start,
            &window.end,
            &r.subscription_id,
            &r.meter_id,
            &r.meter_name,
            &r.meter_category,
            &r.unit,
            &r.quantity,
            &r.usage_start_time,
            &r.usage_end_time,
            &r.resource_uri,
            &r.resource_group,
            &r.resource_provider,
            &r.resource_type,
            &r.resource_name,
            &r.location,
            &tags,
            &info,
            &r.instance_data,
            &ingested_at,
        ];
        writer.as_mut().write(&row).await.map_err(|e| pg_error(&e, url, "copying records"))?;
        delta.add(1, r);
    }
    Ok(delta)
}

/// Closes a window inside its transaction: summaries, cost marks, window row, watermark, counters.
pub(crate) async fn finish_window(
    tx: &tokio_postgres::Transaction<'_>,
    url: &PostgresUrl,
    f: &crate::sqlite::WindowFinish,
) -> Result<()> {
    let err = |e: tokio_postgres::Error| pg_error(&e, url, "finishing a window");
    let s = &f.scope;
    let g = s.granularity_name();
    let dates: Vec<NaiveDate> = f.delta.dates().into_iter().collect();
    let mut existing = BTreeMap::new();
    if !dates.is_empty() {
        let rows = tx
            .query(
                "SELECT usage_date, subscription_id, meter_id, meter_name, meter_category, unit, records, quantity
                 FROM usage_daily WHERE stamp = $1 AND granularity = $2 AND usage_date = ANY($3) FOR UPDATE",
                &[&s.stamp, &g, &dates],
            )
            .await
            .map_err(err)?;
        for r in rows {
            existing.insert(
                DailyKey { usage_date: r.get(0), subscription_id: r.get(1), meter_id: r.get(2) },
                DailyValue {
                    meter_name: r.get(3),
                    meter_category: r.get(4),
                    unit: r.get(5),
                    records: r.get(6),
                    quantity: r.get(7),
                },
            );
        }
        let merged = f.delta.merge_into(existing)?;
        tx.execute(
            "DELETE FROM usage_daily WHERE stamp = $1 AND granularity = $2 AND usage_date = ANY($3)",
            &[&s.stamp, &g, &dates],
        )
        .await
        .map_err(err)?;
        let sink = tx
            .copy_in(
                "COPY usage_daily (stamp, granularity, usage_date, subscription_id, meter_id, meter_name, meter_category,
                 unit, records, quantity) FROM STDIN (FORMAT binary)",
            )
            .await
            .map_err(err)?;
        let writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::TEXT,
                Type::DATE,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::NUMERIC,
            ],
        );
        pin_mut!(writer);
        for (k, v) in &merged {
            writer
                .as_mut()
                .write(&[
                    &s.stamp,
                    &g,
                    &k.usage_date,
                    &k.subscription_id,
                    &k.meter_id,
                    &v.meter_name,
                    &v.meter_category,
                    &v.unit,
                    &v.records,
                    &v.quantity,
                ])
                .await
                .map_err(err)?;
        }
        writer.finish().await.map_err(err)?;
    }
    let months: Vec<DateTime<Utc>> = f.delta.months.iter().copied().collect();
    tx.execute(
        "INSERT INTO cost_dirty_months (stamp, granularity, month_start) SELECT $1, $2, m FROM unnest($3::timestamptz[]) AS m
         ON CONFLICT DO NOTHING",
        &[&s.stamp, &g, &months],
    )
    .await
    .map_err(err)?;
    tx.execute(
        "INSERT INTO sync_windows (stamp, provider_subscription_id, granularity, reported_start, reported_end, records,
         run_id, synced_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        &[
            &s.stamp,
            &s.provider_subscription_id,
            &g,
            &f.window.start,
            &f.window.end,
            &(f.inserted as i64),
            &f.run_id,
            &f.now,
        ],
    )
    .await
    .map_err(err)?;
    if f.advance_watermark {
        tx.execute(
            "INSERT INTO sync_state (stamp, provider_subscription_id, granularity, watermark, updated_at, run_id)
             VALUES ($1,$2,$3,$4,$5,$6)
             ON CONFLICT (stamp, provider_subscription_id, granularity) DO UPDATE SET
               watermark = greatest(sync_state.watermark, excluded.watermark), updated_at = excluded.updated_at,
               run_id = excluded.run_id",
            &[&s.stamp, &s.provider_subscription_id, &g, &f.window.end, &f.now, &f.run_id],
        )
        .await
        .map_err(err)?;
    } else {
        tx.execute(
            &format!(
                "UPDATE sync_state SET watermark = $5, updated_at = $6, run_id = $7
                 WHERE {SCOPE_WHERE} AND watermark >= $4 AND watermark < $5"
            ),
            &[&s.stamp, &s.provider_subscription_id, &g, &f.window.start, &f.window.end, &f.now, &f.run_id],
        )
        .await
        .map_err(err)?;
    }
    tx.execute(
        &format!(
            "UPDATE sync_run_scopes SET windows = windows + 1, records_inserted = records_inserted + $5,
             records_replaced = records_replaced + $6 WHERE {SCOPE_WHERE} AND run_id = $4"
        ),
        &[&s.stamp, &s.provider_subscription_id, &g, &f.run_id, &(f.inserted as i64), &(f.replaced as i64)],
    )
    .await
    .map_err(err)?;
    Ok(())
}

// ---- Reads used by the sync ----

pub(crate) async fn watermark(client: &Client, url: &PostgresUrl, scope: &Scope) -> Result<Option<DateTime<Utc>>> {
    let rows = client
        .query(
            &format!("SELECT watermark FROM sync_state WHERE {SCOPE_WHERE}"),
            &[&scope.stamp, &scope.provider_subscription_id, &scope.granularity_name()],
        )
        .await
        .map_err(|e| pg_error(&e, url, "reading the watermark"))?;
    Ok(rows.first().map(|r| r.get(0)))
}

pub(crate) async fn stored_windows(
    client: &Client,
    url: &PostgresUrl,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Window>> {
    let rows = client
        .query(
            &format!(
                "SELECT reported_start, reported_end FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start < $5
                 AND reported_end > $4 ORDER BY reported_start"
            ),
            &[&scope.stamp, &scope.provider_subscription_id, &scope.granularity_name(), &from, &to],
        )
        .await
        .map_err(|e| pg_error(&e, url, "reading the stored windows"))?;
    Ok(rows.iter().map(|r| Window { start: r.get(0), end: r.get(1) }).collect())
}

pub(crate) async fn replace_directory(
    tx: &tokio_postgres::Transaction<'_>,
    url: &PostgresUrl,
    stamp: &str,
    rows: &[TenantSubscription],
    now: DateTime<Utc>,
) -> Result<()> {
    let err = |e: tokio_postgres::Error| pg_error(&e, url, "storing the directory");
    tx.execute("DELETE FROM subscriptions WHERE stamp = $1", &[&stamp]).await.map_err(err)?;
    let st = tx
        .prepare(
            "INSERT INTO subscriptions (stamp, subscription_id, display_name, owner, tenant_id, offer_id, offer_name,
             state, delegated_provider_subscription_id, provider_subscription_id, refreshed_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
             ON CONFLICT (stamp, subscription_id) DO UPDATE SET display_name = excluded.display_name",
        )
        .await
        .map_err(err)?;
    for s in rows {
        let id = s.subscription_id.to_ascii_lowercase();
        tx.execute(
            &st,
            &[
                &stamp,
                &id,
                &s.display_name,
                &s.owner,
                &s.tenant_id,
                &s.offer_id,
                &s.offer_name,
                &s.state,
                &s.delegated_provider_subscription_id,
                &s.provider_subscription_id,
                &now,
            ],
        )
        .await
        .map_err(err)?;
    }
    Ok(())
}

pub(crate) async fn directory(client: &Client, url: &PostgresUrl, stamp: &str) -> Result<Vec<TenantSubscription>> {
    let rows = client
        .query(
            "SELECT subscription_id, display_name, owner, tenant_id, offer_id, offer_name, state,
             delegated_provider_subscription_id, provider_subscription_id FROM subscriptions WHERE stamp = $1
             ORDER BY subscription_id",
            &[&stamp],
        )
        .await
        .map_err(|e| pg_error(&e, url, "reading the directory"))?;
    Ok(rows
        .iter()
        .map(|r| TenantSubscription {
            subscription_id: r.get(0),
            display_name: r.get(1),
            owner: r.get(2),
            tenant_id: r.get(3),
            offer_id: r.get(4),
            offer_name: r.get(5),
            state: r.get(6),
            delegated_provider_subscription_id: r.get(7),
            provider_subscription_id: r.get(8),
        })
        .collect())
}

/// Reads one usage row (the columns of [`USAGE_COLUMNS`] from `offset`) back into a record.
pub(crate) fn usage_record(r: &tokio_postgres::Row, offset: usize) -> Result<UsageRecord> {
    let json = |i: usize, column: &str| -> Result<azs_usage_core::StringMap> {
        let v: serde_json::Value = r.get(offset + i);
        crate::model::json_map(&v.to_string(), column)
    };
    Ok(UsageRecord {
        subscription_id: r.get(offset),
        meter_id: r.get(offset + 1),
        meter_name: r.get(offset + 2),
        meter_category: r.get(offset + 3),
        unit: r.get(offset + 4),
        quantity: r.get(offset + 5),
        usage_start_time: r.get(offset + 6),
        usage_end_time: r.get(offset + 7),
        resource_uri: r.get(offset + 8),
        resource_group: r.get(offset + 9),
        resource_provider: r.get(offset + 10),
        resource_type: r.get(offset + 11),
        resource_name: r.get(offset + 12),
        location: r.get(offset + 13),
        tags: json(14, "tags")?,
        additional_info: json(15, "additional_info")?,
        instance_data: r.get(offset + 16),
    })
}
