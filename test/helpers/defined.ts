/**
 * `value` when it is neither undefined nor null; otherwise the test fails here with `what` in the message. For values
 * a test needs in order to go on (an optional result, an element of a list it has just checked the length of).
 */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}
