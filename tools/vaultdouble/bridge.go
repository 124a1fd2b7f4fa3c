// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// What pulumi-terraform-bridge v3.125.0 (the bridge of pulumi-vault 7.8.0) does around an SDKv2
// resource, following pkg/tfbridge/provider.go (Check, Diff, Read) and schema.go (applyDefaults,
// extractInputs): defaults and auto-names into the checked inputs (listed in "__defaults"),
// Sensitive attributes as secrets, ForceNew changes as replacements, and SDKv2's own diff rules
// (helper/schema schemaMap.diff: an unset Optional value equals the zero value, Optional+Computed
// keeps the state when unset, StateFunc/DiffSuppressFunc, sets without order).
package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type resourceOps struct {
	create func(ctx context.Context, d *resourceData, m *meta) error
	read   func(ctx context.Context, d *resourceData, m *meta) error
	// update is nil when every input is ForceNew (the resource has no Update).
	update func(ctx context.Context, d *resourceData, m *meta) error
	delete func(ctx context.Context, d *resourceData, m *meta) error
	// exists: schema.Resource.Exists, called before Read on refresh.
	exists func(ctx context.Context, d *resourceData, m *meta) (bool, error)
	// customizeDiff: schema.Resource.CustomizeDiff.
	customizeDiff func(ctx context.Context, d *diffData, m *meta) error
}

type failure struct{ property, reason string }

// ------------------------------------------------------------------ Check

type autonaming struct {
	proposed string
	mode     pulumirpc.CheckRequest_AutonamingOptions_Mode
	set      bool
}

// check: the bridge's Check. olds are the prior inputs (to keep earlier defaults and auto-names).
func check(s *resourceSchema, urn resource.URN, olds, news resource.PropertyMap, seed []byte, an autonaming) (resource.PropertyMap, []failure) {
	out := resource.PropertyMap{}
	for k, v := range news {
		if !isReservedKey(string(k)) {
			out[k] = v
		}
	}
	cfg, fs := tfMap(s, out)

	// Old defaults are reused only if they were defaults (or no list was recorded).
	useOld := func(name string) bool { return true }
	if od, ok := olds["__defaults"]; ok && od.IsArray() {
		set := map[string]bool{}
		for _, e := range od.ArrayValue() {
			if e.IsString() {
				set[e.StringValue()] = true
			}
		}
		useOld = func(name string) bool { return set[name] }
	}
	conflicting := func(a *attr) bool {
		for _, c := range a.conflictsWith {
			if cfg[c] != nil {
				return true
			}
		}
		return false
	}
	var defaults []string
	if s.autoName {
		if _, has := cfg["name"]; !has {
			var name string
			if old, ok := olds["name"]; ok && unwrap(old).IsString() && useOld("name") {
				name = unwrap(old).StringValue()
			} else {
				n, err := autoName(urn, seed, an)
				if err != nil {
					fs = append(fs, failure{"name", err.Error()})
				}
				name = n
			}
			if name != "" {
				out["name"] = resource.NewProperty(name)
				cfg["name"] = name
				defaults = append(defaults, "name")
			}
		}
	}
	for _, a := range s.attrs {
		if a.def == nil || cfg[a.tf] != nil || conflicting(a) {
			continue
		}
		v := resource.NewPropertyValue(a.def)
		if old, ok := olds[resource.PropertyKey(a.name)]; ok && useOld(a.name) && !unwrap(old).IsNull() {
			v = old
		}
		out[resource.PropertyKey(a.name)] = v
		x, _ := fromProperty(a, v)
		cfg[a.tf] = x
		defaults = append(defaults, a.name)
	}
	sort.Strings(defaults)
	dv := []resource.PropertyValue{}
	for _, d := range defaults {
		dv = append(dv, resource.NewProperty(d))
	}
	out["__defaults"] = resource.NewProperty(dv)

	for _, a := range s.attrs {
		v, has := cfg[a.tf]
		k := resource.PropertyKey(a.name)
		switch {
		case a.writeOnly && has:
			fs = append(fs, failure{a.name, fmt.Sprintf("%s: write-only inputs are not implemented by the Vault test double (tools/vaultdouble); use %s", a.name, pulumiName(trimWo(a.tf)))})
		case !a.isInput() && has:
			fs = append(fs, failure{a.name, fmt.Sprintf("%s is an output of %s, it cannot be set", a.name, s.token)})
		case a.required && !has:
			fs = append(fs, failure{a.name, fmt.Sprintf("Missing required property '%s'", a.name)})
		case has && !isUnknown(v) && a.validate != nil:
			if msg := a.validate(v); msg != "" {
				fs = append(fs, failure{a.name, fmt.Sprintf("%s: %s", a.name, msg)})
			}
		}
		if has && a.typ == tBlock && !isUnknown(v) {
			m, _ := v.(map[string]any)
			for _, n := range a.nested {
				if x, ok := m[n.tf]; ok && n.validate != nil && !isUnknown(x) {
					if msg := n.validate(x); msg != "" {
						fs = append(fs, failure{a.name, fmt.Sprintf("%s.%s: %s", a.name, n.name, msg)})
					}
				}
			}
		}
		// MarkSchemaSecrets: Sensitive inputs are returned as secrets.
		if a.sensitive && has {
			if cur, ok := out[k]; ok && !cur.IsSecret() {
				out[k] = resource.MakeSecret(cur)
			}
		}
	}
	for _, a := range s.attrs {
		for _, c := range a.conflictsWith {
			if cfg[a.tf] != nil && cfg[c] != nil && a.tf < c {
				fs = append(fs, failure{a.name, fmt.Sprintf("%q: conflicts with %s", a.name, pulumiName(c))})
			}
		}
	}
	return out, fs
}

