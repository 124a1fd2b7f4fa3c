/** `istio-mesh-ca/inventory`: what CA material a stack holds and how long it stays valid. */
export { caInventory, daysLeft, refreshDaysLeft } from "./caInventory";
export { splitPemCerts } from "../ca/pem";
export type { CaInventoryEntry, CaRole, ClusterCaPems, ExportedCaEntry, StackInventory } from "./caInventory";
export { inventoryOutput } from "./stackInventory";
export type { ClusterCaOutputs } from "./stackInventory";
