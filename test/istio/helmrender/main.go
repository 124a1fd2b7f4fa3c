// helmrender renders a local chart directory the way `helm template` (and Pulumi's helm.v4.Chart)
// does: helm's action.Install with DryRun and ClientOnly. test/istio/istiodChart.ts runs it for the
// unit tests that render Istio's real istiod chart with the values this program computes.
//
// Usage: helmrender <chartDir> <releaseName> <namespace> [<postRendererCommand> <arg>...] < values.json
// (manifests on stdout). A post-renderer is run by Helm itself (postrender.NewExec), as
// helm.v4.Chart's `postRenderer` input is.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/postrender"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: helmrender <chartDir> <release> <namespace> [<postRenderer> <arg>...] < values.json")
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
	if len(os.Args) > 4 {
		pr, err := postrender.NewExec(os.Args[4], os.Args[5:]...)
		if err != nil {
			fail(err)
		}
		inst.PostRenderer = pr
	}
	rel, err := inst.Run(ch, vals)
	if err != nil {
		fail(err)
	}
	fmt.Print(rel.Manifest)
}
