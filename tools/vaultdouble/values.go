// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// Values as terraform-plugin-sdk/v2 holds them (string, int, bool, []any of strings, map[string]any of
// strings, one map for a MaxItems-1 block), and their conversion to and from Pulumi property maps
// the way pulumi-terraform-bridge's MakeTerraformInputs / MakeTerraformOutputs do it.
package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// unknown: a value not known during preview (a computed Pulumi input).
type unknown struct{}

func isUnknown(v any) bool { _, ok := v.(unknown); return ok }

func zero(t valueType) any {
	switch t {
	case tString:
		return ""
	case tInt:
		return 0
	case tBool:
		return false
	case tList, tSet:
		return []any{}
	case tMap:
		return map[string]any{}
	}
	return nil
}

// isZero: SDKv2's GetOk notion of "not set": nil or the type's zero value (empty collections too).
func isZero(a *attr, v any) bool {
	if v == nil {
		return true
	}
	if isUnknown(v) {
		return false
	}
	switch a.typ {
	case tString:
		return v == ""
	case tInt:
		return v == 0
	case tBool:
		return v == false
	case tList, tSet:
		l, _ := v.([]any)
		return len(l) == 0
	case tMap:
		m, _ := v.(map[string]any)
		return len(m) == 0
	case tBlock:
		m, _ := v.(map[string]any)
		for _, n := range a.nested {
			if !isZero(n, m[n.tf]) {
				return false
			}
		}
		return true
	}
	return false
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), true
		}
		if f, err := x.Float64(); err == nil {
			return int(f), true
		}
	case string:
		if i, err := strconv.ParseInt(x, 0, 0); err == nil {
			return int(i), true
		}
	}
	return 0, false
}

// normalize converts a Go value (from Vault's JSON or from our own code) into the attribute's SDKv2
// representation, as ResourceData.Set does. nil stays nil for primitives; collections become empty.
func normalize(a *attr, v any) any {
	if isUnknown(v) {
		return v
	}
	switch a.typ {
	case tString:
		if v == nil {
			return nil
		}
		return toString(v)
	case tInt:
		if v == nil {
			return nil
		}
		i, _ := toInt(v)
		return i
	case tBool:
		switch x := v.(type) {
		case bool:
			return x
		case string:
			b, _ := strconv.ParseBool(x)
			return b
		case nil:
			return nil
		}
		return false
	case tList, tSet:
		out := []any{}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				out = append(out, toString(e))
			}
		case []string:
			for _, e := range x {
				out = append(out, e)
			}
		case string: // Vault returns some lists as comma-separated strings only when empty
			if x != "" {
				out = append(out, x)
			}
		}
		return out
	case tMap:
		out := map[string]any{}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out[k] = toString(e)
			}
		case map[string]string:
			for k, e := range x {
				out[k] = e
			}
		}
		return out
	case tBlock:
		var m map[string]any
		switch x := v.(type) {
		case map[string]any:
			m = x
		case []map[string]any:
			if len(x) > 0 {
				m = x[0]
			}
		case []any:
			if len(x) > 0 {
				m, _ = x[0].(map[string]any)
			}
		}
		if m == nil {
			return nil
		}
		out := map[string]any{}
		for _, n := range a.nested {
			if e, ok := m[n.tf]; ok && e != nil {
				out[n.tf] = normalize(n, e)
			}
		}
		return out
	}
	return v
}

