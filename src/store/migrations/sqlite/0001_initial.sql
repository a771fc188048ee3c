-- azs-usage database, schema version 1 (SQLite).
-- The same logical schema exists for PostgreSQL (migrations/postgres/); docs/database.md describes every table.
-- Instants are ISO 8601 UTC text (YYYY-MM-DDTHH:MM:SSZ, sortable); decimals are exact decimal text (SQLite has no exact numeric type); maps are JSON object text.

CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    tool_version TEXT NOT NULL
);

-- One row per usage record, as the usage API returned it for one reported window (record-schema.md, snake_case),
-- plus where it came from. A window's rows are replaced as a whole by the sync (docs/sync.md).
CREATE TABLE usage_records (
    stamp TEXT NOT NULL,
    provider_subscription_id TEXT NOT NULL,
    granularity TEXT NOT NULL,
    reported_start TEXT NOT NULL,
    reported_end TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    meter_name TEXT NOT NULL,
    meter_category TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity TEXT NOT NULL,
    usage_start_time TEXT NOT NULL,
    usage_end_time TEXT NOT NULL,
    resource_uri TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    resource_provider TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    location TEXT NOT NULL,
    tags TEXT NOT NULL,
    additional_info TEXT NOT NULL,
    instance_data TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX usage_records_window ON usage_records (stamp, provider_subscription_id, granularity, reported_start);
CREATE INDEX usage_records_usage_time ON usage_records (stamp, granularity, usage_start_time);

-- Exact daily sums per (usage day, subscription, meter), kept in step with usage_records in the same transactions.
CREATE TABLE usage_daily (
    stamp TEXT NOT NULL,
    granularity TEXT NOT NULL,
    usage_date TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    meter_name TEXT NOT NULL,
    meter_category TEXT NOT NULL,
    unit TEXT NOT NULL,
    records INTEGER NOT NULL,
    quantity TEXT NOT NULL,
    PRIMARY KEY (stamp, granularity, usage_date, subscription_id, meter_id)
);

-- The tenant directory of each stamp (Microsoft.Subscriptions.Admin), refreshed by every sync run.
CREATE TABLE subscriptions (
    stamp TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    owner TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    offer_name TEXT NOT NULL,
    state TEXT NOT NULL,
    delegated_provider_subscription_id TEXT NOT NULL,
    provider_subscription_id TEXT NOT NULL,
    refreshed_at TEXT NOT NULL,
    PRIMARY KEY (stamp, subscription_id)
);

-- FOCUS 1.2 cost rows (FOCUS column names in snake_case, docs/database.md), recomputed a month at a time.
CREATE TABLE focus_costs (
    stamp TEXT NOT NULL,
    granularity TEXT NOT NULL,
    billed_cost TEXT NOT NULL,
    billing_account_id TEXT NOT NULL,
    billing_account_name TEXT NOT NULL,
    billing_currency TEXT NOT NULL,
    billing_period_end TEXT NOT NULL,
    billing_period_start TEXT NOT NULL,
    charge_category TEXT NOT NULL,
    charge_class TEXT,
    charge_description TEXT NOT NULL,
    charge_period_end TEXT NOT NULL,
    charge_period_start TEXT NOT NULL,
    contracted_cost TEXT NOT NULL,
    effective_cost TEXT NOT NULL,
    invoice_issuer_name TEXT NOT NULL,
    list_cost TEXT NOT NULL,
    pricing_quantity TEXT NOT NULL,
    pricing_unit TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    publisher_name TEXT NOT NULL,
    service_category TEXT NOT NULL,
    service_name TEXT NOT NULL,
    charge_frequency TEXT NOT NULL,
    consumed_quantity TEXT NOT NULL,
    consumed_unit TEXT NOT NULL,
    contracted_unit_price TEXT NOT NULL,
    list_unit_price TEXT NOT NULL,
    pricing_category TEXT NOT NULL,
    region_id TEXT NOT NULL,
    region_name TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    service_subcategory TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    sku_meter TEXT NOT NULL,
    sku_price_details TEXT NOT NULL,
    sku_price_id TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    sub_account_name TEXT NOT NULL,
    sub_account_type TEXT NOT NULL,
    tags TEXT NOT NULL,
    x_meter_id TEXT NOT NULL,
    x_meter_category TEXT NOT NULL,
    x_resource_group TEXT NOT NULL,
    x_tenant_id TEXT NOT NULL,
    x_owner TEXT NOT NULL,
    x_offer_name TEXT NOT NULL,
    rate_card_id TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
CREATE INDEX focus_costs_month ON focus_costs (stamp, granularity, billing_period_start);

-- Exact monthly cost per subscription (with its tenant), written with the month's cost rows.
CREATE TABLE cost_monthly (
    stamp TEXT NOT NULL,
    granularity TEXT NOT NULL,
    billing_period_start TEXT NOT NULL,
    billing_currency TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    sub_account_name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    offer_name TEXT NOT NULL,
    cost_rows INTEGER NOT NULL,
    billed_cost TEXT NOT NULL,
    effective_cost TEXT NOT NULL,
    list_cost TEXT NOT NULL,
    contracted_cost TEXT NOT NULL,
    PRIMARY KEY (stamp, granularity, billing_period_start, billing_currency, sub_account_id)
);

-- Exact monthly cost per tag key and value. tag_value '(untagged)' holds the rows without the key, so each key's
-- values add up to the month's total.
CREATE TABLE cost_by_tag (
    stamp TEXT NOT NULL,
    granularity TEXT NOT NULL,
    billing_period_start TEXT NOT NULL,
    billing_currency TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    cost_rows INTEGER NOT NULL,
    billed_cost TEXT NOT NULL,
    effective_cost TEXT NOT NULL,
    PRIMARY KEY (stamp, granularity, billing_period_start, billing_currency, tag_key, tag_value)
);

-- Months whose usage changed since their cost rows were computed (marked in the usage transaction, cleared in the
-- cost transaction, so a run killed in between leaves the mark for the next run).
CREATE TABLE cost_dirty_months (
    stamp TEXT NOT NULL,
    granularity TEXT NOT NULL,
    month_start TEXT NOT NULL,
    PRIMARY KEY (stamp, granularity, month_start)
);

-- Rate cards used for cost rows, and their normalised rows.
CREATE TABLE rate_cards (
    rate_card_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    currency TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE rate_card_rows (
    rate_card_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    meter_id TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    currency TEXT NOT NULL,
    block_size TEXT NOT NULL,
    included_quantity TEXT NOT NULL,
    tier_start TEXT NOT NULL,
    effective_from TEXT,
    effective_to TEXT,
    scope TEXT NOT NULL,
    meter_name TEXT NOT NULL,
    unit TEXT NOT NULL,
    description TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    PRIMARY KEY (rate_card_id, row_number)
);

-- Incremental state: the reported time up to which a (stamp, provider subscription, granularity) is complete.
CREATE TABLE sync_state (
    stamp TEXT NOT NULL,
    provider_subscription_id TEXT NOT NULL,
    granularity TEXT NOT NULL,
    watermark TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (stamp, provider_subscription_id, granularity)
);

-- Every reported window stored, with or without records: a re-sync replaces whole windows.
CREATE TABLE sync_windows (
    stamp TEXT NOT NULL,
    provider_subscription_id TEXT NOT NULL,
    granularity TEXT NOT NULL,
    reported_start TEXT NOT NULL,
    reported_end TEXT NOT NULL,
    records INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    synced_at TEXT NOT NULL,
    PRIMARY KEY (stamp, provider_subscription_id, granularity, reported_start)
);

-- Run history: one row per run, one per (run, stamp, provider subscription, granularity).
CREATE TABLE sync_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    stamps TEXT NOT NULL,
    windows INTEGER NOT NULL DEFAULT 0,
    records_inserted INTEGER NOT NULL DEFAULT 0,
    records_replaced INTEGER NOT NULL DEFAULT 0,
    cost_months INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sync_run_scopes (
    run_id INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    provider_subscription_id TEXT NOT NULL,
    granularity TEXT NOT NULL,
    status TEXT NOT NULL,
    windows INTEGER NOT NULL DEFAULT 0,
    records_inserted INTEGER NOT NULL DEFAULT 0,
    records_replaced INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, stamp, provider_subscription_id, granularity)
);

-- Views for BI tools (docs/database.md). They read the exact summary tables; no sum is computed in SQL.
CREATE VIEW v_daily_usage_by_tenant_meter AS
SELECT d.stamp, d.granularity, d.usage_date,
       s.tenant_id, s.owner, d.subscription_id, s.display_name AS subscription_name, s.offer_name,
       d.meter_id, d.meter_name, d.meter_category, d.unit, d.records, d.quantity
FROM usage_daily d
LEFT JOIN subscriptions s ON s.stamp = d.stamp AND s.subscription_id = d.subscription_id;

CREATE VIEW v_monthly_cost_by_tenant AS
SELECT c.stamp, c.granularity, substr(c.billing_period_start, 1, 7) AS billing_month, c.billing_period_start, c.billing_currency,
       c.tenant_id, c.owner, c.sub_account_id AS subscription_id, c.sub_account_name AS subscription_name,
       c.offer_name, c.cost_rows, c.billed_cost, c.effective_cost, c.list_cost, c.contracted_cost
FROM cost_monthly c;

CREATE VIEW v_cost_by_tag AS
SELECT c.stamp, c.granularity, substr(c.billing_period_start, 1, 7) AS billing_month, c.billing_period_start, c.billing_currency,
       c.tag_key, c.tag_value, c.cost_rows, c.billed_cost, c.effective_cost
FROM cost_by_tag c;
