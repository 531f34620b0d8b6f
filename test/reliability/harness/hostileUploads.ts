import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { slicerMultipartBody } from '../../server/harness/rawHttp';
import { outcomeOfRefusal, recordCase, type CaseOutcome } from './ledger';
import { datastoreLeftovers } from './leftovers';
import { startServerProcess, tempRoot, type ServerProcess } from './serverProcess';

/** The four routes a client uploads an image file through, each as the Slicer plugin sends it. */
export type UploadEndpoint = 'datastore' | 'label' | 'infer' | 'session';
export const UPLOAD_ENDPOINTS: readonly UploadEndpoint[] = ['datastore', 'label', 'infer', 'session'];

/** The image every label upload is for (`PUT /datastore/label?image=ct&tag=final`). */
export const LABEL_TARGET_ID = 'ct';

/**
 * What a case must get. `refused`: exactly `status` (or one of `alsoStatus`), a clear `detail` matching `detail`.
 * `accepted`: 200 (stored, segmented, or a session made).
 */
export type Expectation =
  | { readonly kind: 'refused'; readonly status: number; readonly detail?: RegExp; readonly alsoStatus?: readonly number[] }
  | { readonly kind: 'accepted' };

export const refused = (status: number, detail?: RegExp, alsoStatus?: readonly number[]): Expectation => ({ kind: 'refused', status, detail, alsoStatus });
export const accepted: Expectation = { kind: 'accepted' };
export const NOT_AN_IMAGE = refused(415);

/** Bytes as a client sends them, under a client-side file name (its extension picks the format). */
export interface HostileFile {
  readonly name: string;
  readonly fileName: string;
  readonly bytes: Buffer;
}

export interface HostileCase extends HostileFile {
  /** Only the endpoints named here get the file. */
  readonly expect: Partial<Record<UploadEndpoint, Expectation>>;
}

/** The same expectation on all four endpoints. */
export function everywhere(e: Expectation): Partial<Record<UploadEndpoint, Expectation>> {
  return { datastore: e, label: e, infer: e, session: e };
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** The hang bound of the suite: an answer later than this is a hang, whatever it would have been. */
export const HANG_MS = 30_000;

class HangError extends Error {}

function request(url: string, method: string, body?: { contentType: string; bytes: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      agent: false,
      headers: body ? { 'content-type': body.contentType, 'content-length': String(body.bytes.length), connection: 'close' } : { connection: 'close' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new HangError(`${method} ${url}: no answer within ${HANG_MS / 1000} s`));
    }, HANG_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          // multipart infer answers and file downloads are not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body?.bytes);
  });
}

/** What one case did, and the facts its assertions check. */
export interface CaseResult {
  readonly outcome: CaseOutcome;
  readonly status?: number;
  readonly detail?: string;
  /** The process was alive after the case and answered `GET /info/` with 200. */
  readonly healthy: boolean;
}

const detailOf = (body: unknown): string | undefined => {
  const d = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  return typeof d === 'string' ? d : undefined;
};

/** An image id per datastore case: plain, unique, so every accepted upload is a separate entry to account for. */
const caseId = (n: number) => `hostile-${String(n).padStart(4, '0')}`;

/**
 * A real `wbct serve` process with a studies folder holding the image labels are uploaded for, and the bookkeeping
 * a hostile suite needs: one request per case with a hang bound, a health check after each, a restart after a
 * crash (so one crash does not hide the cases after it), and the uploads that were accepted, so the datastore can
 * be compared with what it held at the start.
 */
export class HostileUploadBench {
  private server!: ServerProcess;
  private counter = 0;
  private before!: DatastoreKeys;
  /** Image ids and label tags (of LABEL_TARGET_ID) whose upload was answered 200. */
  readonly acceptedImages = new Set<string>();
  readonly acceptedLabelTags = new Set<string>();
  readonly crashes: string[] = [];

  private constructor(
    readonly root: string,
    readonly studiesDir: string,
    private readonly modelsDir: string,
    private readonly args: readonly string[],
  ) {}

  /** `labelTarget` is written as studies/ct.nii (a NIfTI the labels must match). */
  static async start(prefix: string, labelTarget: Buffer, args: readonly string[] = []): Promise<HostileUploadBench> {
    const root = tempRoot(prefix);
    const studies = path.join(root, 'studies');
    fs.mkdirSync(studies, { recursive: true });
    fs.writeFileSync(path.join(studies, `${LABEL_TARGET_ID}.nii`), labelTarget);
    const bench = new HostileUploadBench(root, studies, path.join(root, 'models'), args);
    await bench.launch();
    bench.before = await bench.datastoreKeys();
    return bench;
  }

  get url(): string {
    return this.server.url;
  }

  alive(): boolean {
    return this.server.alive();
  }

  stderr(): string {
    return this.server.stderr();
  }

