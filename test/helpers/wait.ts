// Tests wait on a condition, never on a fixed sleep: polled until it holds, or
// failed with what was awaited. A check that throws counts as not yet (a server
// still starting refuses connections), and its last error is in the failure.

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
