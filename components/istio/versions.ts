/** The pinned Istio release: chart version by default (the AKS add-on has its own revisions). */
export const ISTIO_VERSION = "1.29.2";
/** Istio's official Helm repository. */
export const ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";
/** The namespace istiod runs in unless told otherwise. */
export const DEFAULT_ISTIO_NAMESPACE = "istio-system";
