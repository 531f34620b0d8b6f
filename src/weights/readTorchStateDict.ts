import * as fs from 'node:fs/promises';
import { parseTorchLegacy } from './readTorchLegacy';
import { parseTorchZip } from './readTorchZip';
import { StateDict } from './tensor';
import { TorchFileError } from './torchPickle';

export { TorchFileError };

/**
 * Reads a `torch.save(state_dict)` file in either layout, told apart by content as torch.load does: a zip archive
 * (PyTorch >= 1.6) starts with a local file header, the legacy layout with a pickle PROTO opcode.
 */
export async function parseTorchStateDict(bytes: Uint8Array, source = 'weights'): Promise<StateDict> {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return parseTorchZip(bytes, source);
  if (bytes.length >= 2 && bytes[0] === 0x80) return parseTorchLegacy(bytes, source);
  throw new TorchFileError(`${source}: not a PyTorch checkpoint (neither torch.save's zip layout nor its legacy pickle layout)`);
}

export async function readTorchStateDict(file: string): Promise<StateDict> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new TorchFileError(`cannot read weights file ${file}: ${(e as Error).message}`);
  }
  return parseTorchStateDict(bytes, file);
}
