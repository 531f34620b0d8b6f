"""Independent read of a DICOM SEG's segment codes, with pydicom only (no wbct code).

usage: seg_segment_codes.py SEG_FILE

Prints JSON: per segment (file order) its number, label, and category / type / type modifiers as
[scheme, value, meaning] triples.
"""
import json
import sys

import pydicom


def code(item):
    return [item.CodingSchemeDesignator, item.CodeValue, item.CodeMeaning]


def main(seg_file):
    seg = pydicom.dcmread(seg_file)
    out = []
    for s in seg.SegmentSequence:
        assert len(s.SegmentedPropertyCategoryCodeSequence) == 1 and len(s.SegmentedPropertyTypeCodeSequence) == 1
        type_item = s.SegmentedPropertyTypeCodeSequence[0]
        out.append({
            "number": int(s.SegmentNumber),
            "label": s.SegmentLabel,
            "category": code(s.SegmentedPropertyCategoryCodeSequence[0]),
            "type": code(type_item),
            "modifiers": [code(m) for m in type_item.get("SegmentedPropertyTypeModifierCodeSequence", [])],
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
