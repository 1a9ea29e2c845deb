// The round-trip runner shared by the TypeScript clients (typescript-fetch, hey-api).
// Each check runs in order; a failing check is reported and the next one still runs.
// Prints `ok NAME` or `FAIL NAME: why` per check, then `roundtrip N/13`; exit code 0 only if all pass.

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

export const TOTAL = 13;
export const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export type Check = [name: string, run: () => Promise<void>];

export async function runChecks(checks: Check[]): Promise<void> {
  let passed = 0;
  for (const [name, run] of checks) {
    try {
      await run();
      passed += 1;
      console.log(`ok ${name}`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      console.log(`FAIL ${name}: ${why.replace(/\s+/g, " ").slice(0, 400)}`);
    }
  }
  console.log(`roundtrip ${passed}/${TOTAL}`);
  process.exitCode = passed === TOTAL && checks.length === TOTAL ? 0 : 1;
}