// equalTF: equality as SDKv2's diff sees it: a missing value equals the type's zero value, sets
// compare without order, blocks attribute by attribute.
func equalTF(a *attr, x, y any) bool {
	if isUnknown(x) || isUnknown(y) {
		return false
	}
	if x == nil {
		x = zero(a.typ)
	}
	if y == nil {
		y = zero(a.typ)
	}
	switch a.typ {
	case tSet:
		return reflect.DeepEqual(sortedStrings(x), sortedStrings(y))
	case tBlock:
		mx, _ := x.(map[string]any)
		my, _ := y.(map[string]any)
		for _, n := range a.nested {
			if !equalTF(n, mx[n.tf], my[n.tf]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(normalize(a, x), normalize(a, y))
}

func sortedStrings(v any) []string {
	l, _ := v.([]any)
	out := []string{}
	for _, e := range l {
		out = append(out, toString(e))
	}
	sort.Strings(out)
	return out
}

// ------------------------------------------------------------------ Pulumi <-> TF

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// fromProperty converts a Pulumi input value to the attribute's TF value (nil when null, unknown{}
// when not known yet), or reports why it cannot.
func fromProperty(a *attr, v resource.PropertyValue) (any, error) {
	v = unwrap(v)
	if v.IsComputed() || v.IsOutput() && !v.OutputValue().Known {
		return unknown{}, nil
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	if v.IsNull() {
		return nil, nil
	}
	if v.ContainsUnknowns() {
		return unknown{}, nil
	}
	switch a.typ {
	case tString:
		switch {
		case v.IsString():
			return v.StringValue(), nil
		case v.IsNumber():
			return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64), nil
		case v.IsBool():
			return strconv.FormatBool(v.BoolValue()), nil
		}
	case tInt:
		switch {
		case v.IsNumber():
			return int(v.NumberValue()), nil
		case v.IsString():
			if i, ok := toInt(v.StringValue()); ok {
				return i, nil
			}
		}
	case tBool:
		switch {
		case v.IsBool():
			return v.BoolValue(), nil
		case v.IsString():
			if b, err := strconv.ParseBool(v.StringValue()); err == nil {
				return b, nil
			}
		}
	case tList, tSet:
		if v.IsArray() {
			out := []any{}
			for _, e := range v.ArrayValue() {
				e = unwrap(e)
				if !e.IsString() {
					return nil, fmt.Errorf("expected a list of strings, got an element %v", e)
				}
				out = append(out, e.StringValue())
			}
			return out, nil
		}
	case tMap:
		if v.IsObject() {
			out := map[string]any{}
			for k, e := range v.ObjectValue() {
				e = unwrap(e)
				switch {
				case e.IsString():
					out[string(k)] = e.StringValue()
				case e.IsNumber():
					out[string(k)] = strconv.FormatFloat(e.NumberValue(), 'f', -1, 64)
				case e.IsBool():
					out[string(k)] = strconv.FormatBool(e.BoolValue())
				case e.IsNull():
				default:
					return nil, fmt.Errorf("expected a map of strings, got %q: %v", k, e)
				}
			}
			return out, nil
		}
	case tBlock:
		if v.IsArray() && len(v.ArrayValue()) > 0 {
			v = unwrap(v.ArrayValue()[0])
		}
		if v.IsObject() {
			obj := v.ObjectValue()
			out := map[string]any{}
			for k := range obj {
				if attrByName(a.nested, string(k)) == nil {
					return nil, fmt.Errorf("unknown property %q (expected one of %v)", k, names(a.nested))
				}
			}
			for _, n := range a.nested {
				if e, ok := obj[resource.PropertyKey(n.name)]; ok {
					x, err := fromProperty(n, e)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", n.name, err)
					}
					if x != nil {
						out[n.tf] = x
					}
				}
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("expected a %s, got %v", typeName(a.typ), v.TypeString())
}

func attrByName(attrs []*attr, name string) *attr {
	for _, a := range attrs {
		if a.name == name {
			return a
		}
	}
	return nil
}

func names(attrs []*attr) []string {
	var out []string
	for _, a := range attrs {
		out = append(out, a.name)
	}
	return out
}

func typeName(t valueType) string {
	return map[valueType]string{tString: "string", tInt: "number", tBool: "boolean", tList: "list of strings",
		tSet: "list of strings", tMap: "map of strings", tBlock: "object"}[t]
}

// toProperty converts a TF value to Pulumi, Sensitive attributes (and nested ones) as secrets.
func toProperty(a *attr, v any) resource.PropertyValue {
	var out resource.PropertyValue
	switch {
	case v == nil:
		return resource.NewNullProperty()
	case isUnknown(v):
		out = resource.MakeComputed(resource.NewProperty(""))
	default:
		v = normalize(a, v)
		switch a.typ {
		case tString:
			out = resource.NewProperty(v.(string))
		case tInt:
			out = resource.NewProperty(float64(v.(int)))
		case tBool:
			out = resource.NewProperty(v.(bool))
		case tList, tSet:
			arr := []resource.PropertyValue{}
			for _, e := range v.([]any) {
				arr = append(arr, resource.NewProperty(e.(string)))
			}
			out = resource.NewProperty(arr)
		case tMap:
			pm := resource.PropertyMap{}
			for k, e := range v.(map[string]any) {
				pm[resource.PropertyKey(k)] = resource.NewProperty(e.(string))
			}
			out = resource.NewObjectProperty(pm)
		case tBlock:
			m, _ := v.(map[string]any)
			if m == nil {
				return resource.NewNullProperty()
			}
			pm := resource.PropertyMap{}
			for _, n := range a.nested {
				pm[resource.PropertyKey(n.name)] = toProperty(n, m[n.tf])
			}
			out = resource.NewObjectProperty(pm)
		}
	}
	if a.sensitive {
		out = resource.MakeSecret(out)
	}
	return out
}

// tfMap converts Pulumi properties to TF values by the schema; unknown keys are reported.
func tfMap(s *resourceSchema, pm resource.PropertyMap) (map[string]any, []failure) {
	out := map[string]any{}
	var fs []failure
	for k, v := range pm {
		if isReservedKey(string(k)) {
			continue
		}
		a := s.byName(string(k))
		if a == nil {
			fs = append(fs, failure{string(k), fmt.Sprintf("%s has no property %q in @pulumi/vault %s", s.token, k, version)})
			continue
		}
		x, err := fromProperty(a, v)
		if err != nil {
			fs = append(fs, failure{a.name, fmt.Sprintf("%s: %v", a.name, err)})
			continue
		}
		if x != nil {
			out[a.tf] = x
		}
	}
	return out, fs
}

func isReservedKey(k string) bool { return k == "__defaults" || k == "__meta" || k == "id" }

// outputs: every attribute of the schema (null when unset), "id", and the bridge's "__meta" when
// the resource has a schema version.
func outputs(s *resourceSchema, id string, m map[string]any) resource.PropertyMap {
	pm := resource.PropertyMap{}
	for _, a := range s.attrs {
		if a.writeOnly {
			continue // write-only attributes are never in state
		}
		pm[resource.PropertyKey(a.name)] = toProperty(a, m[a.tf])
	}
	if id == "" {
		pm["id"] = resource.MakeComputed(resource.NewProperty(""))
	} else {
		pm["id"] = resource.NewProperty(id)
	}
	if s.schemaVersion > 0 {
		pm["__meta"] = resource.NewProperty(fmt.Sprintf(`{"schema_version":"%d"}`, s.schemaVersion))
	}
	return pm
}
