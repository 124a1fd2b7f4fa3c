// helmrender renders a local chart directory the way `helm template` (and Pulumi's helm.v4.Chart)
// does: helm's action.Install with DryRun and ClientOnly. Used by test/istio/istiodChart.test.ts to
// render Istio's real istiod chart with the values this program computes.
//
// Usage: helmrender <chartDir> <releaseName> <namespace> < values.json  (manifests on stdout)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: helmrender <chartDir> <release> <namespace> < values.json")
		os.Exit(2)
	}
	ch, err := loader.Load(os.Args[1])
	if err != nil {
		fail(err)
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	vals := map[string]interface{}{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &vals); err != nil {
			fail(fmt.Errorf("values: %w", err))
		}
	}
	inst := action.NewInstall(&action.Configuration{})
	inst.DryRun = true
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = os.Args[2]
	inst.Namespace = os.Args[3]
	inst.KubeVersion = &chartutil.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}
	rel, err := inst.Run(ch, vals)
	if err != nil {
		fail(err)
	}
	fmt.Print(rel.Manifest)
}
