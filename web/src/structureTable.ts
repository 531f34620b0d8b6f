import { element } from './dom.js';
import type { LabelTable } from './labelTable.js';

/**
 * One structure's statistics as the server sends them (`statistics` in the infer answer's params): the JSON of
 * src/report/structureStatistics.ts, restated here because the page is compiled on its own, against the API only.
 */
export interface StructureStatistics {
  readonly label: number;
  readonly voxels: number;
  readonly volume: number;
  readonly intensity: number;
  readonly intensity_std: number;
  readonly intensity_min: number;
  readonly intensity_max: number;
  readonly bbox: readonly [readonly [number, number, number], readonly [number, number, number]];
  readonly centroid: readonly [number, number, number];
  readonly incomplete: boolean;
}
export type StatisticsReport = Readonly<Record<string, StructureStatistics>>;

interface Row {
  readonly label: number;
  readonly name: string;
  readonly voxels: number;
  readonly stats?: StructureStatistics;
}

type SortKey = 'name' | 'label' | 'voxels' | 'volume' | 'intensity';
const COLUMNS: readonly { key: SortKey | null; title: string }[] = [
  { key: null, title: '' },
  { key: 'name', title: 'structure' },
  { key: 'voxels', title: 'voxels' },
  { key: 'volume', title: 'ml' },
  { key: 'intensity', title: 'HU' },
  { key: null, title: 'sd' },
];

export interface StructureTableEvents {
  goTo(label: number, stats: StructureStatistics | undefined): void;
  setHidden(label: number, hidden: boolean): void;
}

/** The structures of the shown label map: show/hide, statistics (sortable), click to centre the viewer on one. */
export class StructureTable {
  private rows: Row[] = [];
  private sort: { key: SortKey; descending: boolean } = { key: 'label', descending: false };
  private filter = '';
  private readonly hidden = new Set<number>();

  constructor(
    private readonly table: HTMLTableElement,
    private readonly labels: LabelTable,
    private readonly events: StructureTableEvents,
  ) {}

  /** Rows from the server's statistics, or from voxel counts alone (a stored label, an edited map). */
  show(counts: ReadonlyMap<number, number>, statistics: StatisticsReport | null): void {
    const byLabel = new Map(Object.values(statistics ?? {}).map((s) => [s.label, s]));
    this.rows = [...counts].map(([label, voxels]) => ({ label, name: this.labels.name(label), voxels, stats: byLabel.get(label) }));
    this.render();
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
    this.render();
  }

  private value(row: Row, key: SortKey): number | string {
    if (key === 'name') return row.name;
    if (key === 'label') return row.label;
    if (key === 'voxels') return row.voxels;
    if (key === 'volume') return row.stats?.volume ?? -Infinity;
    return row.stats?.intensity ?? -Infinity;
  }

  private render(): void {
    const { key, descending } = this.sort;
    const rows = this.rows
      .filter((r) => this.filter === '' || r.name.toLowerCase().includes(this.filter))
      .sort((a, b) => {
        const [x, y] = [this.value(a, key), this.value(b, key)];
        const order = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y) : Number(x) - Number(y);
        return descending ? -order : order;
      });
    const head = element('tr', {}, COLUMNS.map((c) => {
      const th = element('th', { textContent: c.title + (c.key === key ? (descending ? ' ▼' : ' ▲') : '') });
      if (c.key) {
        const sortKey = c.key;
        th.dataset.sort = sortKey;
        th.addEventListener('click', () => {
          this.sort = { key: sortKey, descending: this.sort.key === sortKey ? !this.sort.descending : sortKey !== 'name' && sortKey !== 'label' };
          this.render();
        });
      }
      return th;
    }));
    const body = rows.map((row) => {
      const show = element('input', { type: 'checkbox', checked: !this.hidden.has(row.label), title: 'show or hide' });
      show.addEventListener('change', () => {
        if (show.checked) this.hidden.delete(row.label);
        else this.hidden.add(row.label);
        this.events.setHidden(row.label, !show.checked);
      });
      const swatch = element('span', { className: 'swatch' });
      swatch.style.background = this.labels.css(row.label);
      const s = row.stats;
      const fixed = (n: number | undefined, digits: number) => (n === undefined ? '' : n.toFixed(digits));
      const name = element('td', { className: 'name', title: `label ${row.label}${s?.incomplete ? '; * touches the border of the scan: the structure may continue outside it' : ''}` }, [swatch, row.name, s?.incomplete ? ' *' : '']);
      const tr = element('tr', {}, [element('td', {}, [show]), name, element('td', { textContent: String(row.voxels) }), element('td', { textContent: fixed(s && s.volume / 1000, 2) }), element('td', { textContent: fixed(s?.intensity, 1) }), element('td', { textContent: fixed(s?.intensity_std, 1) })]);
      tr.dataset.label = String(row.label);
      name.addEventListener('click', () => this.events.goTo(row.label, row.stats));
      return tr;
    });
    this.table.replaceChildren(element('thead', {}, [head]), element('tbody', {}, body));
  }
}

/** The statistics as CSV, one row per structure, for a spreadsheet. */
export function statisticsCsv(report: StatisticsReport): string {
  const header = 'structure,label,voxels,volume_mm3,intensity_mean_hu,intensity_std_hu,intensity_min_hu,intensity_max_hu,incomplete,centroid_x_mm,centroid_y_mm,centroid_z_mm';
  const lines = Object.entries(report).map(([name, s]) => [name, s.label, s.voxels, s.volume, s.intensity, s.intensity_std, s.intensity_min, s.intensity_max, s.incomplete, ...s.centroid].join(','));
  return [header, ...lines].join('\n') + '\n';
}