func trimWo(tf string) string {
	if len(tf) > 3 && tf[len(tf)-3:] == "_wo" {
		return tf[:len(tf)-3]
	}
	return tf
}

// autoName: info.ComputeAutoNameDefault with AutoName(name, 255, "-"): the engine's proposal when
// it sends one, otherwise "<resource name>-<7 hex>" from the request's random seed.
func autoName(urn resource.URN, seed []byte, an autonaming) (string, error) {
	if an.set {
		switch an.mode {
		case pulumirpc.CheckRequest_AutonamingOptions_ENFORCE, pulumirpc.CheckRequest_AutonamingOptions_PROPOSE:
			if len(an.proposed) > 255 {
				return "", fmt.Errorf("calculated name '%s' exceeds maximum length of %d", an.proposed, 255)
			}
			return an.proposed, nil
		case pulumirpc.CheckRequest_AutonamingOptions_DISABLE:
			return "", fmt.Errorf("automatic naming is disabled but no explicit name was provided")
		}
	}
	return resource.NewUniqueName(seed, urn.Name()+"-", 7, 255, nil)
}

// ------------------------------------------------------------------ plan / Diff

type planResult struct {
	planned  map[string]any
	changed  []string // TF names, in schema order
	replace  map[string]bool
	detailed map[string]*pulumirpc.PropertyDiff
}

// plan: SDKv2's diff of the prior state (olds) against the configuration (cfg, with defaults),
// then the resource's CustomizeDiff. id is empty for a new resource.
func plan(ctx context.Context, s *resourceSchema, id string, olds, cfg map[string]any, m *meta) (*planResult, error) {
	p := &planResult{planned: map[string]any{}, replace: map[string]bool{}, detailed: map[string]*pulumirpc.PropertyDiff{}}
	changed := map[string]bool{}
	for _, a := range s.attrs {
		old := olds[a.tf]
		if !a.isInput() {
			p.planned[a.tf] = old
			continue
		}
		nv, has := cfg[a.tf]
		switch {
		case !has || nv == nil:
			if a.computed {
				p.planned[a.tf] = old // Optional+Computed: unset keeps the state
				continue
			}
			p.planned[a.tf] = nil
		case isUnknown(nv):
			p.planned[a.tf] = nv
			changed[a.tf] = true
			continue
		default:
			if a.stateFunc != nil {
				nv = a.stateFunc(toString(nv))
			}
			p.planned[a.tf] = normalize(a, nv)
		}
		if a.writeOnly {
			p.planned[a.tf] = nil
			continue
		}
		if equalTF(a, old, p.planned[a.tf]) {
			continue
		}
		if a.diffSuppress != nil && a.typ == tString && a.diffSuppress(toString(old), toString(p.planned[a.tf])) {
			p.planned[a.tf] = old
			continue
		}
		changed[a.tf] = true
	}
	if s.ops.customizeDiff != nil && id != "" {
		dd := &diffData{s: s, id: id, old: olds, planned: p.planned, raw: cfg, forced: map[string]bool{}, changed: map[string]bool{}}
		if err := s.ops.customizeDiff(ctx, dd, m); err != nil {
			return nil, err
		}
		for k := range dd.changed {
			changed[k] = true
		}
		for k := range dd.forced {
			p.replace[k] = true
		}
	}
	for _, a := range s.attrs {
		if !changed[a.tf] {
			continue
		}
		if a.forceNew && id != "" {
			p.replace[a.tf] = true
		}
		p.changed = append(p.changed, a.tf)
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case isZero(a, olds[a.tf]) && !isUnknown(p.planned[a.tf]):
			kind = pulumirpc.PropertyDiff_ADD
		case p.planned[a.tf] == nil:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if p.replace[a.tf] {
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD: pulumirpc.PropertyDiff_ADD_REPLACE, pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
			}[kind]
		}
		p.detailed[a.name] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: a.isInput()}
	}
	return p, nil
}

