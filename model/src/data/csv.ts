import { FEATURES, type FeatureName } from '../schema.js';
import type { Dataset } from './dataset.js';

/** A CSV problem, naming the line (1-based, the header is line 1) and the field. */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly line: number,
    readonly field: string | undefined,
    message: string,
  ) {
    super(
      field === undefined ? `line ${line}: ${message}` : `line ${line}, field ${field}: ${message}`,
    );
  }
}

export const LABEL_COLUMN = 'label';

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines). */
function splitLine(line: string, lineNo: number): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new CsvError(lineNo, undefined, 'unterminated quoted field');
  cells.push(cur);
  return cells.map((s) => s.trim());
}

/**
 * Parses a training CSV: a header naming the columns, then one row per sample. Required features
 * and `label` (0 or 1) must be present; optional features may be missing (column absent or cell
 * empty: the schema default is used, as at prediction time); other columns (timestamp, namespace,
 * deployment...) are ignored. Every value must lie in its feature's valid range.
 */
export function parseTrainingCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  if (lines.length === 0)
    throw new CsvError(1, undefined, 'the file is empty; expected a header row');
  const header = splitLine(lines[0] as string, 1);
  const col = new Map<string, number>();
  header.forEach((h, i) => {
    if (col.has(h)) throw new CsvError(1, h, 'column appears twice in the header');
    col.set(h, i);
  });
  for (const f of FEATURES) {
    if (f.required && !col.has(f.name))
      throw new CsvError(1, f.name, 'required column is missing from the header');
  }
  const labelCol = col.get(LABEL_COLUMN);
  if (labelCol === undefined)
    throw new CsvError(1, LABEL_COLUMN, 'required column is missing from the header');

  const n = FEATURES.length;
  const dataLines = lines.length - 1;
  const x = new Float64Array(dataLines * n);
  const y = new Uint8Array(dataLines);
  let rows = 0;
  for (let li = 1; li < lines.length; li++) {
    const lineNo = li + 1;
    const raw = lines[li] as string;
    if (raw.trim() === '') continue;
    const cells = splitLine(raw, lineNo);
    if (cells.length !== header.length) {
      throw new CsvError(
        lineNo,
        undefined,
        `has ${cells.length} fields, the header has ${header.length}`,
      );
    }
    FEATURES.forEach((f, i) => {
      const idx = col.get(f.name);
      const cell = idx === undefined ? '' : (cells[idx] as string);
      let v: number;
      if (cell === '') {
        if (f.required) throw new CsvError(lineNo, f.name, 'is required but empty');
        v = f.default;
      } else {
        v = Number(cell);
        if (!Number.isFinite(v))
          throw new CsvError(lineNo, f.name, `"${cell}" is not a finite number`);
        if (v < f.min || v > f.max) {
          throw new CsvError(
            lineNo,
            f.name,
            `${v} is outside the valid range [${f.min}, ${f.max}]`,
          );
        }
      }
      x[rows * n + i] = v;
    });
    const label = cells[labelCol] as string;
    if (label !== '0' && label !== '1')
      throw new CsvError(lineNo, LABEL_COLUMN, `"${label}" must be 0 or 1`);
    y[rows] = label === '1' ? 1 : 0;
    rows++;
  }
  if (rows === 0) throw new CsvError(2, undefined, 'the file has a header but no data rows');
  return { x: x.slice(0, rows * n), y: y.slice(0, rows), rows };
}

/** Writes rows (raw feature values in input order) and labels as a training CSV. */
export function formatTrainingCsv(
  rows: readonly { features: readonly number[]; label: 0 | 1; extra?: Record<string, string> }[],
  extraColumns: readonly string[] = [],
): string {
  const quote = (s: string): string => (/[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const names: (FeatureName | string)[] = [
    ...extraColumns,
    ...FEATURES.map((f) => f.name),
    LABEL_COLUMN,
  ];
  const out = [names.join(',')];
  for (const r of rows) {
    out.push(
      [
        ...extraColumns.map((c) => quote(r.extra?.[c] ?? '')),
        ...r.features.map((v) => (Number.isNaN(v) ? '' : String(v))),
        String(r.label),
      ].join(','),
    );
  }
  return out.join('\n') + '\n';
}

/**
 * Splits a dataset for training and calibration: every fifth block of `block` consecutive rows
 * goes to validation, so neighbouring samples of one history mostly stay on the same side.
 */
export function splitDataset(d: Dataset, block = 50): { train: Dataset; validation: Dataset } {
  const n = FEATURES.length;
  const pick = (keep: (i: number) => boolean): Dataset => {
    const idx: number[] = [];
    for (let i = 0; i < d.rows; i++) if (keep(i)) idx.push(i);
    const x = new Float64Array(idx.length * n);
    const y = new Uint8Array(idx.length);
    idx.forEach((src, k) => {
      x.set(d.x.subarray(src * n, (src + 1) * n), k * n);
      y[k] = d.y[src] as number;
    });
    return { x, y, rows: idx.length };
  };
  const inValidation = (i: number): boolean => Math.floor(i / block) % 5 === 4;
  if (d.rows < 5 * block) {
    // Small files: every fifth row.
    return { train: pick((i) => i % 5 !== 4), validation: pick((i) => i % 5 === 4) };
  }
  return { train: pick((i) => !inValidation(i)), validation: pick(inValidation) };
}
