//! Parsing of one usage page body into records and the `nextLink`, tolerating every quirk listed
//! in usage-api.md §2.3: string or exponent quantities, `instanceData` as a string (or object)
//! whose `tags`/`additionalInfo` are null, `""`, `"null"`, objects or (double-)encoded JSON text,
//! meter ids in any form, and resource URIs in any case.
//!
//! The page is deserialized into borrowed wire types so that plain strings are not copied twice.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::catalog::MeterCatalog;
use crate::error::{Error, Reason, Result};
use crate::record::{StringMap, UsageRecord};

/// One parsed page.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPage {
    /// The records, in the order the service sent them.
    pub records: Vec<UsageRecord>,
    /// `nextLink` exactly as sent; `None` when absent, null or empty.
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
struct WirePage<'a> {
    #[serde(borrow, default)]
    value: Option<Vec<WireItem<'a>>>,
    #[serde(rename = "nextLink", borrow, default)]
    next_link: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireItem<'a> {
    #[serde(borrow, default)]
    properties: Option<WireProps<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProps<'a> {
    #[serde(borrow, default)]
    subscription_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    usage_start_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    usage_end_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    instance_data: Option<InstanceField<'a>>,
    #[serde(default)]
    quantity: Option<Value>,
    #[serde(borrow, default)]
    meter_id: Option<Cow<'a, str>>,
}

/// `instanceData` is documented as a JSON string; accept an object too (public Azure style).
enum InstanceField<'a> {
    Text(Cow<'a, str>),
    Object(Value),
    Null,
}

impl<'de: 'a, 'a> Deserialize<'de> for InstanceField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = InstanceField<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(InstanceField::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(InstanceField::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(InstanceField::Text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(InstanceField::Null)
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(InstanceField::Null)
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> std::result::Result<Self::Value, M::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(InstanceField::Object)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct WireInstance<'a> {
    #[serde(rename = "Microsoft.Resources", borrow, default)]
    resources: Option<WireResources<'a>>,
}

#[derive(Deserialize)]
struct WireResources<'a> {
    #[serde(rename = "resourceUri", alias = "ResourceUri", alias = "resourceURI", borrow, default)]
    resource_uri: Option<Cow<'a, str>>,
    #[serde(alias = "Location", borrow, default)]
    location: Option<Cow<'a, str>>,
    #[serde(alias = "Tags", default)]
    tags: Option<Value>,
    #[serde(rename = "additionalInfo", alias = "AdditionalInfo", default)]
    additional_info: Option<Value>,
}

/// What is pulled out of `instanceData`; everything defaults to empty.
#[derive(Default)]
struct InstanceParts {
    resource_uri: String,
    location: String,
    tags: StringMap,
    additional_info: StringMap,
}

/// The `nextLink` of a page and whether its `value` holds any record, read without building the
/// records (a fraction of [`parse_page`]'s cost), so the next request can start while this page
/// is parsed. `None` when the body does not even have that shape: [`parse_page`] then reports it.
pub fn peek_page(body: &[u8]) -> Option<(Option<String>, bool)> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(default)]
        value: Option<Vec<serde::de::IgnoredAny>>,
        #[serde(default, rename = "nextLink")]
        next_link: Option<String>,
    }
    let peek: Peek = serde_json::from_slice(body).ok()?;
    let has_records = !peek.value?.is_empty();
    Some((peek.next_link.filter(|l| !l.trim().is_empty()), has_records))
}

/// Parses one page body. `content_type` is only used to describe a body that is not a page.
pub fn parse_page(body: &[u8], content_type: Option<&str>, catalog: &MeterCatalog) -> Result<ParsedPage> {
    let wire: WirePage<'_> = serde_json::from_slice(body).map_err(|e| decode_error(&e, body, content_type))?;
    let Some(items) = wire.value else {
        return Err(Error::new(
            Reason::InvalidResponse,
            format!("the response is JSON but has no 'value' array; {}", describe_body(body, content_type)),
        ));
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let props = item.properties.ok_or_else(|| record_error(i, "has no 'properties'"))?;
        records.push(build_record(i, props, catalog)?);
    }
    let next_link = wire.next_link.map(Cow::into_owned).filter(|s| !s.trim().is_empty());
    Ok(ParsedPage { records, next_link })
}

