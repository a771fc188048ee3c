// FOCUS 1.2 conformance of cost files, evaluated independently of the code that wrote them:
// the FinOps Foundation validator's rule model (../shared/focus/model-1.2.json) interpreted here,
// each static check turned into a DuckDB query over the file (CSV read as text, Parquet typed).
//
//   node conformance.mjs [--model PATH] [--currencies PATH] FILE...
//
// Prints one JSON document: per file, the rules evaluated, passed and failed (MUST and SHOULD),
// the rules skipped and why, the failures with their violating row counts, and column totals.
// Exits 1 when a MUST rule fails or a SHOULD rule fails that is not in KNOWN_SHOULD_GAPS.
//
// How the model is read (see ../shared/focus/README.md):
// - Rules are walked from the dataset's root composite; a child inherits its ancestors' row
//   Conditions, and its severity is the weakest keyword on its path (MUST > SHOULD > MAY).
// - Skipped: Dynamic rules (not checkable from data), MAY/OPTIONAL rules, rules whose
//   ApplicabilityCriteria the provider does not support (SUPPORTED below), and column checks of
//   columns the file does not have (the Presence rules judge those).
// - Strings: valid Unicode is required, not ASCII (the validator's ASCII check is stricter than
//   the spec, which keeps original values such as non-ASCII tags).
// - Nulls: a check on a null value is evaluated with SQL's IS [NOT] DISTINCT FROM, so an empty
//   ChargeClass counts as "not Correction" and the cost = unit price x quantity rules apply.
// - cost = unit price x quantity is compared with a decimal tolerance (1e-9 relative, 1e-12
//   absolute), since files hold decimals at a fixed scale.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
// The rule model lives beside the checkout (../shared/focus, as the crates mirror does), one level
// further up for a worktree in a subfolder, or where AZS_FOCUS_MODEL_DIR says.
const modelDir = [process.env.AZS_FOCUS_MODEL_DIR, resolve(here, '../../../shared/focus'), resolve(here, '../../../../shared/focus')]
  .filter(Boolean)
  .find((d) => existsSync(resolve(d, 'model-1.2.json')));
let modelPath = modelDir && resolve(modelDir, 'model-1.2.json');
let currencyPath = modelDir && resolve(modelDir, 'currency_codes.csv');
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--model') modelPath = args[++i];
  else if (args[i] === '--currencies') currencyPath = args[++i];
  else files.push(args[i]);
}
if (!modelPath || !existsSync(modelPath)) {
  console.error('conformance: the FOCUS rule model (model-1.2.json) is not in ../shared/focus; set AZS_FOCUS_MODEL_DIR or pass --model');
  process.exit(2);
}
if (files.length === 0) {
  console.error('usage: node conformance.mjs [--model PATH] [--currencies PATH] FILE...');
  process.exit(2);
}

// What a stamp's usage pricing supports (the applicability criteria of the model).
const SUPPORTED = new Set([
  'ACCOUNT_NAMING_SUPPORTED',
  'NEGOTIATED_PRICING_SUPPORTED',
  'PUBLIC_PRICE_LIST_SUPPORTED',
  'USAGE_MEASUREMENT_SUPPORTED',
  'UNIT_PRICING_SUPPORTED',
  'SUB_ACCOUNT_SUPPORTED',
  'BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED',
  'RESOURCE_TYPE_ASSIGNMENT_SUPPORTED',
  'REGION_SUPPORTED',
  'TAGGING_SUPPORTED',
]);

// SHOULD rules the files knowingly do not meet, with the reason.
const KNOWN_SHOULD_GAPS = {
  'CostAndUsage-D-033-O': 'InvoiceId: usage priced from a rate card belongs to no invoice yet',
};

const model = JSON.parse(readFileSync(modelPath, 'utf8'));
const rules = model.ModelRules;
const currencies = readFileSync(currencyPath, 'utf8').split(/\r?\n/).slice(1).map((l) => l.split(',')[1]).filter(Boolean);
const rootIds = Object.values(model.ModelDatasets).flatMap((d) => d.ModelRules);

const STRENGTH = { MUST: 3, 'MUST NOT': 3, SHOULD: 2, 'SHOULD NOT': 2, RECOMMENDED: 2, 'NOT RECOMMENDED': 2, MAY: 1, OPTIONAL: 1 };

const q = (name) => `"${name.replaceAll('"', '""')}"`;
const lit = (v) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

