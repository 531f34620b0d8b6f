import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { moveFileAtomic } from '../../datastore/moveFileAtomic';
import { writeFileAtomic } from '../../util/atomicWrite';
import { IMAGE_EXTENSIONS, fileStemForId, splitFileName } from '../../datastore/fileNames';
import { ApiError } from '../errors';
import { isJsonObject, type JsonObject } from '../json';
import type { IncomingFile } from '../interfaces/datastore';
import type { VolumeReader } from '../interfaces/volumeReader';

/** MONAI Label's `session_info`. */
export interface SessionInfo {
  name: string;
  path: string;
  image: string;
  meta: JsonObject;
  create_ts: number;
  last_access_ts: number;
  expiry: number;
}

export interface SessionStoreOptions {
  readonly dir: string;
  readonly readVolume: VolumeReader;
  /** Seconds a session lives after its last access (MONAI's default 3600). */
  readonly defaultExpiry?: number;
}

const INFO_FILE = '.session.json';
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Short-lived uploads (`PUT /session/`): one folder per session, expired ones removed when touched or swept. */
export class SessionStore {
  readonly defaultExpiry: number;

  constructor(private readonly options: SessionStoreOptions) {
    this.defaultExpiry = options.defaultExpiry ?? 3600;
  }

  async create(files: readonly IncomingFile[], expiry: number = this.defaultExpiry): Promise<SessionInfo> {
    if (files.length === 0) throw new ApiError('MISSING_FILE', 'multipart file part "files" is required');
    const id = randomUUID();
    const folder = path.join(this.options.dir, id);
    await fs.mkdir(folder, { recursive: true });
    try {
      const images: string[] = [];
      for (const file of files) images.push(await this.storeImage(file, folder));
      const ts = nowSeconds();
      const info: SessionInfo = { name: id, path: folder, image: images[0], meta: {}, create_ts: ts, last_access_ts: ts, expiry };
      await writeFileAtomic(path.join(folder, INFO_FILE), JSON.stringify(info));
      return info;
    } catch (e) {
      await fs.rm(folder, { recursive: true, force: true });
      throw e;
    }
  }

  /** The live session, optionally with its access time refreshed; expired sessions are removed and reported missing. */
  async get(id: string, touch = false): Promise<SessionInfo> {
    const info = await this.read(id);
    if (!info || info.last_access_ts + info.expiry < nowSeconds()) {
      if (info) await fs.rm(info.path, { recursive: true, force: true });
      throw new ApiError('SESSION_NOT_FOUND', `Session (${id}) Not Found`);
    }
    if (touch) {
      info.last_access_ts = nowSeconds();
      await writeFileAtomic(path.join(info.path, INFO_FILE), JSON.stringify(info));
    }
    return info;
  }

  async remove(id: string): Promise<SessionInfo> {
    const info = await this.read(id);
    if (!info) throw new ApiError('SESSION_NOT_FOUND', 'Session Not Found');
    await fs.rm(info.path, { recursive: true, force: true });
    return info;
  }

  /** Removes every expired session; returns how many. */
  async sweep(): Promise<number> {
    const entries = await fs.readdir(this.options.dir).catch(() => [] as string[]);
    let removed = 0;
    for (const id of entries) {
      const info = await this.read(id);
      if (info && info.last_access_ts + info.expiry < nowSeconds()) {
        await fs.rm(info.path, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  private async storeImage(file: IncomingFile, folder: string): Promise<string> {
    const split = splitFileName(file.fileName || 'image.nii.gz', IMAGE_EXTENSIONS);
    if (!split) throw new ApiError('NOT_AN_IMAGE', `session file "${file.fileName}" has an unsupported extension; expected one of ${IMAGE_EXTENSIONS.join(', ')}`);
    const target = path.join(folder, `${fileStemForId(split.stem)}${split.ext}`);
    await moveFileAtomic(file.tempPath, target);
    try {
      await this.options.readVolume(target);
    } catch (e) {
      throw new ApiError('NOT_AN_IMAGE', `session file "${file.fileName}" is not a readable image: ${(e as Error).message.split(target).join(file.fileName)}`);
    }
    return target;
  }

  private async read(id: string): Promise<SessionInfo | null> {
    if (!SESSION_ID.test(id)) return null;
    const folder = path.join(this.options.dir, id);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(path.join(folder, INFO_FILE), 'utf8'));
    } catch {
      return null;
    }
    if (!isJsonObject(raw) || typeof raw.image !== 'string' || typeof raw.create_ts !== 'number') return null;
    return { ...(raw as unknown as SessionInfo), name: id, path: folder };
  }
}