fn record_error(i: usize, what: &str) -> Error {
    Error::new(Reason::InvalidResponse, format!("usage record #{} of the page {what}", i + 1))
}

fn build_record(i: usize, p: WireProps<'_>, catalog: &MeterCatalog) -> Result<UsageRecord> {
    let start = p.usage_start_time.as_deref().ok_or_else(|| record_error(i, "has no usageStartTime"))?;
    let end = p.usage_end_time.as_deref().ok_or_else(|| record_error(i, "has no usageEndTime"))?;
    let usage_start_time = parse_wire_time(start)
        .ok_or_else(|| record_error(i, &format!("has an invalid usageStartTime '{}'", clip(start))))?;
    let usage_end_time =
        parse_wire_time(end).ok_or_else(|| record_error(i, &format!("has an invalid usageEndTime '{}'", clip(end))))?;
    let quantity = match &p.quantity {
        Some(v) => parse_quantity(v)
            .ok_or_else(|| record_error(i, &format!("has an invalid quantity {}", clip(&v.to_string()))))?,
        None => return Err(record_error(i, "has no quantity")),
    };
    let meter_id = p.meter_id.map(Cow::into_owned).unwrap_or_default();
    let (meter_name, meter_category, unit) = match catalog.lookup(&meter_id) {
        Some(m) => (m.name.clone(), m.category.clone(), m.unit.clone()),
        None => Default::default(),
    };
    let (instance_data, parts) = match p.instance_data {
        Some(InstanceField::Text(s)) => {
            let parts = parse_instance_text(&s, 0);
            (s.into_owned(), parts)
        }
        Some(InstanceField::Object(v)) => (v.to_string(), parts_from_value(&v)),
        Some(InstanceField::Null) | None => (String::new(), InstanceParts::default()),
    };
    let uri = split_resource_uri(&parts.resource_uri);
    Ok(UsageRecord {
        subscription_id: p.subscription_id.map(Cow::into_owned).unwrap_or_default(),
        meter_id,
        meter_name,
        meter_category,
        unit,
        quantity,
        usage_start_time,
        usage_end_time,
        resource_group: uri.group,
        resource_provider: uri.provider,
        resource_type: uri.rtype,
        resource_name: uri.name,
        resource_uri: parts.resource_uri,
        location: parts.location,
        tags: parts.tags,
        additional_info: parts.additional_info,
        instance_data,
    })
}

/// `+00:00` or `Z` (RFC 3339); a time without an offset is taken as UTC, as the service means it.
fn parse_wire_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc())
}

/// Exact decimal from the JSON text of a number (arbitrary_precision keeps the digits) or a string.
fn parse_quantity(v: &Value) -> Option<Decimal> {
    let text: Cow<'_, str> = match v {
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::String(s) => Cow::Borrowed(s.trim()),
        _ => return None,
    };
    parse_decimal_text(&text)
}

pub(crate) fn parse_decimal_text(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text.replace('E', "e")).ok()
    } else {
        text.parse::<Decimal>().ok().or_else(|| Decimal::from_str_exact(text).ok())
    }
}

fn parse_instance_text(s: &str, depth: u8) -> InstanceParts {
    let t = s.trim();
    if t.is_empty() || t == "null" || depth > 2 {
        return InstanceParts::default();
    }
    if let Ok(w) = serde_json::from_str::<WireInstance<'_>>(t) {
        let Some(r) = w.resources else { return InstanceParts::default() };
        return InstanceParts {
            resource_uri: r.resource_uri.map(Cow::into_owned).unwrap_or_default(),
            location: r.location.map(Cow::into_owned).unwrap_or_default(),
            tags: r.tags.map(|v| to_string_map(v, 0)).unwrap_or_default(),
            additional_info: r.additional_info.map(|v| to_string_map(v, 0)).unwrap_or_default(),
        };
    }
    // Double-encoded: a JSON string whose content is the JSON object.
    match serde_json::from_str::<String>(t) {
        Ok(inner) => parse_instance_text(&inner, depth + 1),
        Err(_) => InstanceParts::default(),
    }
}

