"""Independent pixel decode: pydicom's pixel_array through the modality LUT (RescaleSlope/Intercept), as float32.

usage: pixels_to_raw.py DICOM_FILE OUT_RAW   (row-major, column index fastest)
"""
import sys

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut

ds = pydicom.dcmread(sys.argv[1])
apply_modality_lut(ds.pixel_array, ds).astype(np.float32).tofile(sys.argv[2])
