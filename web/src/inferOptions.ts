import { element } from './dom.js';

/** A model as `/info/` describes it; `config` drives the options, as in Slicer's options table. */
export interface ModelInfo {
  readonly description: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly engine?: string;
}

const HINTS: Readonly<Record<string, string>> = {
  highres: 'on: the 1.5 mm model; off: the 3 mm model, several times faster',
  sw_overlap: 'sliding-window overlap, in [0, 1)',
  sw_batch_size: 'windows per model call',
  precision: 'fp32 is exact; bf16 is faster and approximate',
};
/** Options the page sets itself or that mean nothing here. */
const HIDDEN = new Set(['device', 'statistics']);

/** The model picker and its options, built from `/info/` the way Slicer builds its table: list = choice, bool = checkbox. */
export class InferOptions {
  private readonly inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();

  constructor(
    private readonly picker: HTMLSelectElement,
    private readonly box: HTMLElement,
    private readonly description: HTMLElement,
    private readonly models: Readonly<Record<string, ModelInfo>>,
  ) {
    picker.replaceChildren(...Object.keys(models).map((name) => element('option', { value: name, textContent: name })));
    picker.addEventListener('change', () => this.render());
    this.render();
  }

  get model(): string {
    return this.picker.value;
  }

  params(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, input] of this.inputs) {
      if (input instanceof HTMLInputElement && input.type === 'checkbox') out[key] = input.checked;
      else if (input instanceof HTMLInputElement && input.type === 'number') out[key] = Number(input.value);
      else out[key] = input.value;
    }
    return out;
  }

  private render(): void {
    const info = this.models[this.picker.value];
    this.inputs.clear();
    if (!info) return this.box.replaceChildren();
    this.description.textContent = `${info.description}${info.engine ? ` (runs on ${info.engine})` : ''}`;
    const rows = Object.entries(info.config)
      .filter(([key]) => !HIDDEN.has(key))
      .map(([key, value]) => {
        let input: HTMLInputElement | HTMLSelectElement;
        if (Array.isArray(value)) input = element('select', {}, value.map((v) => element('option', { value: String(v), textContent: String(v) })));
        else if (typeof value === 'boolean') input = element('input', { type: 'checkbox', checked: value });
        else if (typeof value === 'number') input = element('input', { type: 'number', value: String(value), step: 'any' });
        else input = element('input', { type: 'text', value: String(value) });
        input.id = `option-${key}`;
        this.inputs.set(key, input);
        return element('label', { title: HINTS[key] ?? '' }, [key, input]);
      });
    this.box.replaceChildren(...rows);
  }
}
