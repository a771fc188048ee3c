//! The meters the simulator emits, with the ID casing observed on real stamps.
//!
//! The full catalog (every row of the FAQ) belongs to the client core; the emulator only needs the
//! meters its simulated resource providers produce. Storage IDs are upper-case and compute/disk IDs
//! lower-case on the wire; the two network IDs are hyphen-less exactly as the FAQ prints them.

pub(crate) const VM_SIZE_HOURS: &str = "6dab500f-a4fd-49c4-956d-229bb9c8c793";
pub(crate) const WINDOWS_VM_SIZE_HOURS: &str = "9cd92d4c-bafd-4492-b278-bedc2de8232a";
pub(crate) const BASE_VM_SIZE_HOURS: &str = "fab6eb84-500b-4a09-a8ca-7358f8bbaea5";

pub(crate) const STATIC_IP: &str = "F271A8A388C44D93956A063E1D2FA80B";
pub(crate) const DYNAMIC_IP: &str = "9E2739BA86744796B465F64674B822BA";

pub(crate) const BLOCK_BLOB_CAPACITY: &str = "09F8879E-87E9-4305-A572-4B7BE209F857";
pub(crate) const PAGE_BLOB_CAPACITY: &str = "B5C15376-6C94-4FDD-B655-1A69D138ACA3";
pub(crate) const TABLE_CAPACITY: &str = "B4438D5D-453B-4EE1-B42A-DC72E377F1E4";
pub(crate) const BLOB_TRANSACTIONS: &str = "43DAF82B-4618-444A-B994-40C23F7CD438";
pub(crate) const BLOB_DATA_IN: &str = "9764F92C-E44A-498E-8DC1-AAD66587A810";
pub(crate) const BLOB_DATA_OUT: &str = "3023FEF4-ECA5-4D7B-87B3-CFBC061931E8";

pub(crate) const S10_CURRENT: &str = "d5f7731b-f639-404a-89d0-e46186e22c8d";
pub(crate) const S10_DEPRECATED: &str = "e5572fce-9f58-49d7-840c-b168c0f01fff";
pub(crate) const P10_CURRENT: &str = "e554b6bc-96cd-4938-a5b5-0da990278519";
pub(crate) const ACTUAL_STANDARD_DISK: &str = "7ba084ec-ef9c-4d64-a179-7732c6cb5e28";

pub(crate) const SQL_DB: &str = "CBCFEF9A-B91F-4597-A4D3-01FE334BED82";
pub(crate) const MYSQL_DB: &str = "E6D8CFCD-7734-495E-B1CC-5AB0B9C24BD3";
pub(crate) const EVENT_HUB_CORE: &str = "CB6A35C5-FADE-406C-B14D-6DDB7C4CA3D5";
pub(crate) const KEY_VAULT_TX: &str = "EBF13B9F-B3EA-46FE-BF54-396E93D48AB4";
pub(crate) const APP_SERVICE_SMALL_STANDARD: &str = "88039D51-A206-3A89-E9DE-C5117E2D10A6";
pub(crate) const APP_SERVICE_WEB_PROCESS: &str = "73215A6C-FA54-4284-B9C1-7E8EC871CC5B";

/// (meter id, name, unit) of every meter the simulator can emit.
pub const SIMULATED_METERS: &[(&str, &str, &str)] = &[
    (VM_SIZE_HOURS, "VM size hours", "VM hours"),
    (WINDOWS_VM_SIZE_HOURS, "Windows VM Size Hours", "Virtual core hours"),
    (BASE_VM_SIZE_HOURS, "Base VM Size Hours", "Virtual core hours"),
    (STATIC_IP, "Static IP Address Usage", "IP addresses"),
    (DYNAMIC_IP, "Dynamic IP Address Usage", "IP addresses"),
    (BLOCK_BLOB_CAPACITY, "BlockBlobCapacity", "GB*hours"),
    (PAGE_BLOB_CAPACITY, "PageBlobCapacity", "GB*hours"),
    (TABLE_CAPACITY, "TableCapacity", "GB*hours"),
    (BLOB_TRANSACTIONS, "BlobTransactions", "Requests count in 10,000s"),
    (BLOB_DATA_IN, "BlobDataTransIn", "Ingress data in GB"),
    (BLOB_DATA_OUT, "BlobDataTransOut", "Egress in GB"),
    (S10_CURRENT, "S10", "Count of Disks*month"),
    (S10_DEPRECATED, "S10", "Count of Disks*hours"),
    (P10_CURRENT, "P10", "Count of Disks*month"),
    (ACTUAL_STANDARD_DISK, "ActualStandardDiskSize", "GB*month"),
    (SQL_DB, "DatabaseSizeHourSqlMeter", "MB*hours"),
    (MYSQL_DB, "DatabaseSizeHourMySqlMeter", "MB*hours"),
    (EVENT_HUB_CORE, "1 Core", "Core*hours"),
    (KEY_VAULT_TX, "Key Vault transactions", "Request count in 10,000s"),
    (APP_SERVICE_SMALL_STANDARD, "Small Standard App Service Hours", "1 hour"),
    (APP_SERVICE_WEB_PROCESS, "Web Process", "hours"),
];
