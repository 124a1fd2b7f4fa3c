/** The CA lifecycle layer: phases, config, guards, the offline CA and workload restarts. */
export * from "./config";
export * from "./guards";
export * from "./offlineCa";
export * from "./phases";
export * from "./restarts";