fn parts_from_value(v: &Value) -> InstanceParts {
    let Some(r) = v.get("Microsoft.Resources") else { return InstanceParts::default() };
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| r.get(*k)).and_then(Value::as_str).map(str::to_owned).unwrap_or_default()
    };
    let map =
        |keys: &[&str]| keys.iter().find_map(|k| r.get(*k)).map(|v| to_string_map(v.clone(), 0)).unwrap_or_default();
    InstanceParts {
        resource_uri: text(&["resourceUri", "ResourceUri", "resourceURI"]),
        location: text(&["location", "Location"]),
        tags: map(&["tags", "Tags"]),
        additional_info: map(&["additionalInfo", "AdditionalInfo"]),
    }
}

/// Tags / additionalInfo in any of their forms → an ordered text map. Anything that is not an
/// object after unwrapping (a number, an array, non-JSON text) gives an empty map: the raw text
/// is still in `InstanceData`.
fn to_string_map(v: Value, depth: u8) -> StringMap {
    match v {
        Value::Object(m) => StringMap(m.into_iter().map(|(k, v)| (k, value_text(v))).collect()),
        Value::String(s) if depth < 3 => {
            let t = s.trim();
            if t.is_empty() || t == "null" {
                return StringMap::default();
            }
            serde_json::from_str::<Value>(t).map(|inner| to_string_map(inner, depth + 1)).unwrap_or_default()
        }
        _ => StringMap::default(),
    }
}

/// A value as text: null → empty, strings as is, everything else compact JSON.
fn value_text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The parts of an ARM resource id.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourceParts {
    pub(crate) group: String,
    pub(crate) provider: String,
    pub(crate) rtype: String,
    pub(crate) name: String,
}

/// Splits `/subscriptions/s/resourceGroups/g/providers/NS/t1/n1/t2/n2` into group `g`, provider
/// `NS`, type `t1/t2` and name `n1/n2`. Segment names match any case; `\` counts as `/`.
pub(crate) fn split_resource_uri(uri: &str) -> ResourceParts {
    let mut out = ResourceParts::default();
    if uri.is_empty() {
        return out;
    }
    let norm = uri.replace('\\', "/");
    let segs: Vec<&str> = norm.split('/').map(str::trim).filter(|s| !s.is_empty()).collect();
    let pos = |name: &str| segs.iter().position(|s| s.eq_ignore_ascii_case(name));
    if let Some(i) = pos("resourceGroups")
        && let Some(g) = segs.get(i + 1)
        && !g.eq_ignore_ascii_case("providers")
    {
        out.group = (*g).to_string();
    }
    if let Some(p) = pos("providers")
        && let Some(ns) = segs.get(p + 1)
    {
        out.provider = (*ns).to_string();
        let rest = &segs[(p + 2).min(segs.len())..];
        out.rtype = rest.iter().step_by(2).copied().collect::<Vec<_>>().join("/");
        out.name = rest.iter().skip(1).step_by(2).copied().collect::<Vec<_>>().join("/");
    }
    out
}

/// The `{"error":{"code","message","target"}}` body of a failed request (also the flat form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceError {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) target: Option<String>,
}

impl ServiceError {
    /// The property an ARM `InvalidProperty` answer is about: its `target`, else the name quoted in
    /// its documented message form "The property 'continuationToken' is invalid ...".
    pub(crate) fn property(&self) -> Option<String> {
        if let Some(t) = self.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            return Some(t.to_string());
        }
        let message = self.message.as_deref()?;
        let rest = &message[message.find("property '")? + "property '".len()..];
        Some(rest[..rest.find('\'')?].to_string())
    }
}

/// Parses an ARM error body; `None` when it is not one.
pub(crate) fn parse_error_body(body: &[u8]) -> Option<ServiceError> {
    #[derive(Deserialize)]
    struct Def {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        target: Option<String>,
    }
    #[derive(Deserialize)]
    struct Wrapped {
        #[serde(default)]
        error: Option<Def>,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        target: Option<String>,
    }
    let w: Wrapped = serde_json::from_slice(body).ok()?;
    let def = w.error.unwrap_or(Def { code: w.code, message: w.message, target: w.target });
    if def.code.is_none() && def.message.is_none() {
        return None;
    }
    Some(ServiceError { code: def.code, message: def.message, target: def.target })
}

