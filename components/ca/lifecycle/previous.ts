import * as pulumi from "@pulumi/pulumi";
import { LIFECYCLE_OUTPUT, selfStackName } from "./common";
import { LifecycleState, parseLifecycleState } from "./phases";

/**
 * Reading back what this stack's last deployment recorded, for the stack program to pass to a lifecycle
 * as `previous`. A stack program calls these, never a component: the lifecycle only takes the state in.
 */

/**
 * The `caLifecycle` output `ref`'s stack recorded (not secret, even when other outputs are: phases and
 * generations are plain facts). `undefined` when the stack has no outputs (never deployed) or no such
 * output; a malformed one is refused, naming the output.
 */
export function previousLifecycleStateOf(ref: pulumi.StackReference): pulumi.Output<LifecycleState | undefined> {
  return pulumi.unsecret(
    ref.outputs.apply(async (outputs): Promise<LifecycleState | undefined> => {
      if (!outputs) return undefined;
      const details = await ref.getOutputDetails(LIFECYCLE_OUTPUT);
      const raw = details.value ?? details.secretValue;
      return raw === undefined
        ? undefined
        : parseLifecycleState(raw, `the previous deployment's ${LIFECYCLE_OUTPUT} output`);
    }),
  );
}

/**
 * The state this stack's previous deployment exported as `caLifecycle`: opens a StackReference named
 * `name` to this stack (`organization/project/stack`) and reads it. Pass the result as `previous` to
 * `createCaLifecycle` and export the lifecycle's `state` as `caLifecycle`, so that the next deployment
 * finds it.
 * @example
 * const caLifecycle = createCaLifecycle("corp", { previous: readPreviousLifecycleState("corp-previous") });
 * export const caLifecycle = caLifecycle.state;
 */
export function readPreviousLifecycleState(
  name: string,
  opts: pulumi.CustomResourceOptions = {},
): pulumi.Output<LifecycleState | undefined> {
  return previousLifecycleStateOf(new pulumi.StackReference(name, { name: selfStackName() }, opts));
}