// DuckDB types per column of the file, and how to read a column as a number / instant.
function makeContext(format, columns) {
  const has = (c) => columns.has(c);
  const num = (c) => (!columns.has(c) ? 'NULL' : format === 'csv' ? `TRY_CAST(${q(c)} AS DOUBLE)` : `CAST(${q(c)} AS DOUBLE)`);
  return { format, columns, has, num };
}

// A column reference; a column the file does not have reads as NULL (FOCUS: absent = null).
const col = (ctx, name) => (ctx.has(name) ? q(name) : 'NULL');

// A check function as a SQL predicate over one row (null = unknown). Dataset-level checks
// (presence, types) come back as TRUE/FALSE literals.
function predicate(ctx, node) {
  const f = node.CheckFunction;
  switch (f) {
    case 'AND':
    case 'OR': {
      const parts = node.Items.map((i) => `COALESCE(${predicate(ctx, i)}, FALSE)`);
      return `(${parts.join(f === 'AND' ? ' AND ' : ' OR ')})`;
    }
    case 'CheckValue':
      if (node.Value === null) return `(${col(ctx, node.ColumnName)} IS NULL)`;
      if (typeof node.Value === 'number') return `(${ctx.num(node.ColumnName)} = ${node.Value})`;
      return `(CAST(${col(ctx, node.ColumnName)} AS VARCHAR) = ${lit(node.Value)})`;
    case 'CheckNotValue':
      if (node.Value === null) return `(${col(ctx, node.ColumnName)} IS NOT NULL)`;
      if (typeof node.Value === 'number') return `(${ctx.num(node.ColumnName)} IS DISTINCT FROM ${node.Value})`;
      return `(CAST(${col(ctx, node.ColumnName)} AS VARCHAR) IS DISTINCT FROM ${lit(node.Value)})`;
    case 'CheckSameValue':
      return `(CAST(${col(ctx, node.ColumnAName)} AS VARCHAR) IS NOT DISTINCT FROM CAST(${col(ctx, node.ColumnBName)} AS VARCHAR))`;
    case 'CheckNotSameValue':
      return `(CAST(${col(ctx, node.ColumnAName)} AS VARCHAR) IS DISTINCT FROM CAST(${col(ctx, node.ColumnBName)} AS VARCHAR))`;
    case 'CheckGreaterOrEqualThanValue':
      return `(${ctx.num(node.ColumnName)} >= ${Number(node.Value)})`;
    case 'CheckDecimalValue':
      return `(${col(ctx, node.ColumnName)} IS NULL OR ${ctx.num(node.ColumnName)} IS NOT NULL)`;
    case 'ColumnByColumnEqualsColumnValue': {
      const [a, b, c] = [ctx.num(node.ColumnAName), ctx.num(node.ColumnBName), ctx.num(node.ResultColumnName)];
      return `(${a} IS NULL OR ${b} IS NULL OR ${c} IS NULL OR abs(${a} * ${b} - ${c}) <= 1e-12 + 1e-9 * abs(${c}))`;
    }
    case 'FormatDateTime':
      if (ctx.format === 'csv') {
        return `(${col(ctx, node.ColumnName)} IS NULL OR regexp_full_match(${col(ctx, node.ColumnName)}, '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z'))`;
      }
      return (ctx.types[node.ColumnName] ?? '').startsWith('TIMESTAMP WITH TIME ZONE') ? 'TRUE' : 'FALSE';
    case 'FormatNumeric':
      if (ctx.format === 'csv') {
        // Integer, decimal or E notation; a sign only for negatives and negative exponents.
        return `(${col(ctx, node.ColumnName)} IS NULL OR regexp_full_match(${col(ctx, node.ColumnName)}, '-?(\\d+(\\.\\d+)?|\\.\\d+)(E-?\\d+)?'))`;
      }
      return /^(DECIMAL|DOUBLE|FLOAT|BIGINT|INTEGER|HUGEINT)/.test((ctx.types[node.ColumnName] ?? '')) ? 'TRUE' : 'FALSE';
    case 'FormatString':
      // VARCHAR values are valid Unicode by construction (DuckDB rejects invalid UTF-8).
      return (ctx.types[node.ColumnName] ?? '') === 'VARCHAR' ? 'TRUE' : 'FALSE';
    case 'FormatUnit':
      // The unit format's three forms: "<units>", "<quantity> <units>", "<units>-<interval>" /
      // "<units>/<interval>"; whole-number quantities, capitalised terms.
      return `(${col(ctx, node.ColumnName)} IS NULL OR regexp_full_match(${col(ctx, node.ColumnName)}, '(\\d+ )?[A-Z][A-Za-z]*( [A-Z][A-Za-z]*)*([-/](Second|Minute|Hour|Day|Week|Month|Year)s?)?'))`;
    case 'FormatCurrency':
    case 'CheckNationalCurrency':
      return `(${col(ctx, node.ColumnName)} IS NULL OR ${col(ctx, node.ColumnName)} IN (${currencies.map(lit).join(',')}))`;
    case 'TypeString':
      return (ctx.types[node.ColumnName] ?? '') === 'VARCHAR' ? 'TRUE' : 'FALSE';
    case 'TypeDecimal':
      if (ctx.format === 'csv') return `(${col(ctx, node.ColumnName)} IS NULL OR TRY_CAST(${col(ctx, node.ColumnName)} AS DECIMAL(38,10)) IS NOT NULL OR TRY_CAST(${col(ctx, node.ColumnName)} AS DOUBLE) IS NOT NULL)`;
      return /^(DECIMAL|DOUBLE|FLOAT)/.test((ctx.types[node.ColumnName] ?? '')) ? 'TRUE' : 'FALSE';
    case 'TypeDateTime':
      if (ctx.format === 'csv') return `(${col(ctx, node.ColumnName)} IS NULL OR TRY_CAST(${col(ctx, node.ColumnName)} AS TIMESTAMPTZ) IS NOT NULL)`;
      return (ctx.types[node.ColumnName] ?? '').startsWith('TIMESTAMP') ? 'TRUE' : 'FALSE';
    case 'ColumnPresent':
      return ctx.has(node.ColumnName) ? 'TRUE' : 'FALSE';
    default:
      throw new Error(`check function ${f} is not a row predicate`);
  }
}

