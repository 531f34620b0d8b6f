/** The small part of dcmjs 0.49 (untyped upstream) that src/dicom uses. Datasets are dcmjs "naturalized" objects. */
declare module 'dcmjs' {
  export type NaturalDataset = Record<string, unknown>;

  export namespace data {
    class DicomDict {
      constructor(meta: Record<string, unknown>);
      meta: Record<string, unknown>;
      dict: Record<string, unknown>;
      write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
    }
    const DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict;
    };
    const DicomMetaDictionary: {
      uid(): string;
      date(): string;
      time(): string;
      naturalizeDataset(dict: Record<string, unknown>): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): Record<string, unknown>;
      sopClassUIDsByName: Record<string, string>;
    };
    const Colors: {
      rgb2DICOMLAB(rgb: readonly number[]): number[];
    };
  }

  export namespace derivations {
    /** A DICOM SEG derived from a (normalized, multi-frame) source dataset. */
    class Segmentation {
      constructor(datasets: NaturalDataset[], options?: Record<string, unknown>);
      dataset: NaturalDataset & { PerFrameFunctionalGroupsSequence: NaturalDataset[]; SegmentSequence: NaturalDataset[] };
      /** Internal in dcmjs 0.49 (used by its addSegment): appends segment metadata, returns its SegmentNumber. */
      _addSegmentMetadata(segment: NaturalDataset): string;
      /** Internal in dcmjs 0.49 (used by its addSegment): one per-frame group per referenced source frame (1-based). */
      _addPerFrameFunctionalGroups(segmentNumber: string, referencedFrameNumbers: readonly number[]): void;
    }
  }
}
