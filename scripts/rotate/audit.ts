import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GateResult } from "./gates";

/**
 * The audit log: one JSON object per line, appended as each step happens (a killed run keeps every
 * line written before the kill). A record of what was done, never read back to decide anything: the
 * rotation's state is in the stacks.
 */

export type AuditEvent =
  "start" | "refused" | "preview" | "config" | "up" | "gates" | "force" | "recover" | "done" | "failed" | "interrupted";

export interface AuditEntry {
  readonly time: string;
  /** One id per conductor run, so the lines of one run can be grouped. */
  readonly run: string;
  readonly command: string;
  readonly event: AuditEvent;
  readonly stack?: string;
  /** The lifecycle step (intermediate, dual, cutover, finalize, steady) or `preflight`. */
  readonly step?: string;
  readonly changedUrns?: readonly string[];
  readonly config?: readonly string[];
  readonly gates?: readonly Pick<GateResult, "gate" | "stack" | "cluster" | "holds" | "detail" | "notChecked">[];
  readonly message?: string;
}

export class AuditLog {
  readonly run = crypto.randomUUID();
  private readonly operator = `${os.userInfo().username}@${os.hostname()}`;

  constructor(
    readonly file: string,
    readonly command: string,
  ) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  write(e: Omit<AuditEntry, "time" | "run" | "command">): void {
    const entry = {
      time: new Date().toISOString(),
      run: this.run,
      command: this.command,
      ...(e.event === "start" ? { operator: this.operator } : {}),
      ...e,
    };
    fs.appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }
}

/** Pure: the entries of an audit log file (for tests and for people with jq). */
export function readAudit(text: string): AuditEntry[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as AuditEntry);
}
