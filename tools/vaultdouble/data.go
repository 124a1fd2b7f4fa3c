// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// resourceData and diffData: the parts of terraform-plugin-sdk/v2's schema.ResourceData and
// schema.ResourceDiff that the ported resource functions (resources.go) use, with the same meaning.
package main

import "fmt"

// resourceData: during Create/Update `cur` is the planned state (config with defaults; unset
// Optional+Computed attributes keep the prior state), during Read/Delete the state. Set writes cur;
// cur is the resulting state.
type resourceData struct {
	s     *resourceSchema
	id    string
	old   map[string]any // prior state (empty on Create)
	cur   map[string]any
	raw   map[string]any // the configuration as given (nil in Read and Delete): GetRawConfig
	isNew bool
}

func (d *resourceData) attr(k string) *attr {
	a := d.s.attr(k)
	if a == nil {
		panic(fmt.Sprintf("vault test double: %s has no attribute %q", d.s.tfName, k))
	}
	return a
}

// Get: the value, or the type's zero value when unset. For StateFunc attributes the configured
// value (SDKv2 reads NewExtra), the state holding stateFunc(value).
func (d *resourceData) Get(k string) any {
	a := d.attr(k)
	if a.stateFunc != nil && d.raw != nil {
		if v, ok := d.raw[k]; ok && v != nil {
			return v
		}
	}
	if v, ok := d.cur[k]; ok && v != nil && !isUnknown(v) {
		return v
	}
	return zero(a.typ)
}

func (d *resourceData) GetString(k string) string { s, _ := d.Get(k).(string); return s }
func (d *resourceData) GetInt(k string) int       { i, _ := d.Get(k).(int); return i }
func (d *resourceData) GetBool(k string) bool     { b, _ := d.Get(k).(bool); return b }
func (d *resourceData) GetList(k string) []any    { l, _ := d.Get(k).([]any); return l }
func (d *resourceData) GetMap(k string) map[string]any {
	m, _ := d.Get(k).(map[string]any)
	return m
}

// GetOk: the value and whether it is set to a non-zero value.
func (d *resourceData) GetOk(k string) (any, bool) {
	v := d.Get(k)
	return v, !isZero(d.attr(k), v)
}

// GetOkExists: whether the value is set at all (false and 0 count).
func (d *resourceData) GetOkExists(k string) (any, bool) {
	v, ok := d.cur[k]
	return d.Get(k), ok && v != nil && !isUnknown(v)
}

func (d *resourceData) HasChange(k string) bool {
	return !equalTF(d.attr(k), d.old[k], d.cur[k])
}

func (d *resourceData) HasChanges(ks ...string) bool {
	for _, k := range ks {
		if d.HasChange(k) {
			return true
		}
	}
	return false
}

func (d *resourceData) GetChange(k string) (any, any) {
	a := d.attr(k)
	o, n := d.old[k], d.cur[k]
	if o == nil {
		o = zero(a.typ)
	}
	if n == nil {
		n = zero(a.typ)
	}
	return o, n
}

func (d *resourceData) Set(k string, v any) { d.cur[k] = normalize(d.attr(k), v) }
func (d *resourceData) SetId(id string)     { d.id = id }
func (d *resourceData) Id() string          { return d.id }

// rawConfigNull: GetRawConfig().GetAttr(k).IsNull(). The bridge builds the configuration from the
// checked inputs, which include the TF defaults, so a defaulted attribute is NOT null here.
func (d *resourceData) rawConfigNull(k string) bool {
	if d.raw == nil {
		return true
	}
	v, ok := d.raw[k]
	return !ok || v == nil
}

// diffData: schema.ResourceDiff for CustomizeDiff: prior state, planned values, configuration.
type diffData struct {
	s       *resourceSchema
	id      string
	old     map[string]any
	planned map[string]any
	raw     map[string]any
	// forced: attributes CustomizeDiff forced to replace (ForceNew); changed: attributes it changed.
	forced, changed map[string]bool
}

func (d *diffData) Get(k string) any {
	a := d.s.attr(k)
	if v, ok := d.planned[k]; ok && v != nil && !isUnknown(v) {
		return v
	}
	return zero(a.typ)
}

func (d *diffData) GetChange(k string) (any, any) {
	a := d.s.attr(k)
	o := d.old[k]
	if o == nil {
		o = zero(a.typ)
	}
	return o, d.Get(k)
}

func (d *diffData) HasChange(k string) bool { return !equalTF(d.s.attr(k), d.old[k], d.planned[k]) }
func (d *diffData) Id() string              { return d.id }

func (d *diffData) SetNew(k string, v any) {
	d.planned[k] = normalize(d.s.attr(k), v)
	d.changed[k] = true
}

func (d *diffData) SetNewComputed(k string) {
	d.planned[k] = unknown{}
	d.changed[k] = true
}

func (d *diffData) ForceNew(k string) { d.forced[k] = true; d.changed[k] = true }

func (d *diffData) rawConfigNull(k string) bool {
	v, ok := d.raw[k]
	return !ok || v == nil
}
