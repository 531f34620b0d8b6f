/** What `waitFor` polls for and how long it may take. */
export interface WaitForOptions {
  /** Names the awaited state in the timeout message ("the task at /scoring/ to finish"). */
  what: string;
  /** Gives up (throws) once this much time has passed without `check` succeeding. Default 5000 ms. */
  timeoutMs?: number;
  /** Pause between two checks. Default 5 ms. */
  intervalMs?: number;
  /** Extra context for the timeout message, e.g. the last answer seen. */
  detail?: () => string;
}

/** A check's value that means "not yet". */
type NotYet = false | null | undefined;

/**
 * The one bounded polling loop of the tests: calls `check` until it returns something other than false, null or
 * undefined, and resolves with that value. Past `timeoutMs` it throws `timed out after N ms waiting for <what>`,
 * so a state that never comes fails the test with a message instead of being skipped silently. An error thrown by
 * `check` ends the wait with that error.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions): Promise<Exclude<T, NotYet>> {
  const { what, timeoutMs = 5000, intervalMs = 5, detail } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== null && value !== undefined) return value as Exclude<T, NotYet>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
