// Opens a chargeback report and its statements in headless Chromium and checks them against an
// independent sum over the input: the FOCUS CSV and the unpriced-usage CSV are parsed and summed
// here with BigInt decimals, never by the project's Rust code. (For the 1,000,000-row case, whose
// CSV would be about a gigabyte, the input's sums come from the generator's own tally in
// `expected`.)
//
//   node check.mjs CASE.json
//
// CASE.json: { name, report, statements: [paths], pdfs: [paths], focus, unpriced, expected,
//              tagKey, culture: { group, decimal }, period: { start, end }, maxBars, maxBytes,
//              browserStatements, artifacts, browser }
// Prints one line per check and "N checks passed, N failed"; exits 1 when any failed.

import { readFileSync, statSync, mkdirSync, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { chromium } from 'playwright-core';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL [${spec.name}] ${what}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}
function equal(actual, expected, what) {
  return check(actual === expected, what, `got ${actual}, expected ${expected}`);
}

// ---- exact decimals: BigInt scaled by 10^28 ---------------------------------------------------
const SCALE = 28;
const ONE = 10n ** BigInt(SCALE);
function dec(text) {
  const t = String(text ?? '').trim();
  if (t === '') return 0n;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) throw new Error(`not a decimal: '${t}'`);
  let digits = (m[2] || '0') + (m[3] || '');
  let scale = (m[3] || '').length - (m[4] ? Number(m[4]) : 0);
  if (scale < 0) { digits += '0'.repeat(-scale); scale = 0; }
  if (scale > SCALE) throw new Error(`too many decimals: '${t}'`);
  const v = BigInt(digits + '0'.repeat(SCALE - scale));
  return m[1] === '-' ? -v : v;
}
function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
const unit = (places) => 10n ** BigInt(SCALE - places);
function roundHalfAway(x, places) {
  const q = unit(places);
  const a = x < 0n ? -x : x;
  const r = ((a + q / 2n) / q) * q;
  return x < 0n ? -r : r;
}
// Largest remainder, as the report's footer documents it: floors, then the missing units to the
// largest remainders (earlier first on ties), or taken back from the smallest when negative.
function apportion(parts, target, places) {
  const q = unit(places);
  const floors = parts.map((p) => floorDiv(p, q) * q);
  const missing = (target - floors.reduce((a, b) => a + b, 0n)) / q;
  const order = parts.map((_, i) => i).sort((a, b) => {
    const ra = parts[a] - floors[a];
    const rb = parts[b] - floors[b];
    return ra === rb ? a - b : (rb > ra ? 1 : -1);
  });
  if (missing < 0n) order.reverse();
  const step = missing < 0n ? -q : q;
  const n = missing < 0n ? -missing : missing;
  for (let i = 0n; i < n; i++) floors[order[Number(i) % order.length]] += step;
  return floors;
}
function minorUnits(code) {
  if (['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].includes(code)) return 0;
  if (['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].includes(code)) return 3;
  if (['CLF', 'UYW'].includes(code)) return 4;
  return 2;
}
// A shown amount ("USD 1,234.50", "1.234,50 EUR") back to a scaled BigInt, per the culture.
function shownValue(text) {
  const { group, decimal } = spec.culture;
  let t = text.replace(/[A-Z]{3}/g, '').replace(/[\s\u00a0\u202f%]/g, '');
  if (group) t = t.split(group).join('');
  t = t.split(decimal).join('.');
  return dec(t);
}
const show = (x) => {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const s = `${a / ONE}.${(a % ONE).toString().padStart(SCALE, '0')}`.replace(/\.?0+$/, '');
  return (neg ? '-' : '') + s;
};

// ---- the input, summed here -------------------------------------------------------------------
function parseCsv(path, onRow) {
  // RFC 4180, streamed in chunks so that large files do not become one string.
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let header = null;
  let field = '';
  let row = [];
  let quoted = false;
  let pendingQuote = false;
  const decoder = new StringDecoder('utf8'); // keeps a multi-byte character split across chunks
  const endRow = () => {
    row.push(field);
    field = '';
    if (header === null) header = row;
    else if (row.length > 1 || row[0] !== '') onRow(Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])));
    row = [];
  };
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const text = decoder.write(buf.subarray(0, n));
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (pendingQuote) {
          pendingQuote = false;
          if (c === '"') { field += '"'; continue; }
          quoted = false;
        } else if (c === '"') { pendingQuote = true; continue; } else { field += c; continue; }
      }
      if (c === '"' && field === '') quoted = true;
      else if (c === ',') { row.push(field); field = ''; }
      else if (c === '\n') endRow();
      else if (c !== '\r') field += c;
    }
  }
  closeSync(fd);
  if (pendingQuote) quoted = false;
  if (field !== '' || row.length) endRow();
}

