-- azs-usage database, schema version 1 (PostgreSQL).
-- The same logical schema exists for SQLite (migrations/sqlite/); docs/database.md describes every table.
-- Instants are timestamptz; decimals are exact numeric; maps are json (key order kept).

CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL,
    tool_version text NOT NULL
);

-- One row per usage record, as the usage API returned it for one reported window (record-schema.md, snake_case),
-- plus where it came from. A window's rows are replaced as a whole by the sync (docs/sync.md).
CREATE TABLE usage_records (
    stamp text NOT NULL,
    provider_subscription_id text NOT NULL,
    granularity text NOT NULL,
    reported_start timestamptz NOT NULL,
    reported_end timestamptz NOT NULL,
    subscription_id text NOT NULL,
    meter_id text NOT NULL,
    meter_name text NOT NULL,
    meter_category text NOT NULL,
    unit text NOT NULL,
    quantity numeric NOT NULL,
    usage_start_time timestamptz NOT NULL,
    usage_end_time timestamptz NOT NULL,
    resource_uri text NOT NULL,
    resource_group text NOT NULL,
    resource_provider text NOT NULL,
    resource_type text NOT NULL,
    resource_name text NOT NULL,
    location text NOT NULL,
    tags json NOT NULL,
    additional_info json NOT NULL,
    instance_data text NOT NULL,
    ingested_at timestamptz NOT NULL
);
CREATE INDEX usage_records_window ON usage_records (stamp, provider_subscription_id, granularity, reported_start);
CREATE INDEX usage_records_usage_time ON usage_records (stamp, granularity, usage_start_time);

-- Exact daily sums per (usage day, subscription, meter), kept in step with usage_records in the same transactions.
CREATE TABLE usage_daily (
    stamp text NOT NULL,
    granularity text NOT NULL,
    usage_date date NOT NULL,
    subscription_id text NOT NULL,
    meter_id text NOT NULL,
    meter_name text NOT NULL,
    meter_category text NOT NULL,
    unit text NOT NULL,
    records bigint NOT NULL,
    quantity numeric NOT NULL,
    PRIMARY KEY (stamp, granularity, usage_date, subscription_id, meter_id)
);

-- The tenant directory of each stamp (Microsoft.Subscriptions.Admin), refreshed by every sync run.
CREATE TABLE subscriptions (
    stamp text NOT NULL,
    subscription_id text NOT NULL,
    display_name text NOT NULL,
    owner text NOT NULL,
    tenant_id text NOT NULL,
    offer_id text NOT NULL,
    offer_name text NOT NULL,
    state text NOT NULL,
    delegated_provider_subscription_id text NOT NULL,
    provider_subscription_id text NOT NULL,
    refreshed_at timestamptz NOT NULL,
    PRIMARY KEY (stamp, subscription_id)
);

-- FOCUS 1.2 cost rows (FOCUS column names in snake_case, docs/database.md), recomputed a month at a time.
CREATE TABLE focus_costs (
    stamp text NOT NULL,
    granularity text NOT NULL,
    billed_cost numeric NOT NULL,
    billing_account_id text NOT NULL,
    billing_account_name text NOT NULL,
    billing_currency text NOT NULL,
    billing_period_end timestamptz NOT NULL,
    billing_period_start timestamptz NOT NULL,
    charge_category text NOT NULL,
    charge_class text,
    charge_description text NOT NULL,
    charge_period_end timestamptz NOT NULL,
    charge_period_start timestamptz NOT NULL,
    contracted_cost numeric NOT NULL,
    effective_cost numeric NOT NULL,
    invoice_issuer_name text NOT NULL,
    list_cost numeric NOT NULL,
    pricing_quantity numeric NOT NULL,
    pricing_unit text NOT NULL,
    provider_name text NOT NULL,
    publisher_name text NOT NULL,
    service_category text NOT NULL,
    service_name text NOT NULL,
    charge_frequency text NOT NULL,
    consumed_quantity numeric NOT NULL,
    consumed_unit text NOT NULL,
    contracted_unit_price numeric NOT NULL,
    list_unit_price numeric NOT NULL,
    pricing_category text NOT NULL,
    region_id text NOT NULL,
    region_name text NOT NULL,
    resource_id text NOT NULL,
    resource_name text NOT NULL,
    resource_type text NOT NULL,
    service_subcategory text NOT NULL,
    sku_id text NOT NULL,
    sku_meter text NOT NULL,
    sku_price_details text NOT NULL,
    sku_price_id text NOT NULL,
    sub_account_id text NOT NULL,
    sub_account_name text NOT NULL,
    sub_account_type text NOT NULL,
    tags json NOT NULL,
    x_meter_id text NOT NULL,
    x_meter_category text NOT NULL,
    x_resource_group text NOT NULL,
    x_tenant_id text NOT NULL,
    x_owner text NOT NULL,
    x_offer_name text NOT NULL,
    rate_card_id text NOT NULL,
    computed_at timestamptz NOT NULL
);
CREATE INDEX focus_costs_month ON focus_costs (stamp, granularity, billing_period_start);

