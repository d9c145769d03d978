// Waiting for a condition during `lab up` and the e2e test, with a reason to give up
// early (the process that should make it true has died) so failures say why, fast.
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  fatal: () => string | undefined = () => undefined,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const why = fatal();
    if (why) throw new Error(`waiting for ${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