function tagValue(tags, key) {
  if (!tags) return undefined;
  if (Object.hasOwn(tags, key)) return String(tags[key]);
  const k = Object.keys(tags).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : String(tags[k]);
}
const normId = (id) => id.trim().toLowerCase().replace(/[-{}]/g, '');

function sumInput() {
  const start = spec.period ? Date.parse(spec.period.start) : -Infinity;
  const end = spec.period ? Date.parse(spec.period.end) : Infinity;
  const f = {
    currency: '', rows: 0, billed: 0n, list: 0n, contracted: 0n, tagged: 0n, tenants: {}, daily: {}, usage: {},
    tags: {}, resources: {}, unpriced: { count: 0, meters: {} }, seen: null,
  };
  const see = (s, e) => {
    if (!f.seen) f.seen = [s, e];
    f.seen = [Math.min(f.seen[0], s), Math.max(f.seen[1], e)];
  };
  const addUsage = (cat, unit, day, q) => {
    const k = `${cat}\u001f${unit}`;
    f.usage[k] ??= { total: 0n, days: {} };
    f.usage[k].total += q;
    f.usage[k].days[day] = (f.usage[k].days[day] ?? 0n) + q;
  };
  if (spec.focus) {
    parseCsv(spec.focus, (r) => {
      const s = Date.parse(r.ChargePeriodStart);
      if (!(s >= start && s < end)) return;
      see(s, Date.parse(r.ChargePeriodEnd));
      const billed = dec(r.BilledCost);
      f.currency = r.BillingCurrency;
      f.rows++;
      f.billed += billed;
      f.list += dec(r.ListCost);
      f.contracted += dec(r.ContractedCost);
      const key = r.x_TenantId ? r.x_TenantId : `subscription:${r.SubAccountId}`;
      const t = (f.tenants[key] ??= { billed: 0n, list: 0n, contracted: 0n, rows: 0, subs: {} });
      t.billed += billed; t.list += dec(r.ListCost); t.contracted += dec(r.ContractedCost); t.rows++;
      t.subs[r.SubAccountId] = (t.subs[r.SubAccountId] ?? 0n) + billed;
      const day = r.ChargePeriodStart.slice(0, 10);
      f.daily[day] ??= {};
      f.daily[day][r.ServiceCategory] = (f.daily[day][r.ServiceCategory] ?? 0n) + billed;
      addUsage(r.x_MeterCategory || r.ServiceSubcategory, r.ConsumedUnit, day, dec(r.ConsumedQuantity));
      const tags = r.Tags ? JSON.parse(r.Tags) : {};
      if (spec.tagKey) {
        const v = tagValue(tags, spec.tagKey);
        if (v !== undefined) f.tagged += billed;
        const g = v ?? '(untagged)';
        f.tags[g] = (f.tags[g] ?? 0n) + billed;
      } else if (Object.keys(tags).length) f.tagged += billed;
      f.resources[r.ResourceId] = (f.resources[r.ResourceId] ?? 0n) + billed;
    });
  }
  if (spec.unpriced) {
    parseCsv(spec.unpriced, (r) => {
      const s = Date.parse(r.UsageStartTime);
      if (!(s >= start && s < end)) return;
      see(s, Date.parse(r.UsageEndTime));
      f.unpriced.count++;
      const id = normId(r.MeterId);
      const m = (f.unpriced.meters[id] ??= { records: 0, quantity: 0n });
      m.records++;
      m.quantity += dec(r.Quantity);
      addUsage(r.MeterCategory || '(unknown)', r.Unit || '(unknown)', r.UsageStartTime.slice(0, 10), dec(r.Quantity));
    });
  }
  return f;
}