function columnsOf(node, out = new Set()) {
  if (!node || typeof node !== 'object') return out;
  for (const k of ['ColumnName', 'ColumnAName', 'ColumnBName', 'ResultColumnName']) if (node[k]) out.add(node[k]);
  for (const i of node.Items ?? []) columnsOf(i, out);
  return out;
}

// Key-value format (ECMA-404 object, unique keys, scalar values), checked in JS on distinct values.
function keyValueViolation(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  for (const v of Object.values(value)) if (v !== null && typeof v === 'object') return 'a value is an object or array';
  // JSON.parse keeps the last of duplicate keys: count keys in the text at depth 1.
  const keys = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const token = text.slice(i, j + 1);
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      if (depth === 1 && text[k] === ':') keys.push(JSON.parse(token));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  if (new Set(keys).size !== keys.length) return 'duplicate keys';
  return null;
}

async function checkFile(con, file) {
  const format = ['.parquet', '.pq'].includes(extname(file).toLowerCase()) ? 'parquet' : 'csv';
  const source =
    format === 'csv'
      ? `read_csv(${lit(file)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`
      : `read_parquet(${lit(file)})`;
  // Loaded once: every rule queries the table.
  await con.run(`CREATE OR REPLACE TABLE focus AS SELECT * FROM ${source}`);
  const describe = (await con.runAndReadAll('DESCRIBE focus')).getRowObjects();
  const types = Object.fromEntries(describe.map((r) => [r.column_name, String(r.column_type)]));
  const ctx = { ...makeContext(format, new Set(Object.keys(types))), types };
  const rows = Number((await con.runAndReadAll('SELECT count(*) AS n FROM focus')).getRowObjects()[0].n);

  const results = [];
  const skipped = { dynamic: 0, may: 0, notApplicable: 0, columnAbsent: 0, inactive: 0 };
  const seen = new Set();

  async function violations(rule, conditions) {
    const req = rule.ValidationCriteria.Requirement;
    const where = conditions.length ? conditions.map((c) => `COALESCE(${c}, FALSE)`).join(' AND ') : 'TRUE';
    if (req.CheckFunction === 'CheckDistinctCount') {
      const sql = `SELECT count(*) AS n FROM (SELECT ${q(req.ColumnAName)} AS a, count(DISTINCT ${q(req.ColumnBName)}) AS k FROM focus WHERE ${where} AND ${q(req.ColumnAName)} IS NOT NULL GROUP BY 1 HAVING k <> ${Number(req.ExpectedCount)})`;
      return Number((await con.runAndReadAll(sql)).getRowObjects()[0].n);
    }
    if (req.CheckFunction === 'FormatKeyValue') {
      const sql = `SELECT DISTINCT CAST(${q(req.ColumnName)} AS VARCHAR) AS v FROM focus WHERE ${where} AND ${q(req.ColumnName)} IS NOT NULL`;
      const values = (await con.runAndReadAll(sql)).getRowObjects().map((r) => r.v);
      const bad = values.filter((v) => keyValueViolation(v) !== null);
      return bad.length;
    }
    if (req.CheckFunction === 'ColumnPresent') return ctx.has(req.ColumnName) ? 0 : 1;
    const sql = `SELECT count(*) AS n FROM focus WHERE ${where} AND NOT COALESCE(${predicate(ctx, req)}, FALSE)`;
    return Number((await con.runAndReadAll(sql)).getRowObjects()[0].n);
  }

  async function walk(id, conditions, strength, path) {
    const rule = rules[id];
    if (!rule) throw new Error(`rule ${id} is referenced but not defined`);
    const key = `${id}|${conditions.join('&')}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if (rule.Status && rule.Status !== 'Active') return (skipped.inactive++, true);
    if (!rule.ApplicabilityCriteria.every((c) => SUPPORTED.has(c))) return (skipped.notApplicable++, true);
    const vc = rule.ValidationCriteria;
    const own = STRENGTH[vc.Keyword] ?? 3;
    const level = Math.min(strength, own);
    if (level <= 1) return (skipped.may++, true);
    const cond = vc.Condition && Object.keys(vc.Condition).length ? [...conditions, predicateOrTrue(vc.Condition)] : conditions;
    if (rule.Function === 'Composite') {
      const req = vc.Requirement;
      const items = req.Items ?? [];
      if (req.CheckFunction === 'OR') {
        // Passes when one child passes; the children's own failures are not failures then.
        const before = results.length;
        let any = false;
        for (const item of items) if (await walk(item.ModelRuleId, cond, level, [...path, id])) any = true;
        if (any) results.splice(before).forEach((r) => results.push({ ...r, pass: true, note: 'alternative of an OR composite' }));
        return any;
      }
      let all = true;
      for (const item of items) if (!(await walk(item.ModelRuleId, cond, level, [...path, id]))) all = false;
      return all;
    }
    if (rule.Type === 'Dynamic' || !vc.Requirement || !vc.Requirement.CheckFunction) return (skipped.dynamic++, true);
    const needed = [...columnsOf(vc.Requirement)].filter((c) => !ctx.has(c));
    if (rule.Function !== 'Presence' && needed.length) return (skipped.columnAbsent++, true);
    const n = await violations(rule, cond);
    const severity = level >= 3 ? 'MUST' : 'SHOULD';
    results.push({ id, severity, keyword: vc.Keyword, pass: n === 0, violations: n, rule: vc.MustSatisfy });
    return n === 0;
  }

  function predicateOrTrue(cond) {
    return predicate(ctx, cond);
  }

  for (const root of rootIds) await walk(root, [], 3, []);

  const failures = results.filter((r) => !r.pass);
  const mustFail = failures.filter((r) => r.severity === 'MUST');
  const shouldFail = failures.filter((r) => r.severity === 'SHOULD');
  const unexplained = shouldFail.filter((r) => !KNOWN_SHOULD_GAPS[r.id]);
  const totals = {};
  for (const c of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'PricingQuantity', 'ConsumedQuantity']) {
    if (!ctx.has(c)) continue;
    const expr = format === 'csv' ? `sum(CAST(${q(c)} AS DECIMAL(38,12)))` : `sum(${q(c)})`;
    const v = (await con.runAndReadAll(`SELECT CAST(${expr} AS VARCHAR) AS s FROM focus`)).getRowObjects()[0].s;
    totals[c] = v;
  }
  return {
    file,
    format,
    rows,
    types: format === 'parquet' ? types : undefined,
    evaluated: results.length,
    must: { pass: results.filter((r) => r.severity === 'MUST' && r.pass).length, fail: mustFail.length },
    should: { pass: results.filter((r) => r.severity === 'SHOULD' && r.pass).length, fail: shouldFail.length },
    knownGaps: shouldFail.filter((r) => KNOWN_SHOULD_GAPS[r.id]).map((r) => ({ id: r.id, why: KNOWN_SHOULD_GAPS[r.id] })),
    skipped,
    failures: mustFail.concat(unexplained),
    totals,
    ok: mustFail.length === 0 && unexplained.length === 0,
  };
}

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const report = [];
for (const f of files) report.push(await checkFile(con, resolve(f)));
console.log(JSON.stringify({ model: model.Details, files: report }, null, 2));
process.exit(report.every((r) => r.ok) ? 0 : 1);
