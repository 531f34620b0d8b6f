import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TotalSegStudies } from '../../apps/totalseg/createTotalSegApp';
import { isDicomWebUrl, openDicomWebStudies } from '../../apps/totalseg/dicomWebStudies';
import type { DicomWebAuth } from '../../dicom/dicomWebClient';
import type { VolumeReader } from '../../core/volumeReader';
import { UsageError } from '../usageError';

/** `wbct serve` options for a DICOMweb `--studies` (parseArgs form). Credentials may also come from the environment. */
export const dicomWebServeOptions = {
  'dicomweb-user': { type: 'string' },
  'dicomweb-password': { type: 'string' },
  'dicomweb-token': { type: 'string' },
  cache: { type: 'string' },
} as const;

export interface StudiesArgs {
  readonly studies: string;
  readonly 'dicomweb-user'?: string;
  readonly 'dicomweb-password'?: string;
  readonly 'dicomweb-token'?: string;
  readonly cache?: string;
}

function dicomWebAuth(args: StudiesArgs): DicomWebAuth | undefined {
  const username = args['dicomweb-user'] ?? process.env.WBCT_DICOMWEB_USER;
  const password = args['dicomweb-password'] ?? process.env.WBCT_DICOMWEB_PASSWORD;
  const bearerToken = args['dicomweb-token'] ?? process.env.WBCT_DICOMWEB_TOKEN;
  if (bearerToken !== undefined && username !== undefined) throw new UsageError('give either --dicomweb-token or --dicomweb-user/--dicomweb-password, not both');
  if (bearerToken !== undefined) return { bearerToken };
  if ((username === undefined) !== (password === undefined)) throw new UsageError('--dicomweb-user and --dicomweb-password go together');
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

/**
 * The app's studies from `--studies`: an http(s) URL selects the DICOMweb datastore (checked to answer before the
 * server starts), anything else is a local folder, created when missing. `where` names it for the start-up line.
 */
export async function studiesFromArgs(args: StudiesArgs, readVolume: VolumeReader): Promise<{ studies: TotalSegStudies; where: string }> {
  if (!isDicomWebUrl(args.studies)) {
    const given = (['dicomweb-user', 'dicomweb-password', 'dicomweb-token', 'cache'] as const).filter((k) => args[k] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]} applies only to --studies http(s)://host:port/dicom-web`);
    const studiesDir = path.resolve(args.studies);
    fs.mkdirSync(studiesDir, { recursive: true });
    return { studies: { studiesDir }, where: studiesDir };
  }
  const datastore = await openDicomWebStudies(args.studies, { auth: dicomWebAuth(args), cacheDir: args.cache && path.resolve(args.cache), readVolume });
  return { studies: { datastore }, where: `DICOMweb ${args.studies}` };
}