// The generator's tally (1M case): the same shape, decimals as strings.
function fromExpected(e) {
  const d = (x) => dec(x);
  const map = (o, fn) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
  return {
    currency: e.currency, rows: e.rows, billed: d(e.billed), list: d(e.list), contracted: d(e.contracted), tagged: d(e.tagged),
    tenants: map(e.tenants, (t) => ({ billed: d(t.billed), list: d(t.list), contracted: d(t.contracted), rows: t.rows, subs: map(t.subs, d) })),
    daily: map(e.daily, (day) => map(day, d)),
    usage: map(e.usage, (u) => ({ total: d(u.total), days: map(u.days, d) })),
    tags: map(e.tags, d), resources: map(e.resources, d),
    unpriced: { count: e.unpriced.count, meters: map(e.unpriced.meters, (m) => ({ records: m.records, quantity: d(m.quantity) })) },
    seen: null,
  };
}

function periodDays(f) {
  let s; let e;
  if (spec.period) { s = Date.parse(spec.period.start); e = Date.parse(spec.period.end); } else if (f.seen) [s, e] = f.seen; else return [];
  const days = [];
  for (let t = Math.floor(s / 86400000) * 86400000; t < e; t += 86400000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

// ---- the browser ------------------------------------------------------------------------------
const facts = spec.expected ? fromExpected(spec.expected) : sumInput();
const places = minorUnits(facts.currency);
const days = periodDays(facts);
const maxBars = spec.maxBars ?? 15;
const barsFor = (n) => Math.min(n, maxBars) + (n > maxBars ? 1 : 0);

const browser = await chromium.launch({
  executablePath: spec.browser || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
mkdirSync(spec.artifacts, { recursive: true });

// Opens `path` with JavaScript disabled (the pages must read without it); returns the page and
// the problems seen while loading: console errors, page errors, and any request besides the page.
const newContext = () => browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
async function open(path, shared) {
  const context = shared ?? await newContext();
  const page = await context.newPage();
  const url = pathToFileURL(path).href;
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
  page.on('requestfailed', (r) => { if (r.url() !== url) problems.push(`failed request: ${r.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, problems };
}

// Everything the checks read from a page, collected in one evaluation.
async function readReport(page) {
  return page.evaluate(() => {
    const exact = (el) => el?.getAttribute('data-exact') ?? null;
    const cell = (tr, col) => tr.querySelector(`[data-col="${col}"]`);
    const count = (svg, sel) => (svg ? svg.querySelectorAll(sel).length : -1);
    const svgText = (svg) => (svg ? [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()) : []);
    const figures = Object.fromEntries([...document.querySelectorAll('[data-figure]')].map((d) => [d.dataset.figure, {
      exact: exact(d.querySelector('dd')), shown: d.querySelector('dd').firstChild.textContent.trim(),
    }]));
    const tenantChart = document.querySelector('[data-chart="tenant-cost"]');
    const tenants = [...document.querySelectorAll('#tenant-table tbody tr[data-tenant]')].map((tr) => ({
      key: tr.dataset.tenant, rows: exact(cell(tr, 'rows')),
      billed: exact(cell(tr, 'billed')), billedShown: cell(tr, 'billed').textContent,
      list: exact(cell(tr, 'list')), contracted: exact(cell(tr, 'contracted')),
    }));
    const tenantTotal = document.querySelector('#tenant-table tfoot [data-col="billed"]');
    const daily = document.querySelector('[data-chart="daily-cost"]');
    const legend = [...daily.querySelectorAll('li[data-series]')].map((li) => ({
      label: li.dataset.series, color: li.dataset.color,
      rects: count(daily.querySelector('svg'), `rect[fill="${li.dataset.color}"]`),
    }));
    const dailyRows = [...document.querySelectorAll('#daily-table tbody tr')].map((tr) => ({
      day: tr.dataset.day,
      cells: [...tr.querySelectorAll('td[data-col]')].filter((td) => td.dataset.col !== 'total').map((td) => ({ exact: exact(td), shown: td.textContent })),
      total: { exact: exact(cell(tr, 'total')), shown: cell(tr, 'total').textContent },
    }));
    const usage = [...document.querySelectorAll('[data-chart="usage"]')].map((fig) => {
      const svg = fig.querySelector('svg');
      const lines = [...svg.querySelectorAll(`polyline[stroke="${fig.dataset.color}"]`)];
      return {
        category: fig.dataset.category, unit: fig.dataset.unit, lines: lines.length,
        points: lines.length ? lines[0].getAttribute('points').trim().split(/\s+/).length : 0,
        title: !!svg.querySelector('title'), text: svgText(svg),
      };
    });
    const usageTotals = [...document.querySelectorAll('#usage-table tfoot td')].map((td) => exact(td));
    const tagChart = document.querySelector('[data-chart="tag-cost"]');
    const tags = [...document.querySelectorAll('#tag-table tbody tr')].map((tr) => ({
      value: tr.dataset.tagValue, billed: exact(cell(tr, 'billed')), shown: cell(tr, 'billed').textContent,
    }));
    const resources = [...document.querySelectorAll('#resource-table tbody tr[data-resource]')].map((tr) => ({
      id: tr.dataset.resource, billed: exact(cell(tr, 'billed')),
    }));
    const unpriced = [...document.querySelectorAll('#unpriced-table tbody tr')].map((tr) => ({
      meter: tr.dataset.meter, records: cell(tr, 'records').textContent, quantity: exact(cell(tr, 'quantity')),
    }));
    const svgs = [...document.querySelectorAll('svg')].map((svg) => ({ id: svg.id, title: svg.querySelector('title')?.textContent ?? '', text: svgText(svg) }));
    return {
      scripts: document.scripts.length, figures, tenants, tenantTotal: { exact: exact(tenantTotal), shown: tenantTotal.textContent },
      tenantBars: count(tenantChart.querySelector('svg'), `rect[fill="${tenantChart.dataset.color}"]`),
      legend, dailyRows, usage, usageTotals,
      tagBars: tagChart ? count(tagChart.querySelector('svg'), `rect[fill="${tagChart.dataset.color}"]`) : null,
      tags, resources, unpriced, svgs,
    };
  });
}

async function readStatement(page) {
  return page.evaluate(() => ({
    scripts: document.scripts.length,
    tenantKey: document.querySelector('main').dataset.tenantKey,
    total: document.querySelector('#statement-total').getAttribute('data-exact'),
    totalShown: document.querySelector('#statement-total').textContent,
    subscriptions: [...document.querySelectorAll('#subscription-table tbody tr')].map((tr) => ({
      id: tr.dataset.subscription, exact: tr.querySelector('td.num').getAttribute('data-exact'), shown: tr.querySelector('td.num').textContent,
    })),
    sections: [...document.querySelectorAll('section.lines')].map((s) => ({
      id: s.dataset.subscription,
      lines: [...s.querySelectorAll('tbody td[data-col="cost"]')].map((td) => ({ exact: td.getAttribute('data-exact'), shown: td.textContent })),
      subtotal: s.querySelector('tfoot td.num').getAttribute('data-exact'),
      subtotalShown: s.querySelector('tfoot td.num').textContent,
    })),
  }));
}

// ---- the report -------------------------------------------------------------------------------
if (spec.maxBytes) {
  const size = statSync(spec.report).size;
  check(size < spec.maxBytes, `the report is under ${spec.maxBytes} bytes`, `${size} bytes`);
}
const { page, context, problems } = await open(spec.report);
check(problems.length === 0, 'the report loads with no console error and no request', problems.slice(0, 5).join('; '));
const r = await readReport(page);
equal(r.scripts, 0, 'the report has no script');

// Headline figures.
const billedShown = roundHalfAway(facts.billed, places);
equal(r.figures.billed.exact && show(dec(r.figures.billed.exact)), show(facts.billed), 'billed cost (exact) equals the input sum');
equal(show(shownValue(r.figures.billed.shown)), show(billedShown), 'billed cost as shown');
equal(show(dec(r.figures.list.exact)), show(facts.list), 'list cost equals the input sum');
equal(show(dec(r.figures.contracted.exact)), show(facts.contracted), 'contracted cost equals the input sum');
equal(Number(r.figures.records.exact), facts.rows, 'cost rows');
equal(Number(r.figures.tenants.exact), Object.keys(facts.tenants).length, 'tenants');
equal(Number(r.figures.unpriced.exact), facts.unpriced.count, 'unpriced records');
if (facts.billed !== 0n) {
  // Coverage shown with one decimal, half up: round(tagged * 1000 / billed) / 10.
  const permille = (facts.tagged * 2000n + facts.billed) / (2n * facts.billed);
  equal(show(shownValue(r.figures['tag-coverage'].shown)), show(dec(`${permille / 10n}.${permille % 10n}`)), 'tag coverage');
}

// Tenants: table and bars.
equal(r.tenants.length, Object.keys(facts.tenants).length, 'one tenant row per tenant');
const tenantShown = apportion(r.tenants.map((t) => facts.tenants[t.key]?.billed ?? 0n), billedShown, places);
r.tenants.forEach((t, i) => {
  const want = facts.tenants[t.key];
  if (!check(!!want, `tenant ${t.key} is in the input`)) return;
  equal(show(dec(t.billed)), show(want.billed), `tenant ${t.key} billed`);
  equal(show(dec(t.list)), show(want.list), `tenant ${t.key} list`);
  equal(show(dec(t.contracted)), show(want.contracted), `tenant ${t.key} contracted`);
  equal(Number(t.rows), want.rows, `tenant ${t.key} rows`);
  equal(show(shownValue(t.billedShown)), show(tenantShown[i]), `tenant ${t.key} billed as shown`);
});
equal(show(shownValue(r.tenantTotal.shown)), show(billedShown), 'tenant total as shown');
equal(show(tenantShown.reduce((a, b) => a + b, 0n)), show(billedShown), 'shown tenant amounts add up to the shown total');
equal(r.tenantBars, barsFor(Object.keys(facts.tenants).length), 'one bar per tenant (top bars plus one for the rest)');

// Daily cost by category: table, legend and stacked bars.
const categories = new Set(Object.values(facts.daily).flatMap((d) => Object.entries(d).filter(([, v]) => v !== 0n).map(([k]) => k)));
const legendLabels = new Set(r.legend.map((l) => l.label));
check([...categories].every((c) => legendLabels.has(c)), 'every service category with cost has a series', [...categories].join(', '));
for (const l of r.legend) {
  const withCost = Object.values(facts.daily).filter((d) => (d[l.label] ?? 0n) > 0n).length;
  equal(l.rects, withCost, `one bar segment per day with cost in ${l.label}`);
}
equal(r.dailyRows.length, days.length, 'one table row per day of the period');
let dayShownSum = 0n;
for (const row of r.dailyRows) {
  const want = facts.daily[row.day] ?? {};
  const exacts = r.legend.map((l) => want[l.label] ?? 0n);
  row.cells.forEach((c, i) => equal(show(dec(c.exact)), show(exacts[i]), `${row.day} ${r.legend[i].label}`));
  const total = exacts.reduce((a, b) => a + b, 0n);
  equal(show(dec(row.total.exact)), show(total), `${row.day} total`);
  const shownCells = row.cells.map((c) => shownValue(c.shown));
  equal(show(shownCells.reduce((a, b) => a + b, 0n)), show(shownValue(row.total.shown)), `${row.day}: shown categories add up to the shown day`);
  dayShownSum += shownValue(row.total.shown);
}
if (days.length) equal(show(dayShownSum), show(billedShown), 'shown days add up to the shown billed total');

// Usage: one chart per (meter category, unit), one line each, a point per day.
const series = Object.keys(facts.usage).sort();
equal(r.usage.length, series.length, 'one usage chart per meter category and unit');
const shownSeries = r.usage.map((u) => `${u.category}\u001f${u.unit}`);
check(series.every((s) => shownSeries.includes(s)), 'every meter category and unit of the input is charted', series.join(' | '));
r.usage.forEach((u, i) => {
  equal(u.lines, 1, `${u.category} (${u.unit}) has one line`);
  equal(u.points, days.length, `${u.category} (${u.unit}) has a point per day`);
  const want = facts.usage[`${u.category}\u001f${u.unit}`];
  if (want) equal(show(dec(r.usageTotals[i])), show(want.total), `${u.category} (${u.unit}) total quantity`);
});

// Tags.
if (spec.tagKey) {
  const values = Object.keys(facts.tags);
  equal(r.tags.length, values.length, `one row per value of ${spec.tagKey}`);
  const tagShown = apportion(r.tags.map((t) => facts.tags[t.value] ?? 0n), billedShown, places);
  r.tags.forEach((t, i) => {
    equal(show(dec(t.billed)), show(facts.tags[t.value] ?? -1n), `${spec.tagKey}=${t.value} billed`);
    equal(show(shownValue(t.shown)), show(tagShown[i]), `${spec.tagKey}=${t.value} as shown`);
  });
  const tagged = values.filter((v) => v !== '(untagged)').length;
  equal(r.tagBars, barsFor(tagged) + (values.includes('(untagged)') ? 1 : 0), 'one bar per tag value, and one for (untagged)');
}

// Top resources: the 20 largest, each equal to its rows' sum.
const top = Object.entries(facts.resources).sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : (b[1] > a[1] ? 1 : -1))).slice(0, 20);
equal(r.resources.map((x) => x.id).join('\n'), top.map(([id]) => id).join('\n'), 'the top resources are the largest by billed cost');
r.resources.forEach((x) => equal(show(dec(x.billed)), show(facts.resources[x.id] ?? -1n), `resource ${x.id} billed`));

// Unpriced usage per meter.
equal(r.unpriced.length, Object.keys(facts.unpriced.meters).length, 'one unpriced row per meter');
for (const u of r.unpriced) {
  const want = facts.unpriced.meters[normId(u.meter)];
  if (!check(!!want, `unpriced meter ${u.meter} is in the input`)) continue;
  equal(Number(u.records.replace(/\D/g, '')), want.records, `unpriced ${u.meter} records`);
  equal(show(dec(u.quantity)), show(want.quantity), `unpriced ${u.meter} quantity`);
}

// Every chart: a title, and axis descriptions with units (and the currency for costs).
for (const svg of r.svgs) {
  check(svg.title.length > 0, `chart ${svg.id} has a title`);
  check(svg.text.includes('Day (UTC)') || svg.text.includes('Tenant') || svg.text.includes(spec.tagKey ?? '\u0000'), `chart ${svg.id} labels its category axis`, svg.text.slice(0, 6).join('|'));
  if (/tenants|daily|tags/.test(svg.id) && facts.currency) {
    check(svg.text.includes(`Billed cost (${facts.currency})`), `chart ${svg.id} labels its value axis with the currency`);
  }
}
await page.screenshot({ path: join(spec.artifacts, 'report.png'), fullPage: true });
await context.close();

// ---- the statements ---------------------------------------------------------------------------
let statementExact = 0n;
let statementShown = 0n;
async function checkStatement(path, i, shared) {
  const s = await open(path, shared);
  check(s.problems.length === 0, `statement ${i + 1} loads with no console error and no request`, s.problems.slice(0, 5).join('; '));
  const st = await readStatement(s.page);
  equal(st.scripts, 0, `statement ${i + 1} has no script`);
  const want = facts.tenants[st.tenantKey];
  if (check(!!want, `statement ${i + 1} is for a tenant of the input`, st.tenantKey)) {
    equal(show(dec(st.total)), show(want.billed), `statement of ${st.tenantKey}: total equals its rows' sum`);
    for (const sub of st.subscriptions) equal(show(dec(sub.exact)), show(want.subs[sub.id] ?? -1n), `statement of ${st.tenantKey}: subscription ${sub.id}`);
  }
  for (const sec of st.sections) {
    equal(show(sec.lines.reduce((a, l) => a + dec(l.exact), 0n)), show(dec(sec.subtotal)), `statement of ${st.tenantKey}: lines of ${sec.id} add up (exact)`);
    equal(show(sec.lines.reduce((a, l) => a + shownValue(l.shown), 0n)), show(shownValue(sec.subtotalShown)), `statement of ${st.tenantKey}: lines of ${sec.id} add up (shown)`);
  }
  equal(show(st.subscriptions.reduce((a, x) => a + shownValue(x.shown), 0n)), show(shownValue(st.totalShown)), `statement of ${st.tenantKey}: subscriptions add up (shown)`);
  statementExact += dec(st.total);
  statementShown += shownValue(st.totalShown);
  if (i === 0) await s.page.screenshot({ path: join(spec.artifacts, 'statement.png'), fullPage: true });
  await s.page.close();
}
// One browser context for the statements, four pages at a time. With `browserStatements: N`
// (the 1M case's 40 tenants) only the first N open in the browser; the others' totals are read
// from their files, so the sum over all statements is still checked.
const statements = spec.statements ?? [];
const inBrowser = statements.slice(0, spec.browserStatements ?? statements.length);
const shared = await newContext();
for (let i = 0; i < inBrowser.length; i += 4) {
  await Promise.all(inBrowser.slice(i, i + 4).map((path, k) => checkStatement(path, i + k, shared)));
}
await shared.close();
for (const path of statements.slice(inBrowser.length)) {
  const html = readFileSync(path, 'utf8');
  const key = /data-tenant-key="([^"]*)"/.exec(html)?.[1];
  const total = /id="statement-total" data-exact="([^"]*)">([^<]*)</.exec(html);
  if (!check(!!key && !!total && !!facts.tenants[key], `${path} names a tenant of the input and its total`)) continue;
  equal(show(dec(total[1])), show(facts.tenants[key].billed), `statement of ${key}: total equals its rows' sum`);
  statementExact += dec(total[1]);
  statementShown += shownValue(total[2].replace(/&nbsp;/g, ' '));
}
if ((spec.statements ?? []).length) {
  equal(show(statementExact), show(facts.billed), "the statements' totals equal the report's billed total");
  equal(show(statementShown), show(billedShown), "the statements' shown totals add up to the report's shown total");
}
for (const pdf of spec.pdfs ?? []) {
  const ok = existsSync(pdf) && readFileSync(pdf).subarray(0, 5).toString() === '%PDF-';
  check(ok, `${pdf} is a PDF`);
}

await browser.close();
console.log(`[${spec.name}] ${passed} checks passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
