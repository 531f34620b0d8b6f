/** Image file I/O: NIfTI-1 and NRRD volumes in and out, geometry exact, gzip off the main thread. */
export { readImage, type ReadImageOptions } from './readImage';
export { readImageHeader, type ImageHeader } from './readImageHeader';
export { DEFAULT_READ_LIMITS, type ReadLimits } from './readLimits';
export { writeImage, type WriteImageOptions } from './writeImage';
export type { ImageFormat, ImageInfo, LoadedImage, NiftiGeometry, VoxelMode } from './loadedImage';
export { formatOfPath, SUPPORTED_EXTENSIONS } from './imageFormat';
export { readNifti } from './niftiRead';
export { writeNifti } from './niftiWrite';
export { readNrrd } from './nrrdRead';
export { writeNrrd } from './nrrdWrite';
export { castVoxels, dtypeOf, VOXEL_DTYPES, type VoxelDType } from './voxelTypes';
