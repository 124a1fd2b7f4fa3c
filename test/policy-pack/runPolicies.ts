import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import * as fs from "fs";
import * as path from "path";
import { ProgramRun } from "../harness/program";
import { policyResource, stackViolations, violations } from "./fakeArgs";

/** The policy config CI passes with `--policy-pack-config` (string entries only set an enforcement level). */
export function ciPolicyConfig(): Record<string, object> {
  const raw = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, "../../policy-pack/policy-config.json"), "utf8"),
  ) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([, v]) => typeof v === "object")
      .map(([k, v]) => {
        const { enforcementLevel: _level, ...props } = v as Record<string, unknown>;
        return [k, props];
      }),
  );
}

/**
 * Feeds every resource a run registered (type + inputs as props) through every policy of the pack,
 * configured as CI configures it.
 */
export async function allViolations(
  run: ProgramRun,
  stack: string,
  config: Record<string, object> = ciPolicyConfig(),
): Promise<string[]> {
  const found: string[] = [];
  for (const policy of policies) {
    if ("validateResource" in policy) {
      for (const r of run.resources) {
        for (const v of await violations(
          policy as ResourceValidationPolicy,
          { type: r.type, props: r.inputs, name: r.name, stack },
          config[policy.name],
        )) {
          found.push(`${policy.name} ${r.type} ${r.name}: ${v}`);
        }
      }
    } else {
      const resources = run.resources.map((r) =>
        policyResource({ type: r.type, props: r.inputs, name: r.name, stack }),
      );
      for (const v of await stackViolations(policy as StackValidationPolicy, resources, config[policy.name]))
        found.push(`${policy.name}: ${v.message}`);
    }
  }
  return found;
}
