import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * What one hostile or malformed case did. `refused`: the expected refusal with a clear message (over HTTP a 4xx
 * whose JSON `detail` explains it; from the CLI or a library call an error naming the problem, exit 1).
 * `accepted`: a case meant to succeed (a valid legacy .pt, a kill -9 after which every acknowledged write is intact,
 * a valid token on its own role). The others are failures the suite counts and the README reports (all 0):
 * `unclear` a 4xx without a useful detail, `5xx`, `hang` no answer in time, `crash` the process died, `lost-write`
 * an acknowledged write missing or changed, `escalation` something done that the caller had no right to.
 */
export type CaseOutcome = 'refused' | 'accepted' | 'unclear' | '5xx' | 'hang' | 'crash' | 'lost-write' | 'escalation';

export interface CaseRecord {
  /** The suite (test file) area: `nifti`, `nrrd`, `dicom`, `weights`, `auth`, `kill-9`, ... */
  readonly area: string;
  readonly name: string;
  readonly outcome: CaseOutcome;
  readonly status?: number;
  readonly detail?: string;
}

/** The folder the reporter made for this jest run (inherited by the workers), or a per-process one. */
function ledgerDir(): string {
  const dir = process.env.WBCT_LEDGER_DIR ?? path.join(os.tmpdir(), `wbct-ledger-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Appends one case to this worker's ledger file (JSON lines); the robustness reporter sums them after the run. */
export function recordCase(record: CaseRecord): void {
  fs.appendFileSync(path.join(ledgerDir(), `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/**
 * Classifies an HTTP answer to a case that must be refused: a 4xx with a non-empty `detail` other than the generic
 * one is clear; 5xx, a missing body or a success are failures (a success on a hostile case is an escalation).
 */
export function outcomeOfRefusal(status: number, body: unknown): CaseOutcome {
  if (status >= 500) return '5xx';
  if (status < 400) return 'escalation';
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  return typeof detail === 'string' && detail.trim().length > 3 && detail !== 'Internal server error' ? 'refused' : 'unclear';
}
