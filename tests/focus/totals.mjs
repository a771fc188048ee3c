// Reads one FOCUS file with DuckDB (an engine independent of this project) and prints its row count and the exact
// sum of BilledCost as JSON: {"rows": N, "billed": "123.45"}. Used by tests/pester/Pricing.Tests.ps1 to prove that
// ConvertTo-FocusCost -OutFile x.parquet is readable by other tools.
// Usage: node tests/focus/totals.mjs FILE.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node totals.mjs FILE.parquet');
  process.exit(2);
}
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const sql = `SELECT count(*) AS n, CAST(coalesce(sum(BilledCost), 0) AS VARCHAR) AS billed FROM read_parquet(${lit(file)})`;
const row = (await con.runAndReadAll(sql)).getRowObjects()[0];
console.log(JSON.stringify({ rows: Number(row.n), billed: String(row.billed) }));
