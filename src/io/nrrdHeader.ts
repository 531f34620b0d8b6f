import { AXES, mapVec3, type Vec3 } from '../core/volume';
import type { VoxelDType } from './voxelTypes';

/** World frames NRRD names that map onto RAS by negating axes. */
export type NrrdSpace = 'RAS' | 'LAS' | 'LPS';

export interface NrrdHeader {
  readonly type: VoxelDType;
  readonly sizes: Vec3;
  readonly littleEndian: boolean;
  readonly gzip: boolean;
  readonly space: NrrdSpace;
  /** Column i is the world step of index axis i, in `space`. */
  readonly directions: readonly [Vec3, Vec3, Vec3];
  readonly origin: Vec3;
  /** `byte skip` (-1: the data is the last bytes of the file). */
  readonly byteSkip: number;
  /** Where the data starts: the byte after the blank line that ends the header. */
  readonly dataStart: number;
}

const TYPE_NAMES: ReadonlyArray<[VoxelDType, readonly string[]]> = [
  ['int8', ['signed char', 'int8', 'int8_t']],
  ['uint8', ['uchar', 'unsigned char', 'uint8', 'uint8_t']],
  ['int16', ['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t']],
  ['uint16', ['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t']],
  ['int32', ['int', 'signed int', 'int32', 'int32_t']],
  ['uint32', ['uint', 'unsigned int', 'uint32', 'uint32_t']],
  ['float32', ['float']],
  ['float64', ['double']],
];
/** The spelling ITK's NrrdImageIO writes (and so 3D Slicer expects). */
export const ITK_TYPE_NAME: Readonly<Record<VoxelDType, string>> = {
  int8: 'signed char', uint8: 'unsigned char', int16: 'short', uint16: 'unsigned short',
  int32: 'int', uint32: 'unsigned int', float32: 'float', float64: 'double',
};
const SPACES: Readonly<Record<string, NrrdSpace>> = {
  'right-anterior-superior': 'RAS', ras: 'RAS', 'left-anterior-superior': 'LAS', las: 'LAS', 'left-posterior-superior': 'LPS', lps: 'LPS',
};

/** Parses the text header of an attached-data NRRD file; anything this reader cannot honour is an error naming it. */
export function parseNrrdHeader(bytes: Uint8Array, file: string): NrrdHeader {
  const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (!/^NRRD000[1-5]$/.test(magic)) throw new Error(`${file}: not a NRRD file (no NRRD000x magic)`);
  const { fields, dataStart } = splitHeader(bytes, file);
  const get = (key: string) => fields.get(key);
  const need = (key: string) => {
    const v = get(key);
    if (v === undefined) throw new Error(`${file}: NRRD header has no "${key}" field`);
    return v;
  };
  if (get('data file') !== undefined || get('datafile') !== undefined) throw new Error(`${file}: detached NRRD data ("data file") is not supported; save with the data attached`);
  const dimension = Number(need('dimension'));
  if (dimension !== 3) throw new Error(`${file}: ${Number.isInteger(dimension) ? `${dimension}D NRRD` : `NRRD dimension "${get('dimension')}"`}; a 3D volume is required`);
  const sizes = parseVec3(need('sizes'), 'sizes', file);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`${file}: invalid NRRD sizes "${get('sizes')}"`);
  const typeName = need('type').toLowerCase();
  const type = TYPE_NAMES.find(([, names]) => names.includes(typeName))?.[0];
  if (!type) throw new Error(`${file}: unsupported NRRD type "${typeName}"`);
  const encoding = need('encoding').toLowerCase();
  if (!['raw', 'gzip', 'gz'].includes(encoding)) throw new Error(`${file}: unsupported NRRD encoding "${encoding}" (raw and gzip are supported)`);
  if (Number(get('line skip') ?? get('lineskip') ?? 0) !== 0) throw new Error(`${file}: NRRD "line skip" is not supported`);
  const byteSkip = Number(get('byte skip') ?? get('byteskip') ?? 0);
  if (!Number.isInteger(byteSkip) || byteSkip < -1 || (byteSkip === -1 && encoding !== 'raw')) throw new Error(`${file}: invalid NRRD byte skip "${get('byte skip') ?? get('byteskip')}"`);
  const { space, directions, origin } = parseGeometry(get, file);
  for (const i of AXES) {
    const len = Math.hypot(...directions[i]);
    if (!(len > 0) || !Number.isFinite(len)) throw new Error(`${file}: invalid NRRD spacing along axis ${i} (${len}); spacing must be a positive number`);
  }
  const [a, b, c] = directions;
  const volume = Math.abs(a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]));
  if (!(volume > 1e-6 * Math.hypot(...a) * Math.hypot(...b) * Math.hypot(...c))) throw new Error(`${file}: NRRD space directions are coplanar (a degenerate voxel grid)`);
  return { type, sizes, littleEndian: endianOf(get('endian'), type, file), gzip: encoding !== 'raw', space, directions, origin, byteSkip, dataStart };
}

