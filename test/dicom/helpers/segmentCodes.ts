import * as dcmjs from 'dcmjs';
import * as fs from 'node:fs';
import type { LabelCodes } from '../../../src/core/codedConcept';

interface CodeItem {
  CodingSchemeDesignator: string;
  CodeValue: string;
  SegmentedPropertyTypeModifierCodeSequence?: CodeItem[];
}
interface SegmentItem {
  SegmentLabel: string;
  SegmentedPropertyCategoryCodeSequence: CodeItem[];
  SegmentedPropertyTypeCodeSequence: CodeItem[];
}

/** "SCT:78961009". */
const coded = (c: { scheme: string; code: string } | undefined) => (c ? `${c.scheme}:${c.code}` : undefined);
const codedItem = (c: CodeItem | undefined) => (c ? `${c.CodingSchemeDesignator}:${c.CodeValue}` : undefined);

/** Each segment of a SEG file (read with dcmjs): its label and category / type / type modifier as "scheme:value". */
export function segmentCodes(file: string): { label: string; category?: string; type?: string; modifier?: string }[] {
  const bytes = fs.readFileSync(file);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(new Uint8Array(bytes).buffer).dict) as { SegmentSequence: SegmentItem[] };
  return ds.SegmentSequence.map((s) => {
    const type = s.SegmentedPropertyTypeCodeSequence[0];
    return { label: s.SegmentLabel, category: codedItem(s.SegmentedPropertyCategoryCodeSequence[0]), type: codedItem(type), modifier: codedItem(type?.SegmentedPropertyTypeModifierCodeSequence?.[0]) };
  });
}

/** What {@link segmentCodes} reports for a segment coded from `codes`. */
export function expectedSegmentCodes(label: string, codes: LabelCodes): { label: string; category?: string; type?: string; modifier?: string } {
  const c = codes[label];
  return { label, category: coded(c?.category), type: coded(c?.type), modifier: coded(c?.modifier) };
}
