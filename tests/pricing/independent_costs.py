#!/usr/bin/env python3
"""An independent computation of usage costs, written from the rules of issue 8 (not from the
Rust code): per-subscription, per-tenant and per-tag costs of a usage CSV under a CSV rate card
and a directory file, with Python's exact `decimal` arithmetic.

    python3 independent_costs.py USAGE.csv RATECARD.csv DIRECTORY.csv TAGKEY

Prints JSON: {"currency", "records", "priced", "unpriced", "billed": {...}, "list": {...},
"contracted": {...}} where each cost map has "subscription", "tenant" and "tag" sums keyed by
the group value (decimal strings without trailing zeros).

Rules:
- price lookup: the rows of the record's meter (ids compared in lower case without dashes or
  braces) whose effective range contains the usage start (from inclusive, to exclusive);
  subscription scope beats offer scope (the directory's offer name, any case) beats "*";
- a price is the set of rows of one meter, scope and effective range: tiers by TierStart, one
  BlockSize and IncludedQuantity;
- cumulative monthly quantity per (subscription, meter, UTC month of usage start), records
  taken in (usage start, resource URI) order, input order for ties; only priced records count;
- cost of a record spanning [a, b) = F(b) - F(a), F(x) = sum over tiers of the part of [0, x)
  at or above the included quantity inside the tier, times the tier's price, over BlockSize;
- list cost = "*" tier-0 price (converted to the winning price's block) x quantity / block,
  contracted cost = winning tier-0 price x quantity / block.
"""

import csv
import decimal
import json
import sys
from datetime import datetime, timezone
from decimal import Decimal

decimal.getcontext().prec = 60  # far beyond the 28 digits of the Rust side: exact here


def key(meter_id):
    return "".join(c for c in meter_id.strip() if c not in "-{}").lower()


def instant(text):
    text = text.strip()
    if len(text) == 10:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def parse_map(text):
    """The record schema's map text: key=value;key=value with \\ escaping \\ ; =."""
    out = []
    if text == "":
        return out
    key_part, cur, in_value, escaped = "", "", False, False
    for c in text:
        if escaped:
            cur += c
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "=" and not in_value:
            key_part, cur, in_value = cur, "", True
        elif c == ";":
            out.append((key_part, cur))
            key_part, cur, in_value = "", "", False
        else:
            cur += c
    out.append((key_part, cur))
    return out


def tag_value(tags, wanted):
    for k, v in tags:
        if k == wanted:
            return v
    for k, v in tags:
        if k.lower() == wanted.lower():
            return v
    return None


def load_card(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.DictReader(lines))
    prices = {}  # meter key -> list of price dicts
    currency = None
    groups = {}
    for r in rows:
        r = {k.strip().lower(): (v or "").strip() for k, v in r.items()}
        scope = r.get("scope", "") or "*"
        if scope != "*":
            kind, _, name = scope.partition(":")
            scope = (kind.strip().lower(), name.strip().lower())
        frm = instant(r["effectivefrom"]) if r.get("effectivefrom") else None
        to = instant(r["effectiveto"]) if r.get("effectiveto") else None
        g = groups.setdefault((key(r["meterid"]), scope, frm, to), {
            "scope": scope, "from": frm, "to": to,
            "block": Decimal(r.get("blocksize") or "1"),
            "included": Decimal(r.get("includedquantity") or "0"),
            "tiers": [],
        })
        g["tiers"].append((Decimal(r.get("tierstart") or "0"), Decimal(r["unitprice"])))
        currency = r["currency"].upper()
    for (meter, *_), g in groups.items():
        g["tiers"].sort()
        assert g["tiers"][0][0] == 0
        prices.setdefault(meter, []).append(g)
    return currency, prices


def charge_to(price, x):
    if x <= 0:
        return x * price["tiers"][0][1] / price["block"]
    total = Decimal(0)
    tiers = price["tiers"]
    for i, (start, p) in enumerate(tiers):
        lo = max(start, price["included"])
        hi = min(tiers[i + 1][0], x) if i + 1 < len(tiers) else x
        if hi > lo:
            total += (hi - lo) * p
    return total / price["block"]


