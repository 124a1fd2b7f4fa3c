/** The CA lifecycle layer: phases, settings, guards, the two modes of the offline CA and workload restarts. */
export * from "./settings";
export * from "./guards";
export * from "./common";
export * from "./istiod";
export * from "./caLifecycle";
export * from "./previous";
export * from "./generated";
export * from "./rootStack";
export * from "./phases";
export * from "./restarts";
