import * as fs from 'node:fs';
import * as path from 'node:path';
import { boundaryOf, buildMultipartDicom, parseMultipart } from './multipartRelated';

/** Basic (username + password) or bearer-token credentials; none for an open server. */
export type DicomWebAuth = { readonly username: string; readonly password: string } | { readonly bearerToken: string };

export interface DicomWebClientOptions {
  /** The DICOMweb root, e.g. `http://127.0.0.1:8042/dicom-web`. */
  readonly baseUrl: string;
  readonly auth?: DicomWebAuth;
  /** Where retrieved series are kept: `<cacheDir>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. */
  readonly cacheDir: string;
  /** Per request, default 120 s. */
  readonly timeoutMs?: number;
  /** Parallel instance downloads, default 4. */
  readonly concurrency?: number;
}

/** A series as QIDO-RS describes it. */
export interface DicomWebSeries {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly seriesDescription: string;
  readonly seriesNumber: string;
  readonly numberOfInstances: number;
  readonly patientId: string;
  readonly patientName: string;
  readonly studyDate: string;
}

/** The DICOM JSON model (PS3.18 F.2): tag -> { vr, Value }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

const TAG = {
  studyUid: '0020000D',
  seriesUid: '0020000E',
  sopUid: '00080018',
  modality: '00080060',
  seriesDescription: '0008103E',
  seriesNumber: '00200011',
  instances: '00201209',
  patientId: '00100020',
  patientName: '00100010',
  studyDate: '00080020',
  failedSops: '00081198',
  referencedSops: '00081199',
};

/** First value of a DICOM JSON attribute as text (person names: their alphabetic form); '' when absent. */
export function dicomJsonValue(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (typeof v === 'object' && v !== null && 'Alphabetic' in v) return jsonText(v.Alphabetic);
  return jsonText(v);
}

/** A DICOM JSON value as text: strings as they are, numbers in JS notation, anything else as JSON; '' for none. */
function jsonText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * A DICOMweb (QIDO-RS, WADO-RS, STOW-RS) client with a local series cache: what a `Datastore` backed by a PACS needs.
 * Every failure throws an Error naming the method, URL and HTTP status.
 */
export class DicomWebClient {
  private readonly base: string;

  constructor(private readonly opts: DicomWebClientOptions) {
    if (!/^https?:\/\//.test(opts.baseUrl)) throw new Error(`DICOMweb base URL must start with http:// or https://, got "${opts.baseUrl}"`);
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const a = this.opts.auth;
    if (!a) return extra;
    const authorization = 'bearerToken' in a ? `Bearer ${a.bearerToken}` : `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    return { ...extra, Authorization: authorization };
  }

  private async request(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, { method, headers: this.headers(headers), body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000) });
    } catch (e) {
      throw new Error(`DICOMweb ${method} ${url}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new Error(`DICOMweb ${method} ${url}: HTTP ${res.status} ${res.statusText}${text ? ` (${text})` : ''}`);
    }
    return res;
  }

  private async qido(relative: string, query: Record<string, string>): Promise<DicomJson[]> {
    const url = `${this.base}/${relative}?${new URLSearchParams(query).toString()}`;
    const res = await this.request('GET', url, { Accept: 'application/dicom+json' });
    if (res.status === 204) return [];
    const text = await res.text();
    return text.trim() === '' ? [] : (JSON.parse(text) as DicomJson[]);
  }

  /** QIDO-RS series search; default: every CT series. Extra keys are DICOM attribute filters (`PatientID`, ...). */
  async searchSeries(filters: Record<string, string> = { Modality: 'CT' }): Promise<DicomWebSeries[]> {
    const query = { ...filters, includefield: 'SeriesDescription,SeriesNumber,NumberOfSeriesRelatedInstances,PatientID,PatientName,StudyDate' };
    return (await this.qido('series', query)).map((ds) => ({
      studyInstanceUid: dicomJsonValue(ds, TAG.studyUid),
      seriesInstanceUid: dicomJsonValue(ds, TAG.seriesUid),
      modality: dicomJsonValue(ds, TAG.modality),
      seriesDescription: dicomJsonValue(ds, TAG.seriesDescription),
      seriesNumber: dicomJsonValue(ds, TAG.seriesNumber),
      numberOfInstances: Number(dicomJsonValue(ds, TAG.instances) || 0),
      patientId: dicomJsonValue(ds, TAG.patientId),
      patientName: dicomJsonValue(ds, TAG.patientName),
      studyDate: dicomJsonValue(ds, TAG.studyDate),
    }));
  }

