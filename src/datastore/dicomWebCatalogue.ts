import { dicomJsonValue, type DicomJson, type DicomWebClient, type DicomWebSeries } from '../dicom/dicomWebClient';

/** A DICOM SEG in the PACS that labels one image series. */
export interface PacsLabel {
  readonly tag: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly seriesDate: string;
}

/** What the PACS holds, as a MONAI Label datastore sees it: image series by SeriesInstanceUID, their labels by tag. */
export interface PacsCatalogue {
  readonly images: ReadonlyMap<string, DicomWebSeries>;
  readonly labels: ReadonlyMap<string, ReadonlyMap<string, PacsLabel>>;
}

/** SeriesDescription prefix that records a label's tag; SEGs written by other tools count as `final`. */
export const LABEL_TAG_PREFIX = 'wbct:';

export function labelTagOf(seriesDescription: string): string {
  return seriesDescription.startsWith(LABEL_TAG_PREFIX) ? seriesDescription.slice(LABEL_TAG_PREFIX.length) : 'final';
}

/** Caches each SEG series' metadata (a stored SEG never changes) so a refresh costs two QIDO calls plus new SEGs. */
export class PacsCatalogueReader {
  private readonly segMeta = new Map<string, DicomJson>();

  constructor(private readonly client: DicomWebClient, private readonly imageModality: string) {}

  async read(): Promise<PacsCatalogue> {
    const images = new Map((await this.client.searchSeries({ Modality: this.imageModality })).map((s) => [s.seriesInstanceUid, s]));
    const labels = new Map<string, Map<string, PacsLabel>>();
    for (const seg of await this.client.searchSeries({ Modality: 'SEG' })) {
      let meta = this.segMeta.get(seg.seriesInstanceUid);
      if (!meta) {
        meta = (await this.client.seriesMetadata(seg.studyInstanceUid, seg.seriesInstanceUid))[0];
        if (!meta) continue;
        this.segMeta.set(seg.seriesInstanceUid, meta);
      }
      const referenced = (meta['00081115']?.Value?.[0] ?? {}) as DicomJson;
      const imageUid = dicomJsonValue(referenced, '0020000E');
      if (!images.has(imageUid)) continue; // a SEG of some other series
      const label: PacsLabel = {
        tag: labelTagOf(dicomJsonValue(meta, '0008103E')),
        studyInstanceUid: seg.studyInstanceUid,
        seriesInstanceUid: seg.seriesInstanceUid,
        sopInstanceUid: dicomJsonValue(meta, '00080018'),
        seriesDate: `${dicomJsonValue(meta, '00080021')}${dicomJsonValue(meta, '00080031')}`,
      };
      const perTag = labels.get(imageUid) ?? labels.set(imageUid, new Map()).get(imageUid)!;
      const previous = perTag.get(label.tag);
      if (!previous || previous.seriesDate <= label.seriesDate) perTag.set(label.tag, label); // newest SEG wins
    }
    return { images, labels };
  }
}
