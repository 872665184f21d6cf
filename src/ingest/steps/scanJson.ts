const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export type JsonShape = { ok: true; members: number } | { ok: false; depth: number };

/**
 * One pass over the raw bytes before JSON.parse: the nesting depth (refused beyond
 * `maxDepth` before anything recurses over it) and the number of object members (each `:`
 * outside a string), which a parsed value compares with its own count — JSON.parse keeps
 * the last of two equal keys silently, ClickHouse's parsers keep the first or refuse.
 * Malformed input is left for JSON.parse to describe.
 */
export function scanJsonShape(bytes: Uint8Array, maxDepth: number): JsonShape {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === COLON) {
      members += 1;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) return { ok: false, depth };
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return { ok: true, members };
}

/** Members of a parsed value: what scanJsonShape counted, unless a key was repeated. */
export function countMembers(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key in value) {
    count += 1 + countMembers((value as Record<string, unknown>)[key]);
  }
  return count;
}

/**
 * The path of the first key an object repeats (`features.amount`), for the dead letter's
 * detail. Only called once counts disagree, so it may be slow; the text is valid JSON.
 */
export function findDuplicateKey(text: string): string | undefined {
  type Frame = { keys: Set<string> | undefined; path: string; key: string | undefined };
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      const end = endOfString(text, i);
      const frame = stack.at(-1);
      const literal = text.slice(i, end + 1);
      let after = end + 1;
      while (after < text.length && /\s/.test(text[after] ?? '')) after += 1;
      if (frame?.keys && text[after] === ':') {
        const key = JSON.parse(literal) as string;
        if (frame.keys.has(key)) return frame.path ? `${frame.path}.${key}` : key;
        frame.keys.add(key);
        frame.key = key;
      }
      i = end + 1;
      continue;
    }
    if (char === '{' || char === '[') {
      const parent = stack.at(-1);
      const label = parent?.keys ? parent.key : undefined;
      const path = parent
        ? [parent.path, label ?? '[]'].filter((part) => part !== '').join('.')
        : '';
      stack.push({ keys: char === '{' ? new Set() : undefined, path, key: undefined });
    } else if (char === '}' || char === ']') {
      stack.pop();
    }
    i += 1;
  }
  return undefined;
}

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}