// diffResponse: the bridge's Diff result for a plan.
func diffResponse(s *resourceSchema, p *planResult, news resource.PropertyMap) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true, DetailedDiff: p.detailed}
	for _, k := range p.changed {
		resp.Diffs = append(resp.Diffs, s.attr(k).name)
	}
	sort.Strings(resp.Diffs)
	if len(p.changed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	for k := range p.replace {
		resp.Replaces = append(resp.Replaces, s.attr(k).name)
	}
	sort.Strings(resp.Replaces)
	for _, a := range s.attrs {
		if a.forceNew && !p.replace[a.tf] {
			resp.Stables = append(resp.Stables, a.name)
		}
	}
	sort.Strings(resp.Stables)
	// nameRequiresDeleteBeforeReplace: a replaced resource whose `name` the program chose (not an
	// auto-name) is deleted first, or the new one would collide with it.
	if len(resp.Replaces) > 0 && s.autoName {
		userName := true
		if d, ok := news["__defaults"]; ok && d.IsArray() {
			for _, e := range d.ArrayValue() {
				if e.IsString() && e.StringValue() == "name" {
					userName = false
				}
			}
		} else {
			userName = false
		}
		resp.DeleteBeforeReplace = userName
	}
	return resp
}

// ------------------------------------------------------------------ Read: inputs from outputs

// refreshInputs: ExtractInputsFromOutputs(isRefresh=true) then deleteDefaultsKey: every input
// present before takes its refreshed value (a StateFunc attribute keeps the configured string);
// inputs the refreshed state lacks are dropped.
func refreshInputs(s *resourceSchema, oldInputs, outs resource.PropertyMap) resource.PropertyMap {
	res := resource.PropertyMap{}
	for k, ov := range oldInputs {
		if isReservedKey(string(k)) {
			continue
		}
		nv, ok := outs[k]
		if !ok || unwrap(nv).IsNull() {
			continue
		}
		a := s.byName(string(k))
		if a != nil && a.stateFunc != nil && unwrap(ov).IsString() {
			res[k] = ov
			continue
		}
		res[k] = extractValue(a, ov, nv)
	}
	return res
}

func extractValue(a *attr, ov, nv resource.PropertyValue) resource.PropertyValue {
	o, n := unwrap(ov), unwrap(nv)
	secret := nv.IsSecret() || ov.IsSecret()
	var out resource.PropertyValue
	switch {
	case o.IsObject() && n.IsObject():
		om, nm := o.ObjectValue(), n.ObjectValue()
		r := resource.PropertyMap{}
		for k, e := range om {
			if x, ok := nm[k]; ok && !unwrap(x).IsNull() {
				var na *attr
				if a != nil && a.typ == tBlock {
					na = attrByName(a.nested, string(k))
				}
				r[k] = extractValue(na, e, x)
			}
		}
		out = resource.NewObjectProperty(r)
	case o.IsArray() && n.IsArray():
		oa, na := o.ArrayValue(), n.ArrayValue()
		var r []resource.PropertyValue
		if a != nil && a.typ == tSet { // match set elements by content
			have := map[string]bool{}
			for _, e := range na {
				if unwrap(e).IsString() {
					have[unwrap(e).StringValue()] = true
				}
			}
			for _, e := range oa {
				if unwrap(e).IsString() && have[unwrap(e).StringValue()] {
					r = append(r, e)
				}
			}
		} else {
			for i := range oa {
				if i < len(na) {
					r = append(r, na[i])
				}
			}
		}
		if r == nil {
			r = []resource.PropertyValue{}
		}
		out = resource.NewProperty(r)
	default:
		out = n
	}
	if secret && !out.IsSecret() {
		out = resource.MakeSecret(out)
	}
	return out
}
