//! Core types to DTOs and back. Pure translation.

use azs_usage_core::record::{format_decimal, format_instant};
use azs_usage_core::{Error, Meter, StringMap, TenantSubscription, UsageRecord};

use crate::dto::{ErrorDto, KeyValue, MeterDto, RecordDto, TenantSubscriptionDto};

/// A core error as a DTO.
pub fn error(e: &Error) -> ErrorDto {
    ErrorDto {
        kind: format!("{:?}", e.kind),
        code: e.code.clone().unwrap_or_default(),
        message: e.message.clone(),
        status: e.status.map(u32::from).unwrap_or(0),
        request_id: e.request_id.clone().unwrap_or_default(),
        attempts: e.attempts,
        resume_token: e.resume_token.clone().unwrap_or_default(),
    }
}

/// An error made in this layer, with its own code (`InvalidEndpoint`, `NotConnected`, ...).
pub fn error_of(kind: &str, code: &str, message: impl Into<String>) -> ErrorDto {
    ErrorDto {
        kind: kind.to_string(),
        code: code.to_string(),
        message: message.into(),
        status: 0,
        request_id: String::new(),
        attempts: 0,
        resume_token: String::new(),
    }
}

fn map(m: &StringMap) -> Vec<KeyValue> {
    m.iter().map(|(k, v)| KeyValue { key: k.to_string(), text: v.to_string() }).collect()
}

/// A record as a DTO.
pub fn record(r: &UsageRecord) -> RecordDto {
    RecordDto {
        subscription_id: r.subscription_id.clone(),
        meter_id: r.meter_id.clone(),
        meter_name: r.meter_name.clone(),
        meter_category: r.meter_category.clone(),
        unit: r.unit.clone(),
        quantity: format_decimal(&r.quantity),
        usage_start_time: format_instant(&r.usage_start_time),
        usage_end_time: format_instant(&r.usage_end_time),
        resource_uri: r.resource_uri.clone(),
        resource_group: r.resource_group.clone(),
        resource_provider: r.resource_provider.clone(),
        resource_type: r.resource_type.clone(),
        resource_name: r.resource_name.clone(),
        location: r.location.clone(),
        tags: map(&r.tags),
        additional_info: map(&r.additional_info),
        instance_data: r.instance_data.clone(),
    }
}

/// A meter as a DTO.
pub fn meter(m: &Meter) -> MeterDto {
    MeterDto {
        id: m.id.clone(),
        name: m.name.clone(),
        unit: m.unit.clone(),
        category: m.category.clone(),
        deprecated: u8::from(m.deprecated),
        notes: m.notes.clone(),
    }
}

/// A tenant subscription as a DTO.
pub fn tenant_subscription(s: &TenantSubscription) -> TenantSubscriptionDto {
    TenantSubscriptionDto {
        subscription_id: s.subscription_id.clone(),
        display_name: s.display_name.clone(),
        owner: s.owner.clone(),
        tenant_id: s.tenant_id.clone(),
        offer_id: s.offer_id.clone(),
        offer_name: s.offer_name.clone(),
        state: s.state.clone(),
        delegated_provider_subscription_id: s.delegated_provider_subscription_id.clone(),
        provider_subscription_id: s.provider_subscription_id.clone(),
    }
}

/// Empty text to `None`.
pub fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() { None } else { Some(t.to_string()) }
}
