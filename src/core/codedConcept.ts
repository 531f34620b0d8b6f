/** A coded concept as DICOM writes it (PS3.3 Table 8.8-1, Code Sequence Macro). */
export interface CodedConcept {
  /** Code Value (SH, at most 16 characters). */
  readonly code: string;
  /** Coding Scheme Designator, e.g. "SCT" for SNOMED CT. */
  readonly scheme: string;
  readonly meaning: string;
}

/**
 * What a segment is (PS3.3 Table 10-25, Segment Description Macro): Segmented Property Category and Type, and a type
 * modifier where the type needs one (laterality: Left / Right).
 */
export interface SegmentCoding {
  readonly category: CodedConcept;
  readonly type: CodedConcept;
  readonly modifier?: CodedConcept;
}

/** Label name -> its segment coding. Plain data, so it crosses into worker threads with the recipe. */
export type LabelCodes = Readonly<Record<string, SegmentCoding>>;

/** A SNOMED CT concept. */
export function sct(code: string, meaning: string): CodedConcept {
  return { code, scheme: 'SCT', meaning };
}
