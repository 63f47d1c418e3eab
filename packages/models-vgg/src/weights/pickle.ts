/**
 * A minimal, safe pickle reader: enough of protocols 2-5 for what `torch.save(state_dict)` writes (dicts,
 * OrderedDict, tuples, ints, strings, persistent ids for storages, torch._utils._rebuild_tensor_v2). It never
 * executes anything: globals become PyGlobal markers, and REDUCE/NEWOBJ go through the caller's `reduce` hook.
 */

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object the reader does not model (kept so unrelated parts of a pickle do not fail the load). */
export class PyOpaque {
  state: unknown = undefined;
  constructor(
    readonly callable: unknown,
    readonly args: unknown[],
  ) {}
}

export interface PickleHooks {
  /** Handles BINPERSID (torch: ('storage', StorageType, key, location, numel)). */
  persistentLoad(pid: unknown): unknown;
  /** Handles REDUCE and NEWOBJ; return undefined to keep an opaque object. */
  reduce?(callable: PyGlobal, args: unknown[]): unknown;
}

export class PickleError extends Error {
  override name = 'PickleError';
}

const MARK = Symbol('mark');

export function unpickle(bytes: Uint8Array, hooks: PickleHooks, where = 'pickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`${where}: ${msg} at byte ${pos}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.byteLength) fail(`truncated (needs ${n} more bytes)`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => (need(8), (pos += 8), Number(view.getBigUint64(pos - 8, true)));
  const raw = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const s = text.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => (stack.length ? stack.pop() : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      const top = pop();
      if (top === MARK) return items.reverse();
      items.push(top);
    }
  };
  const top = () => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const littleEndianInt = (b: Uint8Array): number => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };
  const setItem = (d: unknown, k: unknown, v: unknown) => {
    if (d instanceof Map) d.set(k, v);
    else fail(`SETITEM on a ${typeof d}`);
  };
  const callReduce = (callable: unknown, args: unknown[]) => {
    if (callable instanceof PyGlobal) {
      const made = hooks.reduce?.(callable, args);
      if (made !== undefined) return made;
    }
    return new PyOpaque(callable, args);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x58: stack.push(text.decode(raw(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(raw(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text.decode(raw(u64()))); break; // BINUNICODE8
      case 0x55: stack.push(text.decode(raw(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(text.decode(raw(u32()))); break; // BINSTRING
      case 0x43: stack.push(raw(u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(raw(u32())); break; // BINBYTES
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(littleEndianInt(raw(u8()))); break; // LONG1
      case 0x8b: stack.push(littleEndianInt(raw(u32()))); break; // LONG4
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} not found`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { const module = line(); stack.push(new PyGlobal(module, line())); break; } // GLOBAL
      case 0x93: { const name = pop(); stack.push(new PyGlobal(String(pop()), String(name))); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const callable = pop(); stack.push(callReduce(callable, args as unknown[])); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(callReduce(cls, args as unknown[])); break; } // NEWOBJ
      case 0x62: { // BUILD: state for an object; torch's OrderedDict carries `_metadata`, unused here.
        const state = pop();
        const obj = top();
        if (obj instanceof PyOpaque) obj.state = state;
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x61: { const v = pop(); (top() as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as unknown[]).push(...items); break; } // APPENDS
      case 0x90: { const items = popMark(); for (const i of items) (top() as Set<unknown>).add(i); break; } // ADDITEMS
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        pos--;
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
