//! What FOCUS calls a service and a unit, for the stamp's meters.
//!
//! `ServiceCategory` and `ServiceSubcategory` are closed lists in FOCUS 1.2, and each
//! `ServiceName` has exactly one category; the table below maps the catalog's meter categories
//! onto them. Units follow FOCUS's unit format (`GB-Hours`, `10000 Requests`) where the stamp's
//! unit text has an obvious equivalent; other units pass through unchanged.

/// A meter's service in FOCUS terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) category: &'static str,
    pub(crate) subcategory: &'static str,
}

/// (meter category, ServiceName, ServiceCategory, ServiceSubcategory).
const SERVICES: [(&str, &str, &str, &str); 9] = [
    ("Compute", "Virtual Machines", "Compute", "Virtual Machines"),
    ("Storage", "Storage Accounts", "Storage", "Storage Platforms"),
    ("Managed Disks", "Managed Disks", "Storage", "Block Storage"),
    ("Network", "Virtual Network", "Networking", "Network Infrastructure"),
    ("App Service", "App Service", "Web", "Application Platforms"),
    ("SQL RP", "SQL Server", "Databases", "Relational Databases"),
    ("MySQL RP", "MySQL", "Databases", "Relational Databases"),
    ("Key Vault", "Key Vault", "Security", "Secret Management"),
    ("Event Hubs", "Event Hubs", "Integration", "Messaging"),
];

/// The service of a meter category (the catalog's); unknown categories are their own service in
/// the category `Other`, named after the category or else the resource provider.
pub(crate) fn service_of(meter_category: &str, resource_provider: &str) -> Service {
    let c = meter_category.trim();
    if let Some((_, name, category, sub)) =
        SERVICES.iter().find(|(cat, name, _, _)| cat.eq_ignore_ascii_case(c) || name.eq_ignore_ascii_case(c))
    {
        return Service { name: (*name).to_string(), category, subcategory: sub };
    }
    let name = if !c.is_empty() {
        c.to_string()
    } else if !resource_provider.trim().is_empty() {
        resource_provider.trim().to_string()
    } else {
        "Unknown Service".to_string()
    };
    Service { name, category: "Other", subcategory: "Other (Other)" }
}

/// (stamp unit, FOCUS unit), compared case-insensitively.
const UNITS: [(&str, &str); 21] = [
    ("Virtual core hours", "Core-Hours"),
    ("VM hours", "Hours"),
    ("IP addresses", "IP Address-Hours"),
    ("GB*hours", "GB-Hours"),
    ("GB*month", "GB-Months"),
    ("MB*hours", "MB-Hours"),
    ("Byte*hours", "B-Hours"),
    ("Count of Disks*month", "Disk-Months"),
    ("Count of Disks*hours", "Disk-Hours"),
    ("Request count in 10,000s", "10000 Requests"),
    ("Requests count in 10,000s", "10000 Requests"),
    ("Ingress data in GB", "GB"),
    ("Egress in GB", "GB"),
    ("Core*hours", "Core-Hours"),
    ("1 hour", "Hours"),
    ("hours", "Hours"),
    ("10K transactions", "10000 Transactions"),
    ("GB-s", "GB-Seconds"),
    ("Per SNI SSL Binding", "Bindings"),
    ("Per IP Based SSL Binding", "Bindings"),
    ("", "Units"),
];

/// A unit in FOCUS's unit format (see the module documentation).
pub(crate) fn focus_unit(unit: &str) -> String {
    let u = unit.trim();
    UNITS
        .iter()
        .find(|(stamp, _)| stamp.eq_ignore_ascii_case(u))
        .map(|(_, f)| (*f).to_string())
        .unwrap_or_else(|| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use azs_usage_core::MeterCatalog;

    #[test]
    fn every_catalog_meter_has_a_focus_service_and_unit() {
        let mut names = std::collections::HashMap::new();
        for m in MeterCatalog::builtin().meters() {
            let s = service_of(&m.category, "");
            assert_ne!(s.category, "Other", "category {} of {} is mapped", m.category, m.name);
            // One category per service name (FOCUS ServiceName-C-005-C).
            assert_eq!(*names.entry(s.name.clone()).or_insert(s.category), s.category);
            assert!(!focus_unit(&m.unit).is_empty());
        }
        assert_eq!(focus_unit("GB*hours"), "GB-Hours");
        assert_eq!(focus_unit("requests COUNT in 10,000s"), "10000 Requests");
        assert_eq!(focus_unit("Furlongs"), "Furlongs");
        assert_eq!(service_of("", "Microsoft.Foo").name, "Microsoft.Foo");
        assert_eq!(service_of("Virtual Machines", "").category, "Compute", "a service name maps to its own category");
    }
}
