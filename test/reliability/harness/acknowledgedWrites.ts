import { fileStemForId } from '../../../src/core/fileNames';
import { call, putFile, type HttpAnswer } from './httpCalls';

/** `image\0<id>` or `label\0<id>\0<tag>`: one thing a client can write and read back (ids never hold NUL). */
type Key = string;
/** A file's bytes, or null for "not there". */
type Content = Buffer | null;

const imageKey = (id: string): Key => `image\0${id}`;
const labelKey = (id: string, tag: string): Key => `label\0${id}\0${tag}`;
function parseKey(key: Key): { kind: 'image' | 'label'; id: string; tag: string } {
  const [kind, id = '', tag = ''] = key.split('\0');
  return { kind: kind as 'image' | 'label', id, tag };
}
const showKey = (key: Key): string => {
  const { kind, id, tag } = parseKey(key);
  return kind === 'image' ? `image ${JSON.stringify(id)}` : `label ${JSON.stringify(id)} tag ${tag}`;
};

function describe(v: Content): string {
  return v === null ? 'absent' : `${v.length} bytes`;
}

export type WriteOutcome = 'acknowledged' | 'refused' | 'unknown';

/**
 * The writes sent to a server and what became of them. An acknowledged write (a 200) must survive anything; a write
 * whose answer never came (the server was killed) may or may not have happened; a refused one must not have. After a
 * restart, `verify` reads everything back, reports what breaks those rules, and takes what it read as the new truth.
 */
export class AcknowledgedWrites {
  /** What must be there: as last verified, or as the latest acknowledged write made it. */
  private readonly durable = new Map<Key, Content>();
  /** What may be there instead: effects of writes without an answer since the key was last settled. */
  private readonly possible = new Map<Key, Content[]>();
  private readonly counts = { acknowledged: 0, refused: 0, unknown: 0 };
  private readonly statuses: number[] = [];
  /** Why the latest write without an answer failed (the connection error). */
  lastError: Error | null = null;

  outcomes(): Readonly<Record<WriteOutcome, number>> {
    return { ...this.counts };
  }

  /** Every status answered to a write (for the no-5xx rule). */
  answered(): readonly number[] {
    return this.statuses;
  }

  /** `PUT /datastore/?image=id` (the file named `fileName`). Replacing an image drops its labels: part of the write's effect. */
  putImage(url: string, id: string, bytes: Buffer, options: Parameters<typeof putFile>[4] = {}, fileName = `${id}.nii`): Promise<WriteOutcome> {
    const effects = new Map<Key, Content>([[imageKey(id), bytes]]);
    for (const key of this.keys()) if (key.startsWith(`label\0${id}\0`)) effects.set(key, null);
    return this.track(effects, putFile(`${url}/datastore/?image=${encodeURIComponent(id)}`, 'file', fileName, bytes, options));
  }

  /** `PUT /datastore/label?image=id&tag=tag`. */
  putLabel(url: string, id: string, tag: string, bytes: Buffer, options: Parameters<typeof putFile>[4] = {}): Promise<WriteOutcome> {
    const effects = new Map<Key, Content>([[labelKey(id, tag), bytes]]);
    return this.track(effects, putFile(`${url}/datastore/label?image=${encodeURIComponent(id)}&tag=${tag}`, 'label', `${id}.nii`, bytes, options));
  }

  private keys(): Set<Key> {
    return new Set([...this.durable.keys(), ...this.possible.keys()]);
  }

  private async track(effects: Map<Key, Content>, answer: Promise<HttpAnswer>): Promise<WriteOutcome> {
    let outcome: WriteOutcome;
    try {
      const res = await answer;
      this.statuses.push(res.status);
      outcome = res.status === 200 ? 'acknowledged' : 'refused';
    } catch (e) {
      this.lastError = e as Error;
      outcome = 'unknown';
    }
    this.counts[outcome]++;
    for (const [key, value] of effects) {
      if (outcome === 'acknowledged') {
        this.durable.set(key, value);
        this.possible.delete(key);
      } else if (outcome === 'unknown') {
        this.possible.set(key, [...(this.possible.get(key) ?? []), value]);
      }
    }
    return outcome;
  }

  /**
   * Reads every key back (`GET /datastore/image`, `GET /datastore/label`) and checks the index (`?output=all`)
   * agrees. Returns the problems: an acknowledged write missing or changed is a lost write; anything else that the
   * writes cannot explain is listed too. `phantoms`: images without an answer that came back under their stored file
   * name rather than their id (a hashed name, `6: CT Chest` -> `6_CT_Chest-<hash>`, renamed into place before the
   * index was saved, then picked up by the folder scan): nothing acknowledged is lost, so they are reported apart.
   * What was read becomes the new durable state.
   */
  async verify(url: string): Promise<{ lost: string[]; other: string[]; phantoms: string[] }> {
    const lost: string[] = [];
    const other: string[] = [];
    const phantoms: string[] = [];
    const observed = new Map<Key, Content>();
    for (const key of [...this.keys()].sort()) {
      const res = await this.read(url, key);
      if (res.status !== 200 && res.status !== 404) {
        other.push(`${showKey(key)}: GET answered ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
        continue;
      }
      const seen: Content = res.status === 200 ? res.body : null;
      observed.set(key, seen);
      const must = this.durable.has(key) ? this.durable.get(key)! : null;
      const allowed = [must, ...(this.possible.get(key) ?? [])];
      if (allowed.some((v) => (v === null ? seen === null : seen !== null && v.equals(seen)))) continue;
      const acknowledged = this.durable.has(key) && must !== null;
      (acknowledged ? lost : other).push(`${showKey(key)}: ${describe(seen)}, expected ${allowed.map(describe).join(' or ')}`);
    }
    const dump = await call(`${url}/datastore/?output=all`);
    const model = dump.json<{ objects?: Record<string, { labels?: Record<string, unknown> }> }>();
    if (dump.status !== 200 || !model?.objects) {
      other.push(`GET /datastore/?output=all answered ${dump.status}`);
    } else {
      for (const [key, seen] of observed) {
        const { kind, id, tag } = parseKey(key);
        const object = Object.hasOwn(model.objects, id) ? model.objects[id] : undefined;
        const listed = kind === 'image' ? object !== undefined : object?.labels !== undefined && Object.hasOwn(object.labels, tag);
        if (listed !== (seen !== null)) other.push(`${showKey(key)}: the index ${listed ? 'lists it' : 'does not list it'} but GET finds it ${describe(seen)}`);
      }
      for (const id of Object.keys(model.objects)) {
        if (this.keys().has(imageKey(id))) continue;
        const res = await this.read(url, imageKey(id));
        const from = [...this.possible].find(([key, values]) => {
          const k = parseKey(key);
          return k.kind === 'image' && fileStemForId(k.id) === id && values.some((v) => v !== null && v.equals(res.body));
        });
        if (res.status === 200 && from) {
          phantoms.push(`${showKey(from[0])} (no answer) came back as image ${JSON.stringify(id)}, its file name`);
          observed.set(imageKey(id), res.body);
        } else {
          other.push(`image ${JSON.stringify(id)}: in the index but never written`);
        }
      }
    }
    for (const [key, seen] of observed) this.durable.set(key, seen);
    this.possible.clear();
    return { lost, other, phantoms };
  }

  private read(url: string, key: Key): Promise<HttpAnswer> {
    const { kind, id, tag } = parseKey(key);
    return call(kind === 'image' ? `${url}/datastore/image?image=${encodeURIComponent(id)}` : `${url}/datastore/label?label=${encodeURIComponent(id)}&tag=${tag}`);
  }
}
