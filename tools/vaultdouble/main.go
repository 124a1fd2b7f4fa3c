// TEST DOUBLE of pulumi-resource-vault v7.8.0 for the e2e tier ONLY (see README.md): never
// installed for users. It serves the ResourceProvider gRPC protocol for the @pulumi/vault resources
// this program uses, doing every operation against a real Vault through
// github.com/hashicorp/vault/api, following the source of terraform-provider-vault v5.8.0 (the
// upstream pulumi-vault 7.8.0 embeds) and of pulumi-terraform-bridge v3.125.0 (how pulumi-vault
// surfaces it): file names in README.md and in each function's comment.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"
	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is the @pulumi/vault npm version in package-lock.json: the engine loads the plugin whose
// version the SDK requests.
const version = "7.8.0"

// stderr: where warnings go (the engine shows a plugin's stderr in its log).
var stderr io.Writer = os.Stderr

func main() {
	if err := provider.Main("vault", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newServer(), nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	meta *meta
}

func newServer() *server { return &server{meta: &meta{}} }

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

// outOpts keep nulls: every attribute of the schema is in the outputs, as the bridge returns them.
var outOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(pm resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(pm, opts)
}

func marshalOutputs(pm resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(pm, outOpts)
}

func (*server) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetSchema: a minimal valid schema (the SDK is already generated; the engine needs no more).
func (*server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"vault","version":"` + version + `","resources":{},"functions":{}}`}, nil
}

func (*server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: req.GetNews()}
	for _, f := range checkProviderConfig(news) {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.property, Reason: f.reason})
	}
	return resp, nil
}

// DiffConfig: a changed provider setting is an update of the provider, never a replacement (the
// provider schema has no ForceNew attribute).
func (*server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		if k == "version" || strings.HasPrefix(string(k), "__") {
			continue
		}
		o, n := unwrap(olds[k]), unwrap(news[k])
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			resp.Diffs = append(resp.Diffs, string(k))
		}
	}
	sort.Strings(resp.Diffs)
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return resp, nil
}

func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	var pm resource.PropertyMap
	if req.GetArgs() != nil {
		var err error
		if pm, err = unmarshal(req.GetArgs()); err != nil {
			return nil, err
		}
	} else {
		pm = resource.PropertyMap{}
		for k, v := range req.GetVariables() {
			if i := strings.LastIndex(k, ":"); i >= 0 {
				k = k[i+1:]
			}
			pm[resource.PropertyKey(k)] = resource.NewProperty(v)
		}
	}
	if fs := checkProviderConfig(pm); len(fs) > 0 {
		var msgs []string
		for _, f := range fs {
			msgs = append(msgs, f.reason)
		}
		return nil, fmt.Errorf("vault provider configuration: %s", strings.Join(msgs, "; "))
	}
	cfg, err := parseProviderConfig(pm)
	if err != nil {
		return nil, err
	}
	s.meta.configure(cfg)
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (*server) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func schemaFor(typ string) (*resourceSchema, error) {
	s, ok := schemas[typ]
	if !ok {
		var have []string
		for k := range schemas {
			have = append(have, k)
		}
		sort.Strings(have)
		return nil, fmt.Errorf("%s is not implemented by the Vault test double (tools/vaultdouble); it implements only %s",
			typ, strings.Join(have, ", "))
	}
	return s, nil
}

func (*server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	s, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	an := autonaming{}
	if a := req.GetAutonaming(); a != nil {
		an = autonaming{proposed: a.GetProposedName(), mode: a.GetMode(), set: true}
	}
	checked, failures := check(s, resource.URN(req.GetUrn()), olds, news, req.GetRandomSeed(), an)
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

// tfState: the state (outputs) as TF values.
func tfState(s *resourceSchema, pb *structpb.Struct) (map[string]any, error) {
	pm, err := unmarshal(pb)
	if err != nil {
		return nil, err
	}
	m, fs := tfMap(s, pm)
	if len(fs) > 0 {
		return nil, fmt.Errorf("%s: unreadable state: %s", s.token, fs[0].reason)
	}
	return m, nil
}

func tfConfig(s *resourceSchema, pb *structpb.Struct) (map[string]any, resource.PropertyMap, error) {
	pm, err := unmarshal(pb)
	if err != nil {
		return nil, nil, err
	}
	m, fs := tfMap(s, pm)
	if len(fs) > 0 {
		return nil, nil, fmt.Errorf("%s: %s", s.token, fs[0].reason)
	}
	return m, pm, nil
}

func (s *server) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	sch, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := tfState(sch, req.GetOlds())
	if err != nil {
		return nil, err
	}
	cfg, news, err := tfConfig(sch, req.GetNews())
	if err != nil {
		return nil, err
	}
	p, err := plan(ctx, sch, req.GetId(), olds, cfg, s.meta)
	if err != nil {
		return nil, fmt.Errorf("diffing %s: %w", req.GetUrn(), err)
	}
	return diffResponse(sch, p, news), nil
}

// initFailed: the bridge keeps a resource whose Create (or Update) failed after it got an ID, with
// the error as an initialization failure, so the engine records what Vault now holds.
func initFailed(err error, id string, props, inputs *structpb.Struct) error {
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, err.Error()),
		&pulumirpc.ErrorResourceInitFailed{Id: id, Properties: props, Inputs: inputs, Reasons: []string{err.Error()}})
}

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	sch, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	cfg, _, err := tfConfig(sch, req.GetProperties())
	if err != nil {
		return nil, err
	}
	p, err := plan(ctx, sch, "", map[string]any{}, cfg, s.meta)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		st := p.planned
		for _, a := range sch.attrs {
			if !a.isInput() || (a.computed && st[a.tf] == nil) {
				st[a.tf] = unknown{}
			}
		}
		out, err := marshalOutputs(outputs(sch, "", st))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: out}, nil
	}
	d := &resourceData{s: sch, old: map[string]any{}, cur: p.planned, raw: cfg, isNew: true}
	if err := sch.ops.create(ctx, d, s.meta); err != nil {
		if d.id != "" {
			out, merr := marshalOutputs(outputs(sch, d.id, d.cur))
			if merr == nil {
				return nil, initFailed(err, d.id, out, req.GetProperties())
			}
		}
		return nil, err
	}
	if d.id == "" {
		return nil, fmt.Errorf("%s: create returned no ID", sch.tfName)
	}
	out, err := marshalOutputs(outputs(sch, d.id, d.cur))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: d.id, Properties: out}, nil
}

// Read (refresh): schema.Resource.RefreshWithoutUpgrade: Exists (if any), then Read, on the state.
func (s *server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	sch, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	if len(req.GetProperties().GetFields()) == 0 {
		return nil, fmt.Errorf("%s: import and .get are not implemented by the Vault test double (tools/vaultdouble)", sch.token)
	}
	state, err := tfState(sch, req.GetProperties())
	if err != nil {
		return nil, err
	}
	oldInputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	old := map[string]any{}
	for k, v := range state {
		old[k] = v
	}
	// ReadWrapper importNamespace: TERRAFORM_VAULT_NAMESPACE_IMPORT fills an unset namespace.
	if ns := os.Getenv("TERRAFORM_VAULT_NAMESPACE_IMPORT"); ns != "" && state["namespace"] == nil {
		state["namespace"] = ns
	}
	d := &resourceData{s: sch, id: req.GetId(), old: old, cur: state}
	if sch.ops.exists != nil {
		ok, err := sch.ops.exists(ctx, d, s.meta)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &pulumirpc.ReadResponse{}, nil
		}
	}
	if err := sch.ops.read(ctx, d, s.meta); err != nil {
		return nil, err
	}
	if d.id == "" {
		return &pulumirpc.ReadResponse{}, nil // gone
	}
	outs := outputs(sch, d.id, d.cur)
	out, err := marshalOutputs(outs)
	if err != nil {
		return nil, err
	}
	in, err := marshal(refreshInputs(sch, oldInputs, outs))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: d.id, Properties: out, Inputs: in}, nil
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	sch, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := tfState(sch, req.GetOlds())
	if err != nil {
		return nil, err
	}
	cfg, _, err := tfConfig(sch, req.GetNews())
	if err != nil {
		return nil, err
	}
	p, err := plan(ctx, sch, req.GetId(), olds, cfg, s.meta)
	if err != nil {
		return nil, err
	}
	if len(p.replace) > 0 || sch.ops.update == nil {
		return nil, fmt.Errorf("%s: Update called for a change that requires replacement (%v)", sch.tfName, p.changed)
	}
	if req.GetPreview() {
		out, err := marshalOutputs(outputs(sch, req.GetId(), p.planned))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: out}, nil
	}
	d := &resourceData{s: sch, id: req.GetId(), old: olds, cur: p.planned, raw: cfg}
	if err := sch.ops.update(ctx, d, s.meta); err != nil {
		return nil, err
	}
	out, err := marshalOutputs(outputs(sch, d.id, d.cur))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*pbempty.Empty, error) {
	sch, err := schemaFor(req.GetType())
	if err != nil {
		return nil, err
	}
	state, err := tfState(sch, req.GetProperties())
	if err != nil {
		return nil, err
	}
	d := &resourceData{s: sch, id: req.GetId(), old: state, cur: state}
	if err := sch.ops.delete(ctx, d, s.meta); err != nil {
		return nil, err
	}
	return &pbempty.Empty{}, nil
}
