import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../../src/core/errors';

const SRC = path.resolve(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('error catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

  test('every code has an HTTP error status and a description', () => {
    for (const code of codes) {
      const { status, description } = ERROR_CATALOGUE[code];
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  test('only the server\'s own failures are 5xx', () => {
    const serverSide = codes.filter((c) => ERROR_CATALOGUE[c].status >= 500).sort();
    expect(serverSide).toEqual(['INFER_FAILED', 'INTERNAL', 'MODEL_UNAVAILABLE', 'QUEUE_UNAVAILABLE', 'SHUTTING_DOWN', 'STORAGE_FULL', 'STORAGE_UNAVAILABLE']);
  });

  test('every code is raised somewhere in src (no dead entries)', () => {
    const text = sourceFiles(SRC)
      .filter((f) => !f.endsWith(path.join('core', 'errors.ts')))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    for (const code of codes) expect({ code, used: text.includes(`'${code}'`) }).toEqual({ code, used: true });
  });

  test('every code is documented with its status in src/server/README.md', () => {
    const readme = fs.readFileSync(path.join(SRC, 'server', 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(documented).toEqual(codes.map((c) => [c, ERROR_CATALOGUE[c].status]));
  });

  test('ApiError carries the catalogued status and the detail', () => {
    const e = new ApiError('GRID_MISMATCH', 'label shape differs');
    expect([e.status, e.detail, e.code]).toEqual([422, 'label shape differs', 'GRID_MISMATCH']);
    expect(new ApiError('QUEUE_FULL').detail).toBe(ERROR_CATALOGUE.QUEUE_FULL.description);
  });
});
