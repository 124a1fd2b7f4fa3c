// TEST DOUBLE of pulumi-resource-tls (e2e tier only; see README.md).
//
// Check / plan (Diff, Update) / Create on Pulumi property maps, following the plan modifiers of
// terraform-provider-tls (resource_*.go Schema(), common.go requireReplaceIfStateContainsPEMString,
// common_cert.go modifyPlanIfCertificateReadyForRenewal, attribute_plan_modifier_bool ReadyForRenewal)
// as the Pulumi bridge surfaces them (RequiresReplace paths -> DiffResponse.replaces).
package main

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// ------------------------------------------------------------------ property helpers

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// plain strips secrets recursively (for comparisons).
func plain(v resource.PropertyValue) any {
	v = unwrap(v)
	switch {
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			if !unwrap(e).IsNull() {
				out[string(k)] = plain(e)
			}
		}
		return out
	case v.IsNull():
		return nil
	}
	return v.V
}

func get(pm resource.PropertyMap, k string) resource.PropertyValue {
	if pm == nil {
		return resource.NewNullProperty()
	}
	if v, ok := pm[resource.PropertyKey(k)]; ok {
		return v
	}
	return resource.NewNullProperty()
}

func getString(pm resource.PropertyMap, k string) string {
	v := unwrap(get(pm, k))
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func getInt(pm resource.PropertyMap, k string, def int64) int64 {
	v := unwrap(get(pm, k))
	if v.IsNumber() {
		return int64(v.NumberValue())
	}
	return def
}

func getBool(pm resource.PropertyMap, k string) bool {
	v := unwrap(get(pm, k))
	return v.IsBool() && v.BoolValue()
}

func getStrings(pm resource.PropertyMap, k string) []string {
	v := unwrap(get(pm, k))
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = unwrap(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func getSubject(pm resource.PropertyMap) *subjectConfig {
	v := unwrap(get(pm, "subject"))
	if !v.IsObject() {
		return nil
	}
	o := v.ObjectValue()
	opt := func(k string) *string {
		if x := unwrap(get(o, k)); x.IsString() {
			s := x.StringValue()
			return &s
		}
		return nil
	}
	return &subjectConfig{
		CommonName: opt("commonName"), Organization: opt("organization"), OrganizationalUnit: opt("organizationalUnit"),
		Locality: opt("locality"), Province: opt("province"), Country: opt("country"), PostalCode: opt("postalCode"),
		SerialNumber: opt("serialNumber"), EmailAddress: opt("emailAddress"), StreetAddresses: getStrings(o, "streetAddresses"),
	}
}

func unknownString() resource.PropertyValue { return resource.MakeComputed(resource.NewProperty("")) }
func unknownBool() resource.PropertyValue   { return resource.MakeComputed(resource.NewProperty(false)) }

// ------------------------------------------------------------------ Check

type failure struct{ property, reason string }

var (
	algorithms  = map[string]bool{"RSA": true, "ECDSA": true, "ED25519": true}
	ecdsaCurves = map[string]bool{"P224": true, "P256": true, "P384": true, "P521": true}
)

// check returns the inputs as given, with Sensitive inputs marked secret, and the validation
// failures of the schema's validators. Defaults are NOT added here: the real provider applies
// them in its plan (they appear in Diff/Create outputs, e.g. rsaBits 2048 on an ECDSA key), and
// its Check returns the inputs unchanged (pulumi-tls examples/testdata/recorded/.../grpc.json).
func check(s *resourceSchema, news resource.PropertyMap) (resource.PropertyMap, []failure) {
	out := news.Copy()
	var fs []failure
	for _, a := range s.inputs {
		k := resource.PropertyKey(a.name)
		v, ok := out[k]
		if a.required && (!ok || v.IsNull()) {
			fs = append(fs, failure{a.name, fmt.Sprintf("Missing required property '%s'", a.name)})
			continue
		}
		if ok && a.secret && !v.IsSecret() && !v.IsNull() {
			out[k] = resource.MakeSecret(v)
		}
	}
	for _, w := range s.writeOnly {
		if v, ok := out[resource.PropertyKey(w)]; ok && !v.IsNull() {
			fs = append(fs, failure{w, "write-only inputs are not implemented by the TLS test double (tools/tlsdouble)"})
		}
	}
	strEnum := func(k string, allowed map[string]bool) {
		if v := unwrap(get(out, k)); v.IsString() && !allowed[v.StringValue()] {
			fs = append(fs, failure{k, fmt.Sprintf("value %q is not supported", v.StringValue())})
		}
	}
	atLeast := func(k string, min float64) {
		if v := unwrap(get(out, k)); v.IsNumber() && v.NumberValue() < min {
			fs = append(fs, failure{k, fmt.Sprintf("Attribute %s value must be at least %v, got: %v", k, min, v.NumberValue())})
		}
	}
	strEnum("algorithm", algorithms)
	strEnum("ecdsaCurve", ecdsaCurves)
	atLeast("validityPeriodHours", 0)
	atLeast("earlyRenewalHours", 0)
	atLeast("maxPathLength", -1)
	for _, u := range getStrings(out, "allowedUses") {
		if _, ku := keyUsages[u]; !ku {
			if _, eku := extendedKeyUsages[u]; !eku {
				fs = append(fs, failure{"allowedUses", fmt.Sprintf("value %q is not a supported key usage", u)})
			}
		}
	}
	return out, fs
}

// ------------------------------------------------------------------ plan (Diff / Update)

type planResult struct {
	planned   resource.PropertyMap
	diffs     []string
	kinds     map[string]pulumirpc.PropertyDiff_Kind
	inputDiff map[string]bool
	replaces  []string
}

var pemRE = regexp.MustCompile(`^-----BEGIN [[:alpha:] ]+-----\n(.|\s)+\n-----END [[:alpha:] ]+-----\n?$`)

// plan computes the planned state from the prior state (olds) and the checked inputs (news):
// inputs with their defaults, computed attributes kept from state (UseStateForUnknown), and
// readyForRenewal re-planned; plus what differs and what forces replacement.
func plan(s *resourceSchema, olds, news resource.PropertyMap, t time.Time) (*planResult, error) {
	p := &planResult{planned: olds.Copy(), kinds: map[string]pulumirpc.PropertyDiff_Kind{}, inputDiff: map[string]bool{}}
	if p.planned == nil {
		p.planned = resource.PropertyMap{}
	}
	replace := map[string]bool{}
	change := func(k string, kind pulumirpc.PropertyDiff_Kind, input, repl bool) {
		p.diffs = append(p.diffs, k)
		if repl {
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD: pulumirpc.PropertyDiff_ADD_REPLACE, pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[kind]
			replace[k] = true
		}
		p.kinds[k] = kind
		p.inputDiff[k] = input
	}
	for _, a := range s.inputs {
		k := resource.PropertyKey(a.name)
		nv, ok := news[k]
		if !ok || nv.IsNull() {
			nv = a.def
		}
		if nv.IsNull() {
			delete(p.planned, k)
		} else {
			if a.secret && !nv.IsSecret() {
				nv = resource.MakeSecret(nv)
			}
			p.planned[k] = nv
		}
		ov := get(olds, a.name)
		if !nv.ContainsUnknowns() && reflect.DeepEqual(plain(ov), plain(nv)) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case unwrap(ov).IsNull():
			kind = pulumirpc.PropertyDiff_ADD
		case unwrap(nv).IsNull():
			kind = pulumirpc.PropertyDiff_DELETE
		}
		repl := false
		switch a.rule {
		case replaceAlways:
			repl = true
		case replaceIfStatePEM:
			o := unwrap(ov)
			repl = o.IsString() && pemRE.MatchString(o.StringValue())
		}
		change(a.name, kind, true, repl)
	}
	if s.isCert {
		// ready_for_renewal: Default false, then the ReadyForRenewal() plan modifier.
		vph, erh := unwrap(get(p.planned, "validityPeriodHours")), unwrap(get(p.planned, "earlyRenewalHours"))
		var planned resource.PropertyValue
		if vph.IsComputed() || erh.IsComputed() {
			planned = unknownBool()
		} else {
			planned = resource.NewProperty(plannedReadyForRenewal(getInt(p.planned, "validityPeriodHours", 0), getInt(p.planned, "earlyRenewalHours", 0)))
		}
		old := get(olds, "readyForRenewal")
		p.planned["readyForRenewal"] = planned
		// ModifyPlan: modifyPlanIfCertificateReadyForRenewal (common_cert.go) on the planned
		// validity_end_time (kept from state) and early_renewal_hours.
		if end := unwrap(get(p.planned, "validityEndTime")); end.IsString() && !erh.IsComputed() {
			ready, err := readyForRenewalAt(end.StringValue(), getInt(p.planned, "earlyRenewalHours", 0), t)
			if err != nil {
				return nil, err
			}
			if ready {
				p.planned["readyForRenewal"] = unknownBool()
				change("readyForRenewal", pulumirpc.PropertyDiff_UPDATE, false, true)
			} else if !old.IsNull() && !planned.IsComputed() && !reflect.DeepEqual(plain(old), plain(planned)) {
				change("readyForRenewal", pulumirpc.PropertyDiff_UPDATE, false, false)
			}
		}
	}
	for k := range replace {
		p.replaces = append(p.replaces, k)
	}
	sort.Strings(p.replaces)
	return p, nil
}

// markReadyForRenewal: modifyStateIfCertificateReadyForRenewal (common_cert.go), used by Read.
func markReadyForRenewal(state resource.PropertyMap, t time.Time) error {
	end := unwrap(get(state, "validityEndTime"))
	if !end.IsString() {
		return nil
	}
	ready, err := readyForRenewalAt(end.StringValue(), getInt(state, "earlyRenewalHours", 0), t)
	if err != nil {
		return err
	}
	if ready {
		state["readyForRenewal"] = resource.NewProperty(true)
	}
	return nil
}

// ------------------------------------------------------------------ Create

func certConfigOf(pm resource.PropertyMap) certConfig {
	return certConfig{
		ValidityPeriodHours: getInt(pm, "validityPeriodHours", 0),
		AllowedUses:         getStrings(pm, "allowedUses"),
		IsCACertificate:     getBool(pm, "isCaCertificate"),
		MaxPathLength:       getInt(pm, "maxPathLength", -1),
		SetSubjectKeyID:     getBool(pm, "setSubjectKeyId"),
		SetAuthorityKeyID:   getBool(pm, "setAuthorityKeyId"),
	}
}

func sansOf(pm resource.PropertyMap) sans {
	return sans{DNSNames: getStrings(pm, "dnsNames"), IPAddresses: getStrings(pm, "ipAddresses"), URIs: getStrings(pm, "uris")}
}

// create returns the ID and the state. With preview, computed values are unknown.
func create(typ string, s *resourceSchema, news resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	p, err := plan(s, nil, news, now())
	if err != nil {
		return "", nil, err
	}
	st := p.planned
	if s.schemaVersion > 0 {
		st["__meta"] = resource.NewProperty(fmt.Sprintf(`{"schema_version":"%d"}`, s.schemaVersion))
	}
	if preview || news.ContainsUnknowns() {
		for _, c := range s.computed {
			if c == "readyForRenewal" {
				continue
			}
			v := unknownString()
			for _, so := range s.secretOutputs {
				if so == c {
					v = resource.MakeSecret(v)
				}
			}
			st[resource.PropertyKey(c)] = v
		}
		st["id"] = unknownString()
		return "", st, nil
	}
	var id string
	switch typ {
	case typePrivateKey:
		k, err := createPrivateKey(keyConfig{Algorithm: getString(st, "algorithm"), RSABits: int(getInt(st, "rsaBits", 2048)), ECDSACurve: getString(st, "ecdsaCurve")})
		if err != nil {
			return "", nil, fmt.Errorf("Unable to generate Key from configuration: %w", err)
		}
		id = k.ID
		st["privateKeyPem"] = resource.MakeSecret(resource.NewProperty(k.PrivateKeyPem))
		st["privateKeyPemPkcs8"] = resource.MakeSecret(resource.NewProperty(k.PrivateKeyPemPkcs8))
		st["privateKeyOpenssh"] = resource.MakeSecret(resource.NewProperty(k.PrivateKeyOpenssh))
		st["publicKeyPem"] = resource.NewProperty(k.PublicKeyPem)
		st["publicKeyOpenssh"] = resource.NewProperty(k.PublicKeyOpenssh)
		st["publicKeyFingerprintMd5"] = resource.NewProperty(k.PublicKeyFingerprintMd5)
		st["publicKeyFingerprintSha256"] = resource.NewProperty(k.PublicKeyFingerprintSha256)
	case typeCertRequest:
		csr, csrID, alg, err := createCertRequest(getString(st, "privateKeyPem"), getSubject(st), sansOf(st))
		if err != nil {
			return "", nil, err
		}
		id = csrID
		st["certRequestPem"] = resource.NewProperty(csr)
		st["keyAlgorithm"] = resource.NewProperty(alg)
	case typeSelfSignedCert, typeLocallySignedCert:
		var c *certOutputs
		if typ == typeSelfSignedCert {
			var alg string
			c, alg, err = createSelfSignedCert(getString(st, "privateKeyPem"), getSubject(st), sansOf(st), certConfigOf(st))
			st["keyAlgorithm"] = resource.NewProperty(alg)
		} else {
			var alg, warning string
			c, alg, warning, err = createLocallySignedCert(getString(st, "certRequestPem"), getString(st, "caPrivateKeyPem"), getString(st, "caCertPem"), certConfigOf(st))
			st["caKeyAlgorithm"] = resource.NewProperty(alg)
			if warning != "" {
				fmt.Fprintln(stderr, "warning: "+warning)
			}
		}
		if err != nil {
			return "", nil, err
		}
		id = c.ID
		st["certPem"] = resource.NewProperty(c.CertPem)
		st["validityStartTime"] = resource.NewProperty(c.ValidityStartTime)
		st["validityEndTime"] = resource.NewProperty(c.ValidityEndTime)
	}
	st["id"] = resource.NewProperty(id)
	return id, st, nil
}
