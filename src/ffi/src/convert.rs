//! Core types to DTOs and back. Pure translation.

use azs_usage_core::{
    Error, Meter, Reason, StringMap, TenantSubscription, UsageRecord, format_decimal, format_instant, source_chain,
};

use crate::dto::{ErrorDto, ErrorReason, KeyValue, MeterDto, RecordDto, TenantSubscriptionDto};

impl From<Reason> for ErrorReason {
    /// One arm per reason. `Reason` is `#[non_exhaustive]`, so a reason added to the core without an
    /// arm here falls to `InternalError`; `every_core_reason_crosses_by_name` fails when that happens.
    fn from(reason: Reason) -> Self {
        match reason {
            Reason::InvalidArgument => ErrorReason::InvalidArgument,
            Reason::InvalidSubscriptionId => ErrorReason::InvalidSubscriptionId,
            Reason::InvalidTimeRange => ErrorReason::InvalidTimeRange,
            Reason::InvalidGranularity => ErrorReason::InvalidGranularity,
            Reason::InvalidApiVersion => ErrorReason::InvalidApiVersion,
            Reason::InvalidContinuationToken => ErrorReason::InvalidContinuationToken,
            Reason::InvalidEndpoint => ErrorReason::InvalidEndpoint,
            Reason::InvalidCredential => ErrorReason::InvalidCredential,
            Reason::CaFileInvalid => ErrorReason::CaFileInvalid,
            Reason::MeterFileInvalid => ErrorReason::MeterFileInvalid,
            Reason::SubscriptionNotFound => ErrorReason::SubscriptionNotFound,
            Reason::NotConnected => ErrorReason::NotConnected,
            Reason::AlreadyConnected => ErrorReason::AlreadyConnected,
            Reason::AuthenticationFailed => ErrorReason::AuthenticationFailed,
            Reason::PermissionDenied => ErrorReason::PermissionDenied,
            Reason::ServiceRejected => ErrorReason::ServiceRejected,
            Reason::ServiceUnavailable => ErrorReason::ServiceUnavailable,
            Reason::InvalidResponse => ErrorReason::InvalidResponse,
            Reason::ConnectionFailed => ErrorReason::ConnectionFailed,
            Reason::TlsFailed => ErrorReason::TlsFailed,
            Reason::OperationCancelled => ErrorReason::OperationCancelled,
            Reason::InternalError => ErrorReason::InternalError,
            Reason::RateCardInvalid => ErrorReason::RateCardInvalid,
            Reason::RateCardConflict => ErrorReason::RateCardConflict,
            Reason::UsageFileInvalid => ErrorReason::UsageFileInvalid,
            Reason::DirectoryFileInvalid => ErrorReason::DirectoryFileInvalid,
            Reason::UnpricedUsage => ErrorReason::UnpricedUsage,
            Reason::FocusFileInvalid => ErrorReason::FocusFileInvalid,
            Reason::OutputPathInvalid => ErrorReason::OutputPathInvalid,
            Reason::OutputWriteFailed => ErrorReason::OutputWriteFailed,
            Reason::DatabaseUrlInvalid => ErrorReason::DatabaseUrlInvalid,
            Reason::DatabaseUnavailable => ErrorReason::DatabaseUnavailable,
            Reason::DatabaseNotUsable => ErrorReason::DatabaseNotUsable,
            Reason::SchemaTooNew => ErrorReason::SchemaTooNew,
            Reason::SyncLocked => ErrorReason::SyncLocked,
            Reason::StampConfigInvalid => ErrorReason::StampConfigInvalid,
            Reason::ReportFailed => ErrorReason::ReportFailed,
            Reason::BrowserUnavailable => ErrorReason::BrowserUnavailable,
            _ => ErrorReason::InternalError,
        }
    }
}

/// A core error as a DTO.
pub(crate) fn error(e: &Error) -> ErrorDto {
    ErrorDto {
        reason: e.reason.into(),
        code: e.code.clone().unwrap_or_default(),
        message: e.message.clone(),
        causes: source_chain(e),
        status: e.status.map(u32::from).unwrap_or(0),
        request_id: e.request_id.clone().unwrap_or_default(),
        attempts: e.attempts,
        resume_token: e.resume_token.clone().unwrap_or_default(),
    }
}

/// An error made in this layer (`NotConnected`, `InvalidEndpoint`, ...).
pub(crate) fn error_of(reason: Reason, message: impl Into<String>) -> ErrorDto {
    error(&Error::new(reason, message))
}

fn map(m: &StringMap) -> Vec<KeyValue> {
    m.iter().map(|(k, v)| KeyValue { key: k.to_string(), text: v.to_string() }).collect()
}

/// A record as a DTO (public for the page hand-off benchmark).
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
pub(crate) fn meter(m: &Meter) -> MeterDto {
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
pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() { None } else { Some(t.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_reason_crosses_by_name() {
        for reason in Reason::ALL {
            assert_eq!(
                format!("{:?}", ErrorReason::from(*reason)),
                reason.as_str(),
                "no arm for {reason} in convert.rs"
            );
        }
    }

    #[test]
    fn causes_cross_as_text() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "access denied");
        let dto = error(&Error::new(Reason::CaFileInvalid, "cannot read CA file ca.pem").with_source(io));
        assert_eq!((dto.reason, dto.causes), (ErrorReason::CaFileInvalid, vec!["access denied".to_string()]));
    }
}
