import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The MONAI oracle lives outside the repo (../shared/oracle, 130 MB). Tests that need it call `oracleFile`;
 * `describeWithOracle` skips visibly, naming the folder, when it is absent.
 */
export const SHARED_DIR = process.env.WBCT_SHARED ?? path.resolve(__dirname, '..', '..', '..', 'shared');
export const ORACLE_DIR = path.join(SHARED_DIR, 'oracle');
export const FIXTURES_DIR = path.resolve(__dirname, '..', 'fixtures');

export function hasOracle(): boolean {
  return fs.existsSync(path.join(ORACLE_DIR, 'README.md'));
}

export function oracleFile(...parts: string[]): string {
  return path.join(ORACLE_DIR, ...parts);
}

export const describeWithOracle: jest.Describe = hasOracle()
  ? describe
  : (((name: string, fn: () => void) =>
      describe.skip(`${name} [SKIPPED: MONAI oracle folder not found at ${ORACLE_DIR}; set WBCT_SHARED]`, fn)) as unknown as jest.Describe);

/** A raw float32 file (the oracle's .f32), as the GPU device check reads it. */
export { readF32 } from '../../bench/gpu/tinyFixtures';

export function readU8(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(file));
}

/** Largest |a-b| over two equal-length arrays (throws when lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!); // i < a.length === b.length
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Largest |a-b| over two matrices (arrays of rows) of one shape (throws when the shapes differ). */
export function maxAbsDiffRows(a: ReadonlyArray<ArrayLike<number>>, b: ReadonlyArray<ArrayLike<number>>): number {
  if (a.length !== b.length) throw new Error(`row count mismatch: ${a.length} vs ${b.length}`);
  return a.reduce((m, row, r) => Math.max(m, maxAbsDiff(row, b[r]!)), 0); // r < a.length === b.length
}
