import { sct, type CodedConcept, type LabelCodes, type SegmentCoding } from '../../core/codedConcept';

/*
 * SNOMED CT codes of the bundle's 104 structures (TotalSegmentator v1's classes), for the segments of the DICOM SEGs
 * we write, so that PACS viewers, OHIF and Slicer's terminology name them.
 *
 * Source: TotalSegmentator's own table, repository wasserth/TotalSegmentator, file
 * `totalsegmentator/resources/totalsegmentator_snomed_mapping.csv` at commit d90ebaf4d8d56a431b8e32095eb0e1087279ef91
 * (its last change, read at 0e65a448d557382b1e925276212b3bec7f5aff83), columns Structure and
 * SegmentedPropertyCategory/Type/TypeModifierCodeSequence. lassoan/SlicerTotalSegmentator ships the same codes for
 * these names (`TotalSegmentator/Resources/totalsegmentator_snomed_mapping.csv`, commit
 * 6bad600b5edf6af4b76a711ba30271af2bb8624c).
 * Every one of the 104 names has a row there, all with category "Anatomical Structure" and no anatomic region; none
 * needed a substitute. Sided heart chambers and the right middle lobe carry the side in their type, not a modifier.
 * The one deviation: the table's meaning "Gluteus minius muscle" for 75297007 is a typo, written here as SNOMED CT's
 * "Gluteus minimus muscle" (as the Slicer extension's SegmentationCategoryTypeModifier-TotalSegmentator.term.json
 * names that code).
 */

const ANATOMICAL_STRUCTURE = sct('123037004', 'Anatomical Structure');
const LEFT = sct('7771000', 'Left');
const RIGHT = sct('24028007', 'Right');

function structure(code: string, meaning: string, modifier?: CodedConcept): SegmentCoding {
  const coding = { category: ANATOMICAL_STRUCTURE, type: sct(code, meaning) };
  return modifier ? { ...coding, modifier } : coding;
}

