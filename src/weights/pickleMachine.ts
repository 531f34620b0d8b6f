/**
 * A minimal, non-executing interpreter for the pickle subset that `torch.save(state_dict)` emits.
 *
 * Nothing from the file is ever executed: GLOBAL opcodes resolve only against the caller's allow-list of
 * (module, name) pairs to plain TypeScript callables; REDUCE calls those and nothing else. Any other global,
 * any opcode outside the subset, or a malformed stream is an error.
 */

export class PickleError extends Error {
  override name = 'PickleError';
}

/** A callable the pickle may reference, identified by "module name" (e.g. "torch._utils _rebuild_tensor_v2"). */
export type PickleGlobal = { readonly kind: 'global'; readonly qualname: string; readonly call?: (args: unknown[]) => unknown };


const MARK = Symbol('mark');

export interface PickleOptions {
  readonly globals: ReadonlyMap<string, PickleGlobal>;
  /** Resolves a BINPERSID id tuple (torch storages). */
  readonly persistentLoad: (pid: unknown) => unknown;
}

export function unpickle(bytes: Uint8Array, opts: PickleOptions): unknown {
  return unpickleAt(bytes, 0, opts).value;
}

/** Reads one pickle starting at byte `start` (torch's legacy format is several pickles back to back). */
export function unpickleAt(bytes: Uint8Array, start: number, opts: PickleOptions): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new PickleError(`pickle truncated at byte ${pos} (needs ${n} more)`);
  };
  const u8 = () => (need(1), view.getUint8(pos++));
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const utf8 = (n: number) => {
    need(n);
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + n));
    pos += n;
    return s;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('pickle truncated inside a GLOBAL line');
    const s = utf8(end - pos);
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleError(`pickle stack underflow at byte ${pos}`);
    const v = stack.pop();
    if (v === MARK) throw new PickleError(`unexpected MARK at byte ${pos}`);
    return v;
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleError(`missing MARK at byte ${pos}`);
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) throw new PickleError(`pickle stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const memoGet = (k: number) => {
    if (!memo.has(k)) throw new PickleError(`pickle memo key ${k} unset`);
    return memo.get(k);
  };
  const allowedGlobal = (mod: unknown, name: unknown): PickleGlobal => {
    // Never String() an arbitrary stack value: a nested list 100,000 deep would overflow the call stack.
    if (typeof mod !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL on a non-string module or name at byte ${pos - 1}`);
    const qualname = `${mod} ${name}`;
    const g = opts.globals.get(qualname);
    const shown = qualname.length > 120 ? `${qualname.slice(0, 120)}...` : qualname;
    if (!g) throw new PickleError(`pickle references a forbidden global "${shown}"; only a plain PyTorch state_dict is accepted`);
    return g;
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (!(target instanceof Map)) throw new PickleError('SETITEM(S) on a non-dict');
    if (kv.length % 2) throw new PickleError('SETITEMS with an odd item count');
    for (let i = 0; i < kv.length; i += 2) target.set(kv[i], kv[i + 1]);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError('unsupported pickle protocol');
        break;
      case 0x95: // FRAME (protocol 4): an 8-byte length we do not need
        need(8);
        pos += 8;
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const mod = line();
        stack.push(allowedGlobal(mod, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        stack.push(allowedGlobal(pop(), name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop() as PickleGlobal;
        if (!fn || fn.kind !== 'global' || !fn.call) throw new PickleError('REDUCE on something that is not an allowed callable');
        if (!Array.isArray(args)) throw new PickleError('REDUCE arguments are not a tuple');
        stack.push(fn.call(args));
        break;
      }
      case 0x62: { // BUILD: state on an OrderedDict is torch's `_metadata`; it carries no tensor data
        pop();
        if (!(top() instanceof Map)) throw new PickleError('BUILD on a non-dict object');
        break;
      }
      case 0x51: stack.push(opts.persistentLoad(pop())); break; // BINPERSID
      case 0x28: stack.push(MARK); break; // MARK
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw new PickleError('APPEND on a non-list'); l.push(v); break; }
      case 0x65: { // APPENDS (a loop: spreading 200,000 items into push() overflows the call stack)
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError('APPENDS on a non-list');
        for (const v of items) l.push(v);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: { // LONG1: a number when exact, else a bigint (the legacy format's magic number is 80 bits)
        const n = u8();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(view.getUint8(pos + i));
        if (n > 0 && view.getUint8(pos + n - 1) & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? v : Number(v));
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x2e: { // STOP
        const result = pop();
        if (stack.length) throw new PickleError('pickle ended with items left on the stack');
        return { value: result, end: pos };
      }
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
