// TEST DOUBLE of pulumi-resource-tls v5.6.1 for the e2e tier ONLY (see README.md): never
// installed for users. It serves the ResourceProvider gRPC protocol for tls:index PrivateKey,
// SelfSignedCert, CertRequest and LocallySignedCert, following terraform-provider-tls's source
// (file names in README.md and in each function's comment).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is the @pulumi/tls npm version in package-lock.json: the engine loads the plugin whose
// version the SDK requests.
const version = "5.6.1"

// stderr: where warnings go (the engine shows a plugin's stderr in its log).
var stderr io.Writer = os.Stderr

func main() {
	if err := provider.Main("tls", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{}, nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(pm resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(pm, opts)
}

func (*server) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetSchema: a minimal valid schema (the SDK is already generated; the engine needs no more).
func (*server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"tls","version":"` + version + `","resources":{},"functions":{}}`}, nil
}

func (*server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (*server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (*server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (*server) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func schemaFor(typ string) (*resourceSchema, error) {
	s, ok := schemas[typ]
	if !ok {
		return nil, fmt.Errorf("tls test double: unknown resource type %q (implemented: PrivateKey, SelfSignedCert, CertRequest, LocallySignedCert)", typ)
	}
	return s, nil
}

func (*server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	s, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := check(s, news)
	out, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: out}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.property, Reason: f.reason})
	}
	return resp, nil
}

func (*server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	p, err := planRequest(req.GetType(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true,
		DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	for _, k := range p.diffs {
		resp.Diffs = append(resp.Diffs, k)
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: p.kinds[k], InputDiff: p.inputDiff[k]}
	}
	resp.Replaces = p.replaces
	if len(p.diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return resp, nil
}

func (*server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	s, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, state, err := create(req.GetType(), s, news, req.GetPreview())
	if err != nil {
		return nil, err
	}
	out, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// Read: the provider's Read is a no-op except for certificates, where
// modifyStateIfCertificateReadyForRenewal (common_cert.go) sets readyForRenewal when the early
// renewal time has passed. Inputs are returned as given (or taken from the state).
func (*server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	s, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if s.isCert {
		if err := markReadyForRenewal(state, now()); err != nil {
			return nil, err
		}
	}
	inputs := req.GetInputs()
	if inputs == nil {
		in := resource.PropertyMap{}
		for _, a := range s.inputs {
			if v, ok := state[resource.PropertyKey(a.name)]; ok {
				in[resource.PropertyKey(a.name)] = v
			}
		}
		if inputs, err = marshal(in); err != nil {
			return nil, err
		}
	}
	out, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: out, Inputs: inputs}, nil
}

// Update: only attributes without RequiresReplace get here (earlyRenewalHours, maxPathLength):
// updatedUsingPlan (common.go) copies the plan into the state; the certificate is NOT re-issued.
func (*server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	p, err := planRequest(req.GetType(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if len(p.replaces) > 0 {
		return nil, fmt.Errorf("tls test double: Update called for a change that requires replacement: %v", p.replaces)
	}
	out, err := marshal(p.planned)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

// planRequest: the plan of a Diff or Update request (old state, new inputs, now).
func planRequest(typ string, oldsPB, newsPB *structpb.Struct) (*planResult, error) {
	s, err := schemaFor(typ)
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(oldsPB)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(newsPB)
	if err != nil {
		return nil, err
	}
	return plan(s, olds, news, now())
}

// Delete: a no-op in the provider (the state entry just goes away).
func (*server) Delete(context.Context, *pulumirpc.DeleteRequest) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}
