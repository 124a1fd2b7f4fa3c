// Marks this directory as a module root, nothing more: test/istio/istiodChart.ts builds helmrender with
// `go build -modfile ../../../tools/k8sprovider/go.mod`, i.e. with the Kubernetes provider's own
// dependency versions (its Helm and client-go: the ones that render helm.v4.Chart in the e2e tier).
// A fresh CI machine has compiled those packages for the toolchain just before the unit tier, so the
// renderer builds in seconds instead of ≈ 100 s; without the toolchain it downloads and compiles them.
module istio-mesh-ca/test/helmrender

go 1.25.0