fn decode_error(e: &serde_json::Error, body: &[u8], content_type: Option<&str>) -> Error {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let what = if body.iter().all(u8::is_ascii_whitespace) {
        "the response body is empty".to_string()
    } else if first == Some(b'<') {
        "the response is HTML/XML, not a JSON usage page (a proxy, login or error page?)".to_string()
    } else if e.is_eof() {
        format!("the response body is truncated (JSON ended early: {e})")
    } else if e.is_syntax() {
        format!("the response is not valid JSON ({e})")
    } else {
        format!("the response JSON is not a usage page ({e})")
    };
    Error::new(Reason::InvalidResponse, format!("{what}; {}", describe_body(body, content_type)))
}

/// "received content-type X, N bytes, starting with: …" with control characters removed.
pub(crate) fn describe_body(body: &[u8], content_type: Option<&str>) -> String {
    format!(
        "received content-type {}, {} bytes, starting with: \"{}\"",
        content_type.map(sanitize).unwrap_or_else(|| "(none)".into()),
        body.len(),
        snippet(body)
    )
}

/// The first ~100 characters of a body, printable and single-line.
pub(crate) fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(400)];
    let text = String::from_utf8_lossy(head);
    let mut s: String = sanitize(&text).chars().take(100).collect();
    if text.chars().count() > 100 || body.len() > head.len() {
        s.push('…');
    }
    s
}

fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        let c = if c.is_control() || c.is_whitespace() { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    out.trim().to_string()
}

