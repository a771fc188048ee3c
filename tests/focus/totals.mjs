// Reads one Parquet file with DuckDB (an engine independent of this project) and prints its row count and every
// value of one decimal column (BilledCost unless named) as DuckDB's exact text, in file order, as JSON:
// {"rows": N, "billed": ["0.01", ...]} ("billed" holds the named column's values)
// (DuckDB's sum of a DECIMAL(38, 18) comes back as a double, so the caller sums the text exactly). Used by tests/pester/Pricing.Tests.ps1 to prove that
// ConvertTo-FocusCost -OutFile x.parquet is readable by other tools, and by the store's export tests.
// Usage: node tests/focus/totals.mjs FILE.parquet [COLUMN]
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const column = process.argv[3] ?? 'BilledCost';
if (!file) {
  console.error('usage: node totals.mjs FILE.parquet');
  process.exit(2);
}
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const source = `read_parquet(${lit(file)})`;
const n = (await con.runAndReadAll(`SELECT count(*) AS n FROM ${source}`)).getRowObjects()[0].n;
const quoted = `"${column.replaceAll('"', '""')}"`;
const billed = (await con.runAndReadAll(`SELECT CAST(${quoted} AS VARCHAR) AS v FROM ${source}`)).getRowObjects().map((r) => String(r.v));
console.log(JSON.stringify({ rows: Number(n), billed }));
