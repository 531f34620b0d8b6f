import type { UiConfig } from './api.js';

export interface LabelEntry {
  readonly value: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

/** The model's structures by label value, with the colours every view of this server uses. */
export class LabelTable {
  private readonly byValue = new Map<number, LabelEntry>();

  constructor(labels: UiConfig['labels']) {
    for (const [value, { name, color }] of Object.entries(labels)) this.byValue.set(Number(value), { value: Number(value), name, color });
  }

  get(value: number): LabelEntry | undefined {
    return this.byValue.get(value);
  }

  name(value: number): string {
    return this.byValue.get(value)?.name ?? `label ${value}`;
  }

  all(): LabelEntry[] {
    return [...this.byValue.values()].sort((a, b) => a.value - b.value);
  }

  css(value: number): string {
    const [r, g, b] = this.byValue.get(value)?.color ?? [255, 255, 255];
    return `rgb(${r}, ${g}, ${b})`;
  }
}
