import type { Volume, VoxelArray } from './volume';

/** Reads an image or label file (format from its extension) into the project's one image type. */
export type VolumeReader = (file: string) => Promise<Volume<VoxelArray>>;
