import type { Datastore } from '../core/datastore';
import type { DescribedInfo, Strategy } from '../core/tasks';

/** A random image without a `final` label (MONAI Label's `Random`). */
export class RandomStrategy implements Strategy {
  constructor(private readonly random: () => number = Math.random) {}

  info(): DescribedInfo {
    return { description: 'Random Strategy' };
  }

  async run(_request: unknown, datastore: Datastore): Promise<string | null> {
    const images = await datastore.unlabeledImages();
    if (images.length === 0) return null;
    return images[Math.min(images.length - 1, Math.floor(this.random() * images.length))] ?? null;
  }
}

/** The first image without a `final` label, by id (MONAI Label's `First`). */
export class FirstStrategy implements Strategy {
  info(): DescribedInfo {
    return { description: 'Get First Sample' };
  }

  async run(_request: unknown, datastore: Datastore): Promise<string | null> {
    const images = await datastore.unlabeledImages();
    return images[0] ?? null;
  }
}
