// Command pulumi-resource-kubernetes: the Pulumi Kubernetes provider, built from the
// github.com/pulumi/pulumi-kubernetes/provider/v4 Go module. Upstream's main package embeds
// files its Makefile generates (schema-embed.json, terraform-mapping-embed.json), which the
// module does not ship; tools/build.sh generates them beside this file (gitignored) with
// ./embedgen, from the schema.json/terraform-mapping.json the module does ship.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