  /** SOP Instance UIDs of a series (QIDO-RS). */
  async listInstances(studyUid: string, seriesUid: string): Promise<string[]> {
    return (await this.qido(`studies/${studyUid}/series/${seriesUid}/instances`, {})).map((ds) => dicomJsonValue(ds, TAG.sopUid));
  }

  /** WADO-RS metadata of a series: one DICOM JSON object per instance, bulk data left out. */
  async seriesMetadata(studyUid: string, seriesUid: string): Promise<DicomJson[]> {
    const url = `${this.base}/studies/${studyUid}/series/${seriesUid}/metadata`;
    return (await (await this.request('GET', url, { Accept: 'application/dicom+json' })).json()) as DicomJson[];
  }

  /** WADO-RS of one instance, as Part 10 bytes. */
  async retrieveInstance(studyUid: string, seriesUid: string, sopUid: string): Promise<Buffer> {
    const url = `${this.base}/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}`;
    const res = await this.request('GET', url, { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    const parts = parseMultipart(Buffer.from(await res.arrayBuffer()), boundaryOf(res.headers.get('content-type') ?? ''));
    const [part] = parts;
    if (parts.length !== 1 || !part) throw new Error(`DICOMweb GET ${url}: expected 1 part, got ${parts.length}`);
    return part.body;
  }

  /** Where {@link retrieveSeries} keeps a series. */
  seriesCacheDir(studyUid: string, seriesUid: string): string {
    for (const uid of [studyUid, seriesUid]) if (!/^[0-9.]+$/.test(uid)) throw new Error(`not a DICOM UID: "${uid}"`);
    return path.join(this.opts.cacheDir, studyUid, seriesUid);
  }

  /**
   * Fetches every instance of a series into the cache (WADO-RS, a few at a time) and returns the folder. The folder
   * appears complete or not at all (downloaded beside it, then renamed); a cached series is not fetched again.
   */
  async retrieveSeries(studyUid: string, seriesUid: string): Promise<string> {
    const dir = this.seriesCacheDir(studyUid, seriesUid);
    if (fs.existsSync(dir)) return dir;
    const sops = await this.listInstances(studyUid, seriesUid);
    if (sops.length === 0) throw new Error(`DICOMweb: series ${seriesUid} of study ${studyUid} has no instances`);
    const tmp = `${dir}.partial-${process.pid}-${Date.now()}`;
    fs.mkdirSync(tmp, { recursive: true });
    try {
      // The workers share one iterator: each instance is fetched once, by whichever worker takes it.
      const queue = sops.values();
      const worker = async () => {
        for (const sop of queue) {
          fs.writeFileSync(path.join(tmp, `${sop}.dcm`), await this.retrieveInstance(studyUid, seriesUid, sop));
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 4, sops.length) }, worker));
      fs.renameSync(tmp, dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (fs.existsSync(dir)) return dir; // another caller finished the same series first
      throw e;
    }
    return dir;
  }

  /** STOW-RS of Part 10 files (e.g. a DICOM SEG); throws when the server reports any instance as failed. */
  async store(files: readonly Uint8Array[]): Promise<string[]> {
    const { body, contentType } = buildMultipartDicom(files);
    const url = `${this.base}/studies`;
    const res = await this.request('POST', url, { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body);
    const text = await res.text();
    const answer = (text.trim() ? JSON.parse(text) : {}) as DicomJson;
    const failed = answer[TAG.failedSops]?.Value ?? [];
    if (failed.length > 0) throw new Error(`DICOMweb POST ${url}: ${failed.length} instance(s) refused: ${JSON.stringify(failed).slice(0, 300)}`);
    return (answer[TAG.referencedSops]?.Value ?? []).map((item) => dicomJsonValue(item as DicomJson, '00081155'));
  }
}
