//go:build tools

// Package tools pins the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
// so that `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` works from this
// module. pkg/v3's own go.mod replaces sdk/v3 with ../sdk, which `go install
// pkg@version` refuses; this wrapper requires the published sdk/v3 instead.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