def lookup(prices, meter, subscription, offer, start):
    def effective(p):
        return (p["from"] is None or start >= p["from"]) and (p["to"] is None or start < p["to"])

    def rank(p):
        s = p["scope"]
        if s == "*":
            return 2
        if s[0] == "subscription":
            return 0 if s[1] == subscription.lower() else None
        if s[0] == "offer":
            return 1 if offer is not None and s[1] == offer.lower() else None
        return None

    candidates = [p for p in prices.get(meter, []) if effective(p) and rank(p) is not None]
    if not candidates:
        return None, None
    winner = min(candidates, key=rank)
    listed = next((p for p in prices.get(meter, []) if effective(p) and p["scope"] == "*"), winner)
    return winner, listed


def main():
    usage_path, card_path, directory_path, tag_key = sys.argv[1:5]
    currency, prices = load_card(card_path)
    directory = {}
    with open(directory_path, newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            directory[r["SubscriptionId"].lower()] = r

    with open(usage_path, newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f))

    billed = [None] * len(records)
    groups = {}
    for i, r in enumerate(records):
        sub = r["SubscriptionId"]
        entry = directory.get(sub.lower())
        offer = entry["OfferName"] if entry and entry["OfferName"] else None
        start = instant(r["UsageStartTime"])
        winner, _ = lookup(prices, key(r["MeterId"]), sub, offer, start)
        if winner is None:
            continue
        g = (sub.lower(), key(r["MeterId"]), start.year, start.month)
        groups.setdefault(g, []).append(i)

    for members in groups.values():
        # (start, URI) order; Python's sort is stable, so ties keep the input order. URIs compare
        # by code point, which is UTF-8 byte order.
        members.sort(key=lambda i: (instant(records[i]["UsageStartTime"]), records[i]["ResourceUri"]))
        cumulative = Decimal(0)
        for i in members:
            r = records[i]
            entry = directory.get(r["SubscriptionId"].lower())
            offer = entry["OfferName"] if entry and entry["OfferName"] else None
            winner, _ = lookup(prices, key(r["MeterId"]), r["SubscriptionId"], offer, instant(r["UsageStartTime"]))
            q = Decimal(r["Quantity"])
            a, cumulative = cumulative, cumulative + q
            billed[i] = charge_to(winner, cumulative) - charge_to(winner, a)

    sums = {kind: {"subscription": {}, "tenant": {}, "tag": {}} for kind in ("billed", "list", "contracted")}
    priced = 0
    for i, r in enumerate(records):
        if billed[i] is None:
            continue
        priced += 1
        sub = r["SubscriptionId"]
        entry = directory.get(sub.lower())
        offer = entry["OfferName"] if entry and entry["OfferName"] else None
        winner, listed = lookup(prices, key(r["MeterId"]), sub, offer, instant(r["UsageStartTime"]))
        q = Decimal(r["Quantity"])
        pricing_quantity = q / winner["block"]
        list_unit = listed["tiers"][0][1] * winner["block"] / listed["block"]
        values = {
            "billed": billed[i],
            "list": list_unit * pricing_quantity,
            "contracted": winner["tiers"][0][1] * pricing_quantity,
        }
        tenant = entry["TenantId"] if entry and entry["TenantId"] else "(unknown)"
        tag = tag_value(parse_map(r["Tags"]), tag_key)
        labels = {"subscription": sub.lower(), "tenant": tenant, "tag": "(untagged)" if tag is None else tag}
        for kind, v in values.items():
            for dim, label in labels.items():
                m = sums[kind][dim]
                m[label] = m.get(label, Decimal(0)) + v

    def text(d):
        s = format(d.normalize(), "f")
        return "0" if s in ("-0", "0E-0") else s

    out = {
        "currency": currency,
        "records": len(records),
        "priced": priced,
        "unpriced": len(records) - priced,
    }
    for kind, dims in sums.items():
        out[kind] = {dim: {k: text(v) for k, v in m.items()} for dim, m in dims.items()}
    out["billed_total"] = text(sum((b for b in billed if b is not None), Decimal(0)))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
