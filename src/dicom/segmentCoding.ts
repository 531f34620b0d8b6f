import { sct, type CodedConcept, type LabelCodes, type SegmentCoding } from '../core/codedConcept';
import type { NaturalDataset } from 'dcmjs';

/** A label without codes: SNOMED CT "Tissue" as category and type, as TotalSegmentator codes such classes (dicom_io.py). */
export const GENERIC_SEGMENT_CODING: SegmentCoding = { category: sct('85756007', 'Tissue'), type: sct('85756007', 'Tissue') };

function codeItem(c: CodedConcept): NaturalDataset {
  // A longer value (an 18-digit SNOMED CT extension id, say) would need LongCodeValue (PS3.3 8.8), not written here.
  if (c.code.length === 0 || c.code.length > 16) throw new Error(`DICOM SEG: code value ${JSON.stringify(c.code)} (${c.meaning}) is not 1-16 characters`);
  return { CodeValue: c.code, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning.slice(0, 64) };
}

/**
 * The Segment Description attributes that say what a segment is: category, type, and the type modifier nested in the
 * type's item (PS3.3 Table 10-25), from the label's codes or {@link GENERIC_SEGMENT_CODING}.
 */
export function segmentCodeAttributes(name: string, codes: LabelCodes | undefined): NaturalDataset {
  const coding = codes?.[name] ?? GENERIC_SEGMENT_CODING;
  const type = codeItem(coding.type);
  if (coding.modifier) type.SegmentedPropertyTypeModifierCodeSequence = [codeItem(coding.modifier)];
  return { SegmentedPropertyCategoryCodeSequence: [codeItem(coding.category)], SegmentedPropertyTypeCodeSequence: [type] };
}