-- Exact monthly cost per subscription (with its tenant), written with the month's cost rows.
CREATE TABLE cost_monthly (
    stamp text NOT NULL,
    granularity text NOT NULL,
    billing_period_start timestamptz NOT NULL,
    billing_currency text NOT NULL,
    sub_account_id text NOT NULL,
    sub_account_name text NOT NULL,
    tenant_id text NOT NULL,
    owner text NOT NULL,
    offer_name text NOT NULL,
    cost_rows bigint NOT NULL,
    billed_cost numeric NOT NULL,
    effective_cost numeric NOT NULL,
    list_cost numeric NOT NULL,
    contracted_cost numeric NOT NULL,
    PRIMARY KEY (stamp, granularity, billing_period_start, billing_currency, sub_account_id)
);

-- Exact monthly cost per tag key and value. tag_value '(untagged)' holds the rows without the key, so each key's
-- values add up to the month's total.
CREATE TABLE cost_by_tag (
    stamp text NOT NULL,
    granularity text NOT NULL,
    billing_period_start timestamptz NOT NULL,
    billing_currency text NOT NULL,
    tag_key text NOT NULL,
    tag_value text NOT NULL,
    cost_rows bigint NOT NULL,
    billed_cost numeric NOT NULL,
    effective_cost numeric NOT NULL,
    PRIMARY KEY (stamp, granularity, billing_period_start, billing_currency, tag_key, tag_value)
);

-- Months whose usage changed since their cost rows were computed (marked in the usage transaction, cleared in the
-- cost transaction, so a run killed in between leaves the mark for the next run).
CREATE TABLE cost_dirty_months (
    stamp text NOT NULL,
    granularity text NOT NULL,
    month_start timestamptz NOT NULL,
    PRIMARY KEY (stamp, granularity, month_start)
);

-- Rate cards used for cost rows, and their normalised rows.
CREATE TABLE rate_cards (
    rate_card_id text PRIMARY KEY,
    source text NOT NULL,
    currency text NOT NULL,
    loaded_at timestamptz NOT NULL
);
CREATE TABLE rate_card_rows (
    rate_card_id text NOT NULL,
    row_number integer NOT NULL,
    meter_id text NOT NULL,
    unit_price numeric NOT NULL,
    currency text NOT NULL,
    block_size numeric NOT NULL,
    included_quantity numeric NOT NULL,
    tier_start numeric NOT NULL,
    effective_from timestamptz,
    effective_to timestamptz,
    scope text NOT NULL,
    meter_name text NOT NULL,
    unit text NOT NULL,
    description text NOT NULL,
    source_line integer NOT NULL,
    PRIMARY KEY (rate_card_id, row_number)
);

-- Incremental state: the reported time up to which a (stamp, provider subscription, granularity) is complete.
CREATE TABLE sync_state (
    stamp text NOT NULL,
    provider_subscription_id text NOT NULL,
    granularity text NOT NULL,
    watermark timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    run_id bigint NOT NULL,
    PRIMARY KEY (stamp, provider_subscription_id, granularity)
);

-- Every reported window stored, with or without records: a re-sync replaces whole windows.
CREATE TABLE sync_windows (
    stamp text NOT NULL,
    provider_subscription_id text NOT NULL,
    granularity text NOT NULL,
    reported_start timestamptz NOT NULL,
    reported_end timestamptz NOT NULL,
    records bigint NOT NULL,
    run_id bigint NOT NULL,
    synced_at timestamptz NOT NULL,
    PRIMARY KEY (stamp, provider_subscription_id, granularity, reported_start)
);

-- Run history: one row per run, one per (run, stamp, provider subscription, granularity).
CREATE TABLE sync_runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    status text NOT NULL,
    host text NOT NULL,
    pid bigint NOT NULL,
    tool_version text NOT NULL,
    stamps text NOT NULL,
    windows bigint NOT NULL DEFAULT 0,
    records_inserted bigint NOT NULL DEFAULT 0,
    records_replaced bigint NOT NULL DEFAULT 0,
    cost_months bigint NOT NULL DEFAULT 0,
    errors text NOT NULL DEFAULT ''
);
CREATE TABLE sync_run_scopes (
    run_id bigint NOT NULL,
    stamp text NOT NULL,
    provider_subscription_id text NOT NULL,
    granularity text NOT NULL,
    status text NOT NULL,
    windows bigint NOT NULL DEFAULT 0,
    records_inserted bigint NOT NULL DEFAULT 0,
    records_replaced bigint NOT NULL DEFAULT 0,
    error text NOT NULL DEFAULT '',
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
SELECT c.stamp, c.granularity, to_char(c.billing_period_start AT TIME ZONE 'UTC', 'YYYY-MM') AS billing_month, c.billing_period_start, c.billing_currency,
       c.tenant_id, c.owner, c.sub_account_id AS subscription_id, c.sub_account_name AS subscription_name,
       c.offer_name, c.cost_rows, c.billed_cost, c.effective_cost, c.list_cost, c.contracted_cost
FROM cost_monthly c;

CREATE VIEW v_cost_by_tag AS
SELECT c.stamp, c.granularity, to_char(c.billing_period_start AT TIME ZONE 'UTC', 'YYYY-MM') AS billing_month, c.billing_period_start, c.billing_currency,
       c.tag_key, c.tag_value, c.cost_rows, c.billed_cost, c.effective_cost
FROM cost_by_tag c;
