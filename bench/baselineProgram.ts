import * as k8s from "@pulumi/kubernetes";

// The one-resource program every scenario is compared with: same SDK, same mocks, same process setup.
export const namespace = new k8s.core.v1.Namespace("baseline", { metadata: { name: "baseline" } }).metadata.name;