/** Bundle label name (`BUNDLE_CHANNEL_NAMES`, channel order) -> its SNOMED CT category, type and laterality. */
export const BUNDLE_TERMINOLOGY: LabelCodes = {
  spleen: structure('78961009', 'Spleen'),
  kidney_right: structure('64033007', 'Kidney', RIGHT),
  kidney_left: structure('64033007', 'Kidney', LEFT),
  gallbladder: structure('28231008', 'Gallbladder'),
  liver: structure('10200004', 'Liver'),
  stomach: structure('69695003', 'Stomach'),
  aorta: structure('15825003', 'Aorta'),
  inferior_vena_cava: structure('64131007', 'Inferior vena cava'),
  portal_vein_and_splenic_vein: structure('110765007', 'Portal vein and splenic vein'),
  pancreas: structure('15776009', 'Pancreas'),
  adrenal_gland_right: structure('23451007', 'Adrenal gland', RIGHT),
  adrenal_gland_left: structure('23451007', 'Adrenal gland', LEFT),
  lung_upper_lobe_left: structure('45653009', 'Upper lobe of lung', LEFT),
  lung_lower_lobe_left: structure('90572001', 'Lower lobe of lung', LEFT),
  lung_upper_lobe_right: structure('45653009', 'Upper lobe of lung', RIGHT),
  lung_middle_lobe_right: structure('72481006', 'Middle lobe of right lung'),
  lung_lower_lobe_right: structure('90572001', 'Lower lobe of lung', RIGHT),
  vertebrae_L5: structure('49668003', 'L5 vertebra'),
  vertebrae_L4: structure('11994002', 'L4 vertebra'),
  vertebrae_L3: structure('36470004', 'L3 vertebra'),
  vertebrae_L2: structure('14293000', 'L2 vertebra'),
  vertebrae_L1: structure('66794005', 'L1 vertebra'),
  vertebrae_T12: structure('23215003', 'T12 vertebra'),
  vertebrae_T11: structure('12989004', 'T11 vertebra'),
  vertebrae_T10: structure('7610001', 'T10 vertebra'),
  vertebrae_T9: structure('82687006', 'T9 vertebra'),
  vertebrae_T8: structure('11068009', 'T8 vertebra'),
  vertebrae_T7: structure('62487009', 'T7 vertebra'),
  vertebrae_T6: structure('45296009', 'T6 vertebra'),
  vertebrae_T5: structure('56401006', 'T5 vertebra'),
  vertebrae_T4: structure('73071006', 'T4 vertebra'),
  vertebrae_T3: structure('1626008', 'T3 vertebra'),
  vertebrae_T2: structure('53733008', 'T2 vertebra'),
  vertebrae_T1: structure('64864005', 'T1 vertebra'),
  vertebrae_C7: structure('87391001', 'C7 vertebra'),
  vertebrae_C6: structure('36054005', 'C6 vertebra'),
  vertebrae_C5: structure('36978003', 'C5 vertebra'),
  vertebrae_C4: structure('5329002', 'C4 vertebra'),
  vertebrae_C3: structure('113205007', 'C3 vertebra'),
  vertebrae_C2: structure('39976000', 'C2 vertebra'),
  vertebrae_C1: structure('14806007', 'C1 vertebra'),
  esophagus: structure('32849002', 'Esophagus'),
  trachea: structure('44567001', 'Trachea'),
  heart_myocardium: structure('74281007', 'Myocardium'),
  heart_atrium_left: structure('82471001', 'Left atrium'),
  heart_ventricle_left: structure('87878005', 'Left ventricle of heart'),
  heart_atrium_right: structure('73829009', 'Right atrium'),
  heart_ventricle_right: structure('53085002', 'Right ventricle of heart'),
  pulmonary_artery: structure('81040000', 'Pulmonary artery'),
  brain: structure('12738006', 'Brain'),
  iliac_artery_left: structure('73634005', 'Common iliac artery', LEFT),
  iliac_artery_right: structure('73634005', 'Common iliac artery', RIGHT),
  iliac_vena_left: structure('46027005', 'Common iliac vein', LEFT),
  iliac_vena_right: structure('46027005', 'Common iliac vein', RIGHT),
  small_bowel: structure('30315005', 'Small Intestine'),
  duodenum: structure('38848004', 'Duodenum'),
  colon: structure('71854001', 'Colon'),
  rib_left_1: structure('48535007', 'First rib', LEFT),
  rib_left_2: structure('78247007', 'Second rib', LEFT),
  rib_left_3: structure('25888004', 'Third rib', LEFT),
  rib_left_4: structure('25523003', 'Fourth rib', LEFT),
  rib_left_5: structure('15339008', 'Fifth rib', LEFT),
  rib_left_6: structure('59558009', 'Sixth rib', LEFT),
  rib_left_7: structure('24915002', 'Seventh rib', LEFT),
  rib_left_8: structure('5953002', 'Eighth rib', LEFT),
  rib_left_9: structure('22565002', 'Ninth rib', LEFT),
  rib_left_10: structure('77644006', 'Tenth rib', LEFT),
  rib_left_11: structure('58830002', 'Eleventh rib', LEFT),
  rib_left_12: structure('43993008', 'Twelfth rib', LEFT),
  rib_right_1: structure('48535007', 'First rib', RIGHT),
  rib_right_2: structure('78247007', 'Second rib', RIGHT),
  rib_right_3: structure('25888004', 'Third rib', RIGHT),
  rib_right_4: structure('25523003', 'Fourth rib', RIGHT),
  rib_right_5: structure('15339008', 'Fifth rib', RIGHT),
  rib_right_6: structure('59558009', 'Sixth rib', RIGHT),
  rib_right_7: structure('24915002', 'Seventh rib', RIGHT),
  rib_right_8: structure('5953002', 'Eighth rib', RIGHT),
  rib_right_9: structure('22565002', 'Ninth rib', RIGHT),
  rib_right_10: structure('77644006', 'Tenth rib', RIGHT),
  rib_right_11: structure('58830002', 'Eleventh rib', RIGHT),
  rib_right_12: structure('43993008', 'Twelfth rib', RIGHT),
  humerus_left: structure('85050009', 'Humerus', LEFT),
  humerus_right: structure('85050009', 'Humerus', RIGHT),
  scapula_left: structure('79601000', 'Scapula', LEFT),
  scapula_right: structure('79601000', 'Scapula', RIGHT),
  clavicula_left: structure('51299004', 'Clavicle', LEFT),
  clavicula_right: structure('51299004', 'Clavicle', RIGHT),
  femur_left: structure('71341001', 'Femur', LEFT),
  femur_right: structure('71341001', 'Femur', RIGHT),
  hip_left: structure('29836001', 'Hip', LEFT),
  hip_right: structure('29836001', 'Hip', RIGHT),
  sacrum: structure('54735007', 'Sacrum'),
  face: structure('89545001', 'Face'),
  gluteus_maximus_left: structure('181674001', 'Gluteus maximus muscle', LEFT),
  gluteus_maximus_right: structure('181674001', 'Gluteus maximus muscle', RIGHT),
  gluteus_medius_left: structure('78333006', 'Gluteus medius muscle', LEFT),
  gluteus_medius_right: structure('78333006', 'Gluteus medius muscle', RIGHT),
  gluteus_minimus_left: structure('75297007', 'Gluteus minimus muscle', LEFT),
  gluteus_minimus_right: structure('75297007', 'Gluteus minimus muscle', RIGHT),
  autochthon_left: structure('244849004', 'Deep muscle of back', LEFT),
  autochthon_right: structure('244849004', 'Deep muscle of back', RIGHT),
  iliopsoas_left: structure('68455001', 'Iliopsoas muscle', LEFT),
  iliopsoas_right: structure('68455001', 'Iliopsoas muscle', RIGHT),
  urinary_bladder: structure('89837001', 'Urinary bladder'),
};
