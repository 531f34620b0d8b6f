"""Independent read-back of a DICOM SEG onto its source CT grid, with pydicom only (no wbct code).

usage: seg_to_labelmap.py CT_DIR SEG_FILE LABELS_JSON OUT_RAW OUT_JSON

Sorts the CT slices by position along the slice normal (row x column), then paints each SEG frame into the slice its
per-frame Referenced SOP Instance UID names, after checking that the frame's ImagePositionPatient and the shared
orientation agree with that slice. Segment label names are mapped back to values through LABELS_JSON.
OUT_RAW: uint8, slice-major, row-major (column index fastest). OUT_JSON: sorted SOP UIDs, LPS affine, counts.
"""
import json
import os
import sys

import numpy as np
import pydicom


def main(ct_dir, seg_file, labels_json, out_raw, out_json):
    slices = [pydicom.dcmread(os.path.join(ct_dir, f)) for f in sorted(os.listdir(ct_dir))]
    iop = np.array(slices[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    slices.sort(key=lambda s: float(np.dot(np.array(s.ImagePositionPatient, dtype=float), normal)))
    index_of = {s.SOPInstanceUID: k for k, s in enumerate(slices)}
    rows, cols = int(slices[0].Rows), int(slices[0].Columns)

    seg = pydicom.dcmread(seg_file)
    assert seg.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4", seg.SOPClassUID
    assert seg.FrameOfReferenceUID == slices[0].FrameOfReferenceUID, "FrameOfReferenceUID differs from the CT"
    assert seg.StudyInstanceUID == slices[0].StudyInstanceUID, "StudyInstanceUID differs from the CT"
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == slices[0].SeriesInstanceUID
    assert (int(seg.Rows), int(seg.Columns)) == (rows, cols)
    shared_iop = np.array(seg.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float)
    assert np.allclose(shared_iop, iop, atol=1e-4), "SEG orientation differs from the CT"

    names = {name: int(value) for value, name in json.load(open(labels_json)).items()}
    value_of_segment = {int(s.SegmentNumber): names[s.SegmentLabel] for s in seg.SegmentSequence}
    frames = seg.pixel_array.reshape(int(seg.NumberOfFrames), rows, cols)
    labels = np.zeros((len(slices), rows, cols), dtype=np.uint8)
    for f, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
        segment = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        sop = group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        k = index_of[sop]
        ipp = np.array(group.PlanePositionSequence[0].ImagePositionPatient, dtype=float)
        assert np.allclose(ipp, np.array(slices[k].ImagePositionPatient, dtype=float), atol=1e-3), f"frame {f + 1} position != slice {k}"
        target = labels[k]
        hit = frames[f] != 0
        assert not np.any(target[hit] != 0), f"frame {f + 1} overlaps another segment"
        target[hit] = value_of_segment[segment]
    labels.tofile(out_raw)

    ps = [float(v) for v in slices[0].PixelSpacing]
    first = np.array(slices[0].ImagePositionPatient, dtype=float)
    last = np.array(slices[-1].ImagePositionPatient, dtype=float)
    step = (last - first) / (len(slices) - 1)
    affine = np.eye(4)
    affine[:3, 0] = iop[:3] * ps[1]
    affine[:3, 1] = iop[3:] * ps[0]
    affine[:3, 2] = step
    affine[:3, 3] = first
    json.dump({
        "sopInstanceUids": [s.SOPInstanceUID for s in slices],
        "affineLps": affine.tolist(),
        "segments": {str(k): v for k, v in value_of_segment.items()},
        "numberOfFrames": int(seg.NumberOfFrames),
    }, open(out_json, "w"))


if __name__ == "__main__":
    main(*sys.argv[1:6])