fn clip(s: &str) -> String {
    sanitize(&s.chars().take(60).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_reads_the_link_and_whether_records_follow() {
        assert_eq!(
            peek_page(br#"{"value":[{"a":1},{"b":[2]}],"nextLink":"https://h/x?continuationToken=t"}"#),
            Some((Some("https://h/x?continuationToken=t".into()), true))
        );
        assert_eq!(peek_page(br#"{"value":[],"nextLink":"https://h/x"}"#), Some((Some("https://h/x".into()), false)));
        assert_eq!(peek_page(br#"{"value":[{}],"nextLink":"  "}"#), Some((None, true)));
        assert_eq!(peek_page(br#"{"value":[{}]}"#), Some((None, true)));
        assert_eq!(peek_page(b"<html>proxy error</html>"), None);
        assert_eq!(peek_page(br#"{"value":[{"a":1}"#), None, "truncated");
    }

    fn catalog() -> MeterCatalog {
        MeterCatalog::builtin()
    }

    /// A page with one record whose `instanceData` is built from `inner` (a JSON object as text).
    fn page_with(inner_resources: &str, quantity: &str, meter: &str) -> Vec<u8> {
        let instance = format!("{{\"Microsoft.Resources\":{inner_resources}}}");
        let instance_json = serde_json::to_string(&instance).unwrap();
        format!(
            r#"{{"value":[{{"id":"x","name":"y","type":"Microsoft.Commerce/UsageAggregate","properties":{{
            "subscriptionId":"42274f77-d385-4df0-b47f-a7822e095571","usageStartTime":"2019-12-10T18:00:00+00:00",
            "usageEndTime":"2019-12-10T19:00:00Z","instanceData":{instance_json},"quantity":{quantity},
            "meterId":"{meter}"}}}}]}}"#
        )
        .into_bytes()
    }

    fn one(body: &[u8]) -> UsageRecord {
        let p = parse_page(body, Some("application/json"), &catalog()).unwrap();
        assert_eq!(p.records.len(), 1);
        p.records.into_iter().next().unwrap()
    }

    const URI: &str = r#""resourceUri":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","location":"local""#;

    #[test]
    fn recorded_example_parses() {
        let body = br#"{"value":[{
  "id":"/subscriptions/39c82aed-b2b7-4a66-abdb-611de00bf11e/providers/Microsoft.Commerce/UsageAggregate/42274f77-6dab500f",
  "name":"42274f77-d385-4df0-b47f-a7822e095571-6dab500f-a4fd-49c4-956d-229bb9c8c793",
  "type":"Microsoft.Commerce/UsageAggregate",
  "properties":{
    "subscriptionId":"42274f77-d385-4df0-b47f-a7822e095571",
    "usageStartTime":"2019-12-10T18:00:00+00:00",
    "usageEndTime":"2019-12-10T19:00:00+00:00",
    "instanceData":"{\"Microsoft.Resources\":{\"resourceUri\":\"/subscriptions/42274f77-d385-4df0-b47f-a7822e095571/resourceGroups/c1c5d0eb/providers/Microsoft.Compute/virtualMachines/ffbcdeee\",\"location\":\"northwest\",\"tags\":\"{\\\"RG\\\":\\\"rg\\\",\\\"testTag\\\":\\\"1\\\"}\",\"additionalInfo\":\"{\\\"ServiceType\\\":\\\"Standard_A0\\\",\\\"ImageType\\\":null,\\\"Publisher\\\":\\\"MicrosoftWindowsServer\\\",\\\"Offer\\\":\\\"WindowsServer\\\",\\\"Sku\\\":\\\"2012-R2-Datacenter\\\"}\"}}",
    "quantity":1.0,
    "meterId":"6dab500f-a4fd-49c4-956d-229bb9c8c793",
    "name":"42274f77-d385-4df0-b47f-a7822e095571-6dab500f-a4fd-49c4-956d-229bb9c8c793"}}]}"#;
        let r = one(body);
        assert_eq!(r.meter_name, "VM size hours");
        assert_eq!(r.meter_category, "Compute");
        assert_eq!(r.unit, "VM hours");
        assert_eq!(r.quantity, Decimal::ONE);
        assert_eq!(r.resource_group, "c1c5d0eb");
        assert_eq!(r.resource_provider, "Microsoft.Compute");
        assert_eq!(r.resource_type, "virtualMachines");
        assert_eq!(r.resource_name, "ffbcdeee");
        assert_eq!(r.location, "northwest");
        assert_eq!(r.tags.to_string(), "RG=rg;testTag=1");
        assert_eq!(
            r.additional_info.to_string(),
            "ServiceType=Standard_A0;ImageType=;Publisher=MicrosoftWindowsServer;Offer=WindowsServer;Sku=2012-R2-Datacenter"
        );
        assert!(r.instance_data.starts_with("{\"Microsoft.Resources\""));
        assert_eq!(crate::record::format_instant(&r.usage_start_time), "2019-12-10T18:00:00Z");
    }

    #[test]
    fn every_tags_form() {
        let cases: &[(&str, &str)] = &[
            ("null", ""),
            ("\"\"", ""),
            ("\"null\"", ""),
            (r#"{"a":"1","b":"2"}"#, "a=1;b=2"),
            (r#""{\"a\":\"1\",\"b\":\"2\"}""#, "a=1;b=2"),
            // Double-encoded: a JSON string holding the JSON text of a string holding the object.
            (r#""\"{\\\"a\\\":\\\"1\\\"}\"""#, "a=1"),
            (r#""not json""#, ""),
            ("[1,2]", ""),
        ];
        for (form, want) in cases {
            let inner = format!("{{{URI},\"tags\":{form},\"additionalInfo\":{form}}}");
            let r = one(&page_with(&inner, "1", "x"));
            assert_eq!(r.tags.to_string(), *want, "tags form {form}");
            assert_eq!(r.additional_info.to_string(), *want, "additionalInfo form {form}");
        }
        // Missing keys entirely.
        let r = one(&page_with(&format!("{{{URI}}}"), "1", "x"));
        assert!(r.tags.is_empty() && r.additional_info.is_empty());
        assert_eq!(r.resource_name, "vm1");
    }

    #[test]
    fn additional_info_values_as_text() {
        let inner =
            format!(r#"{{{URI},"additionalInfo":{{"n":null,"i":5,"f":1.50,"b":true,"o":{{"x":[1, "y"]}},"s":"t"}}}}"#);
        let r = one(&page_with(&inner, "1", "x"));
        let m: Vec<_> = r.additional_info.iter().collect();
        assert_eq!(m, vec![("n", ""), ("i", "5"), ("f", "1.50"), ("b", "true"), ("o", r#"{"x":[1,"y"]}"#), ("s", "t")]);
    }

    #[test]
    fn quantities_are_exact() {
        let cases = [
            ("6.36465847492218e-06", "0.00000636465847492218"),
            ("0.0013440860215053762", "0.0013440860215053762"),
            ("\"16.461425899527967\"", "16.461425899527967"),
            ("\" 2.4 \"", "2.4"),
            ("1E3", "1000"),
            ("0", "0"),
        ];
        for (q, want) in cases {
            let r = one(&page_with(&format!("{{{URI}}}"), q, "x"));
            assert_eq!(crate::record::format_decimal(&r.quantity), want, "quantity {q}");
        }
        for bad in ["\"abc\"", "null", "true"] {
            let e = parse_page(&page_with(&format!("{{{URI}}}"), bad, "x"), None, &catalog()).unwrap_err();
            assert_eq!(e.reason, Reason::InvalidResponse);
            assert!(e.message.contains("quantity"), "{}", e.message);
        }
    }

    #[test]
    fn meter_id_forms() {
        for id in [
            "B5C15376-6C94-4FDD-B655-1A69D138ACA3",
            "b5c15376-6c94-4fdd-b655-1a69d138aca3",
            "B5C153766C944FDDB6551A69D138ACA3",
        ] {
            let r = one(&page_with(&format!("{{{URI}}}"), "1", id));
            assert_eq!(r.meter_name, "PageBlobCapacity", "{id}");
            assert_eq!(r.meter_id, id, "kept as sent");
        }
        let r = one(&page_with(&format!("{{{URI}}}"), "1", "custom-worker-tier-42"));
        assert_eq!((r.meter_id.as_str(), r.meter_name.as_str(), r.unit.as_str()), ("custom-worker-tier-42", "", ""));
    }

    #[test]
    fn resource_uri_forms() {
        let p = split_resource_uri(
            "/subscriptions/s/resourcegroups/RG1/providers/Microsoft.Storage/storageAccounts/sa01/blobServices/default",
        );
        assert_eq!(
            p,
            ResourceParts {
                group: "RG1".into(),
                provider: "Microsoft.Storage".into(),
                rtype: "storageAccounts/blobServices".into(),
                name: "sa01/default".into()
            }
        );
        let p = split_resource_uri(r"\SUBSCRIPTIONS\s\RESOURCEGROUPS\g\PROVIDERS\Microsoft.Compute\disks\d1");
        assert_eq!(
            (p.group.as_str(), p.provider.as_str(), p.rtype.as_str(), p.name.as_str()),
            ("g", "Microsoft.Compute", "disks", "d1")
        );
        let p = split_resource_uri("/subscriptions/s/providers/Microsoft.Web/sites");
        assert_eq!(
            (p.group.as_str(), p.provider.as_str(), p.rtype.as_str(), p.name.as_str()),
            ("", "Microsoft.Web", "sites", "")
        );
        assert_eq!(split_resource_uri("garbage"), ResourceParts::default());
        assert_eq!(split_resource_uri(""), ResourceParts::default());
    }

    #[test]
    fn odd_instance_data_is_not_an_error() {
        for inst in ["\"\"", "null", "\"null\"", "\"{not json\"", "\"{}\"", "\"{\\\"Other\\\":1}\""] {
            let body = format!(
                r#"{{"value":[{{"properties":{{"subscriptionId":"s","usageStartTime":"2019-12-10T18:00:00+00:00","usageEndTime":"2019-12-10T19:00:00+00:00","instanceData":{inst},"quantity":2,"meterId":"m"}}}}]}}"#
            );
            let r = one(body.as_bytes());
            assert!(r.resource_uri.is_empty() && r.tags.is_empty(), "{inst}");
        }
        // instanceData as an object (public Azure style).
        let body = br#"{"value":[{"properties":{"subscriptionId":"s","usageStartTime":"2019-12-10T18:00:00+00:00","usageEndTime":"2019-12-10T19:00:00+00:00","instanceData":{"Microsoft.Resources":{"resourceUri":"/subscriptions/s/resourceGroups/g/providers/P/t/n","tags":{"k":"v"}}},"quantity":2,"meterId":"m"}}]}"#;
        let r = one(body);
        assert_eq!((r.resource_name.as_str(), r.tags.to_string().as_str()), ("n", "k=v"));
    }

    #[test]
    fn next_link_forms() {
        let cat = catalog();
        assert_eq!(parse_page(br#"{"value":[]}"#, None, &cat).unwrap().next_link, None);
        assert_eq!(parse_page(br#"{"value":[],"nextLink":null}"#, None, &cat).unwrap().next_link, None);
        assert_eq!(parse_page(br#"{"value":[],"nextLink":""}"#, None, &cat).unwrap().next_link, None);
        let p = parse_page(br#"{"value":[],"nextLink":"https://h/x?continuationToken=a%3d%3d"}"#, None, &cat).unwrap();
        assert_eq!(p.next_link.as_deref(), Some("https://h/x?continuationToken=a%3d%3d"));
    }

    #[test]
    fn bad_bodies_are_decode_errors() {
        let cat = catalog();
        let html = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>proxy login</body></html>";
        let e = parse_page(html, Some("text/html; charset=utf-8"), &cat).unwrap_err();
        assert_eq!(e.reason, Reason::InvalidResponse);
        assert!(
            e.message.contains("HTML")
                && e.message.contains("text/html")
                && e.message.contains("<!DOCTYPE html> <html>"),
            "{}",
            e.message
        );

        let full = page_with(&format!("{{{URI}}}"), "1", "x");
        let e = parse_page(&full[..full.len() / 2], Some("application/json"), &cat).unwrap_err();
        assert_eq!(e.reason, Reason::InvalidResponse);
        assert!(e.message.contains("truncated"), "{}", e.message);

        let e = parse_page(b"", None, &cat).unwrap_err();
        assert!(e.message.contains("empty") && e.message.contains("(none)"), "{}", e.message);
        let e = parse_page(b"hello world", Some("text/plain"), &cat).unwrap_err();
        assert!(e.message.contains("not valid JSON") && e.message.contains("hello world"), "{}", e.message);
        let e = parse_page(br#"{"error":{"code":"X","message":"y"}}"#, None, &cat).unwrap_err();
        assert!(e.message.contains("no 'value'"), "{}", e.message);
        let long = vec![b'x'; 5000];
        let e = parse_page(&long, None, &cat).unwrap_err();
        assert!(e.message.len() < 400, "{}", e.message);
        let e = parse_page(
            br#"{"value":[{"properties":{"usageStartTime":"2019-12-10T18:00:00Z","quantity":1}}]}"#,
            None,
            &cat,
        )
        .unwrap_err();
        assert!(e.message.contains("#1") && e.message.contains("usageEndTime"), "{}", e.message);
    }

    #[test]
    fn error_bodies() {
        let e = parse_error_body(br#"{"error":{"code":"GatewayTimeout","message":"m","details":[]}}"#).unwrap();
        assert_eq!((e.code.as_deref(), e.message.as_deref(), e.property()), (Some("GatewayTimeout"), Some("m"), None));
        let e = parse_error_body(br#"{"code":"C","message":"m"}"#).unwrap();
        assert_eq!((e.code.as_deref(), e.message.as_deref()), (Some("C"), Some("m")));
        assert_eq!(parse_error_body(b"<html>"), None);
        assert_eq!(parse_error_body(br#"{"error":{}}"#), None);
        // ARM's InvalidProperty names the property in `target` or, as documented, in its message.
        let named =
            br#"{"error":{"code":"InvalidProperty","message":"The property 'continuationToken' is invalid: x."}}"#;
        assert_eq!(parse_error_body(named).unwrap().property().as_deref(), Some("continuationToken"));
        let target = br#"{"error":{"code":"InvalidProperty","message":"bad","target":"reportedEndTime"}}"#;
        assert_eq!(parse_error_body(target).unwrap().property().as_deref(), Some("reportedEndTime"));
    }
}
