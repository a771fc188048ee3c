//! A realistic usage page body in the emulator's wire shape, shared by the criterion benches
//! (`azs-usage-core`'s `parse_page` and `azs-usage-ffi`'s `page_handoff`, which includes this
//! file by path). No dependencies beyond std, so both crates can use it.
//!
//! The body mixes what a stamp sends: VM records whose `instanceData` is a JSON string holding
//! double-encoded `tags`/`additionalInfo` (JSON text inside JSON text inside the page), storage
//! records with `""` tags and exponent quantities such as `6.36465847492218e-06`, upper- and
//! lower-case meter ids, `+00:00` offsets, and the `name` key repeated inside `properties`.

const SUB: &str = "9a1c4f2e-51b7-4b0f-8a4e-3d5f0c6e7b21";
const PROVIDER: &str = "0f6e9d8c-7b6a-4594-8372-61504f3e2d1c";
const VM_SIZE_HOURS: &str = "6dab500f-a4fd-49c4-956d-229bb9c8c793";
const WINDOWS_VM: &str = "9cd92d4c-bafd-4492-b278-bedc2de8232a";
const BLOCK_BLOB: &str = "09F8879E-87E9-4305-A572-4B7BE209F857";
const BLOB_TX: &str = "43DAF82B-4618-444A-B994-40C23F7CD438";
const STATIC_IP: &str = "F271A8A388C44D93956A063E1D2FA80B";

const TAGS: &[&str] = &[
    "",
    "null",
    r#"{"Kostenstelle":"Büro-Ä1","owner":"ops"}"#,
    r#"{"RG":"rg","testTag":"1"}"#,
    r#"{"Größe":"groß","env":"prod"}"#,
];

/// `s` as a JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn ts(hour: usize) -> String {
    format!("2026-10-{:02}T{:02}:00:00+00:00", 1 + hour / 24, hour % 24)
}

/// `instanceData` as the emulator writes it: an object serialized to text, whose `tags` and
/// `additionalInfo` are themselves JSON text.
fn instance_data(uri: &str, tags: &str, info: &str) -> String {
    format!(
        r#"{{"Microsoft.Resources":{{"resourceUri":{},"location":"local","tags":{},"additionalInfo":{}}}}}"#,
        js(uri),
        js(tags),
        js(info)
    )
}

/// One record in the wire shape (`quantity` is number text written verbatim).
fn record(meter: &str, hour: usize, instance: &str, quantity: &str) -> String {
    let name = format!("{SUB}-{meter}");
    format!(
        r#"{{"id":"/subscriptions/{PROVIDER}/providers/Microsoft.Commerce/UsageAggregate/{name}","name":"{name}","type":"Microsoft.Commerce/UsageAggregate","properties":{{"subscriptionId":"{SUB}","usageStartTime":"{}","usageEndTime":"{}","instanceData":{},"quantity":{quantity},"meterId":"{meter}","name":"{name}"}}}}"#,
        ts(hour),
        ts(hour + 1),
        js(instance)
    )
}

/// A page of `n` records with a `nextLink`: 60% VM records (tags and info double-encoded),
/// 20% storage (`""` tags, exponent quantities), 20% public IPs.
pub fn page_body(n: usize) -> Vec<u8> {
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let hour = i / 40;
        let k = i % 40;
        let item = match i % 5 {
            0..=2 => {
                let uri = format!(
                    "/subscriptions/{SUB}/resourceGroups/RG-Prod/providers/Microsoft.Compute/virtualMachines/vm{k:04}"
                );
                let info = r#"{"ServiceType":"Standard_D2_v2","ImageType":null,"Publisher":"MicrosoftWindowsServer","Offer":"WindowsServer","Sku":"2019-Datacenter"}"#;
                let inst = instance_data(&uri, TAGS[i % TAGS.len()], info);
                if i % 5 == 2 {
                    record(WINDOWS_VM, hour, &inst, "2.0")
                } else {
                    record(VM_SIZE_HOURS, hour, &inst, "1.0")
                }
            }
            3 => {
                let uri = format!(
                    "/subscriptions/{SUB}/resourcegroups/rg-prod/providers/Microsoft.Storage/storageAccounts/sargprod{k}"
                );
                let inst = instance_data(&uri, "", "");
                if i % 2 == 0 {
                    record(BLOB_TX, hour, &inst, "6.36465847492218e-06")
                } else {
                    record(BLOCK_BLOB, hour, &inst, "0.173862745612860")
                }
            }
            _ => {
                let uri = format!(
                    "/subscriptions/{SUB}/resourceGroups/RG-Prod/providers/Microsoft.Network/publicIPAddresses/ip{k}"
                );
                let inst = instance_data(&uri, TAGS[(i / 5) % TAGS.len()], "");
                record(STATIC_IP, hour, &inst, "1")
            }
        };
        items.push(item);
    }
    format!(
        r#"{{"value":[{}],"nextLink":"http://127.0.0.1:40000/subscriptions/{PROVIDER}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-10-01T00%3a00%3a00%2b00%3a00&reportedEndTime=2026-10-31T00%3a00%3a00%2b00%3a00&aggregationGranularity=Hourly&showDetails=true&continuationToken=eyJmIjoxLCJzIjoyfQ.abcdefghijklmnopqrstuv"}}"#,
        items.join(",")
    )
    .into_bytes()
}