  private async launch(): Promise<void> {
    this.server = await startServerProcess({ studiesDir: this.studiesDir, modelsDir: this.modelsDir, args: this.args });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Sends `file` through `endpoint` as the Slicer plugin would. */
  send(endpoint: UploadEndpoint, file: HostileFile, imageId = caseId(++this.counter)): Promise<{ answer: Answer; imageId?: string }> {
    const part = (field: string) => [{ field, filename: `/home/slicer/${file.fileName}`, bytes: file.bytes }];
    switch (endpoint) {
      case 'datastore':
        return request(`${this.url}/datastore/?image=${imageId}`, 'PUT', slicerMultipartBody({}, part('file'))).then((answer) => ({ answer, imageId }));
      case 'label':
        return request(`${this.url}/datastore/label?image=${LABEL_TARGET_ID}&tag=final`, 'PUT', slicerMultipartBody({}, part('label'))).then((answer) => ({ answer }));
      case 'infer':
        return request(`${this.url}/infer/wholeBody_ct_segmentation`, 'POST', slicerMultipartBody({ highres: false }, part('file'))).then((answer) => ({ answer }));
      case 'session':
        return request(`${this.url}/session/`, 'PUT', slicerMultipartBody({}, part('files'))).then((answer) => ({ answer }));
    }
  }

  /** `POST /infer` on a session's image (the session flow: upload once, segment by id). */
  inferSession(sessionId: string): Promise<Answer> {
    return request(`${this.url}/infer/wholeBody_ct_segmentation?session_id=${encodeURIComponent(sessionId)}`, 'POST', slicerMultipartBody({ highres: false }));
  }

  /**
   * Runs one request, classifies and records it (area, `endpoint: name`), and checks the process afterwards; a
   * dead server is restarted for the next case. `run` defaults to sending `file` through `endpoint`.
   */
  async runCase(area: string, endpoint: UploadEndpoint, file: HostileFile, expectation: Expectation, run?: () => Promise<Answer>): Promise<CaseResult> {
    const name = `${endpoint}: ${file.name}`;
    let answer: Answer | undefined;
    let imageId: string | undefined;
    let hang = false;
    let failure: string | undefined;
    try {
      if (run) answer = await run();
      else ({ answer, imageId } = await this.send(endpoint, file));
    } catch (e) {
      if (e instanceof HangError) hang = true;
      else failure = (e as Error).message; // connection refused or reset: the process is checked below
    }
    // Give a crashing server the moment it needs to exit.
    await new Promise((r) => setTimeout(r, 50));
    const alive = this.server.alive();
    const info = alive ? await request(`${this.url}/info/`, 'GET').catch(() => undefined) : undefined;
    const healthy = alive && info?.status === 200;
    let outcome: CaseOutcome;
    if (!alive) outcome = 'crash';
    else if (hang || !healthy) outcome = 'hang';
    else if (!answer) outcome = 'hang'; // the connection broke without an answer although the process lives on
    else if (expectation.kind === 'accepted') outcome = answer.status === 200 ? 'accepted' : answer.status >= 500 ? '5xx' : 'unclear';
    else outcome = outcomeOfRefusal(answer.status, answer.body);
    const detail = answer ? (detailOf(answer.body) ?? (answer.status === 200 ? undefined : answer.text.slice(0, 300))) : failure;
    if (answer?.status === 200 && endpoint === 'datastore' && imageId) this.acceptedImages.add(imageId);
    if (answer?.status === 200 && endpoint === 'label') this.acceptedLabelTags.add('final');
    const control = expectation.kind === 'accepted' && outcome === 'unclear' ? `valid input refused: ${detail ?? ''}` : detail;
    recordCase({ area, name, outcome, ...(answer ? { status: answer.status } : {}), ...(control !== undefined ? { detail: control.slice(0, 500) } : {}) });
    if (!alive) {
      this.crashes.push(`${name}: exited; stderr tail:\n${this.server.stderr().slice(-3000)}`);
      await this.launch();
    }
    return { outcome, status: answer?.status, detail, healthy };
  }

  async datastoreKeys(): Promise<DatastoreKeys> {
    const answer = await request(`${this.url}/datastore/?output=all`, 'GET');
    if (answer.status !== 200) throw new Error(`GET /datastore/?output=all answered ${answer.status}: ${answer.text}`);
    return datastoreKeysOf(answer.body);
  }

  /** What the datastore must hold now: what it held at the start plus exactly the accepted uploads. */
  expectedKeys(): DatastoreKeys {
    const images = [...new Set([...this.before.images, ...this.acceptedImages])].sort();
    const labels = { ...this.before.labels };
    if (this.acceptedLabelTags.size > 0) labels[LABEL_TARGET_ID] = [...new Set([...(labels[LABEL_TARGET_ID] ?? []), ...this.acceptedLabelTags])].sort();
    return { images, labels };
  }

  /** Staged or temp files left in the studies folder or its label folders. */
  leftovers(): string[] {
    return datastoreLeftovers(this.studiesDir);
  }
}

export interface DatastoreKeys {
  readonly images: readonly string[];
  /** Label tags per image that has any. */
  readonly labels: Readonly<Record<string, readonly string[]>>;
}

function datastoreKeysOf(dump: unknown): DatastoreKeys {
  const objects = (dump as { objects?: Record<string, { labels?: Record<string, unknown> }> }).objects ?? {};
  const labels: Record<string, string[]> = {};
  for (const [id, o] of Object.entries(objects)) {
    const tags = Object.keys(o.labels ?? {}).sort();
    if (tags.length > 0) labels[id] = tags;
  }
  return { images: Object.keys(objects).sort(), labels };
}

/** The assertion of one case: healthy afterwards, and the expected status with a clear detail. */
export function expectCase(result: CaseResult, expectation: Expectation): void {
  const wanted = expectation.kind === 'accepted' ? [200] : [expectation.status, ...(expectation.alsoStatus ?? [])];
  const detailOk = expectation.kind === 'refused' && expectation.detail ? expectation.detail.test(result.detail ?? '') : true;
  const got = { outcome: result.outcome, healthy: result.healthy, status: result.status, detailMatches: detailOk, detail: result.detail };
  expect(got).toEqual({
    outcome: expectation.kind === 'accepted' ? 'accepted' : 'refused',
    healthy: true,
    status: wanted.includes(result.status ?? -1) ? result.status : wanted[0],
    detailMatches: true,
    detail: result.detail,
  });
}
