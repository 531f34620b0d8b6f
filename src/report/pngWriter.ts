import { PNG } from 'pngjs';

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

export function makeRgbImage(width: number, height: number): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`image size must be positive integers, got ${width} x ${height}`);
  return { width, height, rgb: new Uint8Array(width * height * 3) };
}

/** The image as an RGB (colour type 2) 8-bit PNG. */
export function encodePng(image: RgbImage): Buffer {
  const options = { colorType: 2, inputColorType: 2, inputHasAlpha: false } as const;
  const png = new PNG({ width: image.width, height: image.height, ...options });
  png.data = Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength);
  return PNG.sync.write(png, options);
}
