/** The CA lifecycle layer: phases, config, guards, the offline CA and workload restarts. */
export * from "./settings";
export * from "./guards";
export * from "./caLifecycle";
export * from "./phases";
export * from "./restarts";
