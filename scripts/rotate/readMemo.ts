import { createHash } from "crypto";
import * as fs from "fs";

/**
 * Remembers reads of a stack (its outputs, config, exported resources) for as long as the files they
 * come from hold the same bytes. Each `pulumi` command the conductor runs to read a stack costs ≈ 0.4 s
 * of CPU (the CLI's start-up), and a rotation step reads the same unchanged stacks several times
 * (before and after each follower's `up`, before each gate). Keyed on the files' contents, not on who
 * wrote them: a `pulumi up` or `config set` run by anyone (this process or another) changes the key,
 * and the next read goes to the CLI again. When no source file can be named (a non-file backend, a
 * stack file importing an ESC environment), nothing is remembered.
 */
export class ReadMemo {
  private readonly entries = new Map<string, { readonly key: string; readonly value: Promise<unknown> }>();

  /**
   * `read()`'s result, or the one remembered under `slot` if `files` still hold the bytes they held then.
   * `files` undefined or none existing: `read()` every time. A failed read is not remembered.
   */
  get<T>(slot: string, files: readonly string[] | undefined, read: () => Promise<T>): Promise<T> {
    const key = files && contentKey(files);
    if (key === undefined) return read();
    const hit = this.entries.get(slot);
    if (hit && hit.key === key) return hit.value as Promise<T>;
    // The key is taken before the read: if a file changes during it, the next key differs and reads again.
    const value = read();
    this.entries.set(slot, { key, value });
    value.catch(() => {
      if (this.entries.get(slot)?.value === value) this.entries.delete(slot);
    });
    return value;
  }
}

/** Pure over the file system: a digest of which of `files` exist and their bytes; undefined if none exists. */
export function contentKey(files: readonly string[]): string | undefined {
  const h = createHash("sha256");
  let any = false;
  for (const f of files) {
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    h.update(`${f}\0${bytes ? bytes.length : -1}\0`);
    if (bytes) {
      h.update(bytes);
      any = true;
    }
  }
  return any ? h.digest("hex") : undefined;
}