/** The NRRD format requires `endian` for multi-byte types (teem and ITK, so Slicer, refuse a file without it). */
function endianOf(value: string | undefined, type: VoxelDType, file: string): boolean {
  const v = value?.toLowerCase();
  if (v === 'little') return true;
  if (v === 'big') return false;
  if (v === undefined && (type === 'int8' || type === 'uint8')) return true;
  throw new Error(`${file}: NRRD endian ${v === undefined ? 'is missing' : `"${value}" is not little or big`}; it is required for ${type} data`);
}

function splitHeader(bytes: Uint8Array, file: string): { fields: Map<string, string>; dataStart: number } {
  const limit = Math.min(bytes.length, 1 << 20);
  const text = Buffer.from(bytes.subarray(0, limit)).toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) throw new Error(`${file}: NRRD header has no end (blank line) in the first ${limit} bytes`);
  const fields = new Map<string, string>();
  for (const line of text.slice(0, end.index).split(/\r?\n/).slice(1)) {
    if (line.startsWith('#') || line.includes(':=')) continue;
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 2).trim());
  }
  return { fields, dataStart: end.index + end[0].length };
}

/** Three finite numbers (separated by blanks or commas, in parentheses or not). */
function parseVec3(text: string, what: string, file: string): Vec3 {
  const values = text.split(/[\s,()]+/).filter((s) => s.length > 0).map(Number);
  const [x, y, z, ...more] = values;
  if (x === undefined || y === undefined || z === undefined || more.length > 0 || !values.every(Number.isFinite)) throw new Error(`${file}: invalid NRRD ${what} "${text}"`);
  return [x, y, z];
}

function parseGeometry(get: (k: string) => string | undefined, file: string): Pick<NrrdHeader, 'space' | 'directions' | 'origin'> {
  const spaceName = get('space');
  if (spaceName === undefined) {
    // Old-style NRRD: per-axis spacings only; ITK reads that as an axis-aligned LPS grid at the origin.
    const spacingText = get('spacings');
    if (spacingText === undefined) throw new Error(`${file}: NRRD has neither "space" nor "spacings"; its geometry is unknown`);
    const s = parseVec3(spacingText, 'spacings', file);
    return { space: 'LPS', directions: [[s[0], 0, 0], [0, s[1], 0], [0, 0, s[2]]], origin: [0, 0, 0] };
  }
  const space = SPACES[spaceName.toLowerCase()];
  if (!space) throw new Error(`${file}: unsupported NRRD space "${spaceName}" (RAS, LAS and LPS are supported)`);
  const dirText = get('space directions');
  if (dirText === undefined) throw new Error(`${file}: NRRD has a space but no "space directions"`);
  const vectors: readonly string[] = dirText.match(/\([^)]*\)|none/g) ?? [];
  const [d0, d1, d2, ...more] = vectors;
  if (d0 === undefined || d1 === undefined || d2 === undefined || more.length > 0 || vectors.includes('none')) throw new Error(`${file}: NRRD needs three space directions, got "${dirText}"`);
  const directions = mapVec3([d0, d1, d2], (v) => parseVec3(v, 'space directions', file));
  const originText = get('space origin');
  const origin: Vec3 = originText === undefined ? [0, 0, 0] : parseVec3(originText, 'space origin', file);
  return { space, directions, origin };
}

/** A header the way ITK's NrrdImageIO writes it (3D Slicer's own format for volumes and label maps). */
export function formatNrrdHeader(type: VoxelDType, sizes: Vec3, directionsLps: readonly [Vec3, Vec3, Vec3], originLps: Vec3, gzip: boolean): string {
  const vec = (v: Vec3) => `(${v.map((x) => String(x === 0 ? 0 : x)).join(',')})`;
  return [
    'NRRD0004',
    '# Complete NRRD file format specification at:',
    '# http://teem.sourceforge.net/nrrd/format.html',
    `type: ${ITK_TYPE_NAME[type]}`,
    'dimension: 3',
    'space: left-posterior-superior',
    `sizes: ${sizes.join(' ')}`,
    `space directions: ${directionsLps.map(vec).join(' ')}`,
    'kinds: domain domain domain',
    'endian: little',
    `encoding: ${gzip ? 'gzip' : 'raw'}`,
    `space origin: ${vec(originLps)}`,
    '',
    '',
  ].join('\n');
}
