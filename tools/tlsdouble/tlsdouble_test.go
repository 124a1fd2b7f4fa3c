// Tests of the TLS TEST DOUBLE's crypto and plan logic (fast: ECDSA P-256 keys only).
package main

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func mustKey(t *testing.T) *keyOutputs {
	t.Helper()
	k, err := createPrivateKey(keyConfig{Algorithm: "ECDSA", ECDSACurve: "P256"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func parse(t *testing.T, certPEM string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(certPEM))
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// basicConstraints returns the raw extension (to see whether pathLenConstraint is encoded).
func basicConstraints(t *testing.T, c *x509.Certificate) (critical bool, isCA bool, pathLen int, hasPathLen bool) {
	t.Helper()
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 19}) {
			var bc struct {
				IsCA       bool `asn1:"optional"`
				MaxPathLen int  `asn1:"optional,default:-1"`
			}
			if _, err := asn1.Unmarshal(e.Value, &bc); err != nil {
				t.Fatal(err)
			}
			return e.Critical, bc.IsCA, bc.MaxPathLen, bc.MaxPathLen != -1
		}
	}
	t.Fatal("no basicConstraints")
	return
}

func cn(s string) *subjectConfig { return &subjectConfig{CommonName: &s} }

func TestMaxPathLengthZeroGivesNoPathLen(t *testing.T) {
	k := mustKey(t)
	for _, tc := range []struct {
		mpl     int64
		want    int
		present bool
	}{{-1, 0, false}, {0, 0, false}, {1, 1, true}, {2, 2, true}} {
		out, _, err := createSelfSignedCert(k.PrivateKeyPem, cn("Root"), sans{},
			certConfig{ValidityPeriodHours: 1, AllowedUses: []string{"cert_signing"}, IsCACertificate: true, MaxPathLength: tc.mpl})
		if err != nil {
			t.Fatal(err)
		}
		crit, isCA, pl, has := basicConstraints(t, parse(t, out.CertPem))
		if !crit || !isCA || has != tc.present || (has && pl != tc.want) {
			t.Errorf("maxPathLength %d: critical=%v CA=%v pathlen=%d present=%v", tc.mpl, crit, isCA, pl, has)
		}
	}
}

func TestCAAlwaysGetsSKIAndLeafGetsAKI(t *testing.T) {
	caKey, leafKey := mustKey(t), mustKey(t)
	ca, _, err := createSelfSignedCert(caKey.PrivateKeyPem, cn("CA"), sans{},
		certConfig{ValidityPeriodHours: 1, AllowedUses: []string{"cert_signing"}, IsCACertificate: true})
	if err != nil {
		t.Fatal(err)
	}
	caCert := parse(t, ca.CertPem)
	if len(caCert.SubjectKeyId) == 0 {
		t.Fatal("CA certificate without SKI")
	}
	if caCert.KeyUsage != x509.KeyUsageCertSign {
		t.Errorf("key usage %v", caCert.KeyUsage)
	}
	// A non-CA self-signed cert without setSubjectKeyId has no SKI.
	leafSS, _, _ := createSelfSignedCert(leafKey.PrivateKeyPem, cn("leaf"), sans{}, certConfig{ValidityPeriodHours: 1})
	if len(parse(t, leafSS.CertPem).SubjectKeyId) != 0 {
		t.Error("non-CA self-signed cert got an SKI without setSubjectKeyId")
	}
	csr, _, _, err := createCertRequest(leafKey.PrivateKeyPem, cn("leaf"), sans{DNSNames: []string{"a.example"}, IPAddresses: []string{"10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	leaf, alg, _, err := createLocallySignedCert(csr, caKey.PrivateKeyPem, ca.CertPem,
		certConfig{ValidityPeriodHours: 1, AllowedUses: []string{"server_auth", "digital_signature"}})
	if err != nil {
		t.Fatal(err)
	}
	lc := parse(t, leaf.CertPem)
	if alg != "ECDSA" || string(lc.AuthorityKeyId) != string(caCert.SubjectKeyId) {
		t.Errorf("AKI %x, CA SKI %x", lc.AuthorityKeyId, caCert.SubjectKeyId)
	}
	if len(lc.DNSNames) != 1 || lc.DNSNames[0] != "a.example" || len(lc.IPAddresses) != 1 {
		t.Errorf("SANs not copied from the CSR: %v %v", lc.DNSNames, lc.IPAddresses)
	}
	if lc.SignatureAlgorithm != x509.ECDSAWithSHA256 || lc.IsCA || len(lc.ExtKeyUsage) != 1 {
		t.Errorf("sig %v CA %v eku %v", lc.SignatureAlgorithm, lc.IsCA, lc.ExtKeyUsage)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	if _, err := lc.Verify(x509.VerifyOptions{Roots: pool, DNSName: "a.example"}); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func certState(t *testing.T, vph, erh float64, end time.Time) (resource.PropertyMap, resource.PropertyMap) {
	t.Helper()
	inputs := resource.PropertyMap{
		"privateKeyPem":       resource.MakeSecret(resource.NewProperty(fakeKeyPEM("AAAA"))),
		"validityPeriodHours": resource.NewProperty(vph),
		"allowedUses":         resource.NewProperty([]resource.PropertyValue{resource.NewProperty("cert_signing")}),
		"isCaCertificate":     resource.NewProperty(true),
		"maxPathLength":       resource.NewProperty(0.0),
		"earlyRenewalHours":   resource.NewProperty(erh),
		"subject":             resource.NewProperty(resource.PropertyMap{"commonName": resource.NewProperty("CA")}),
	}
	p, err := plan(schemas[typeSelfSignedCert], nil, inputs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	state := p.planned
	end_, _ := end.MarshalText()
	state["validityEndTime"] = resource.NewProperty(string(end_))
	state["certPem"] = resource.NewProperty("x")
	return inputs, state
}

func TestReplaceKeysExceptEarlyRenewalHours(t *testing.T) {
	s := schemas[typeSelfSignedCert]
	inputs, state := certState(t, 100, 0, time.Now().Add(100*time.Hour))
	if p, _ := plan(s, state, inputs, time.Now()); len(p.diffs) != 0 {
		t.Fatalf("no-op plan has diffs %v", p.diffs)
	}
	for k, v := range map[string]resource.PropertyValue{
		"validityPeriodHours": resource.NewProperty(200.0),
		"isCaCertificate":     resource.NewProperty(false),
		"setSubjectKeyId":     resource.NewProperty(true),
		"dnsNames":            resource.NewProperty([]resource.PropertyValue{resource.NewProperty("x")}),
		"subject":             resource.NewProperty(resource.PropertyMap{"commonName": resource.NewProperty("CA2")}),
		"privateKeyPem":       resource.MakeSecret(resource.NewProperty(fakeKeyPEM("BBBB"))),
	} {
		n := inputs.Copy()
		n[resource.PropertyKey(k)] = v
		p, _ := plan(s, state, n, time.Now())
		if len(p.replaces) != 1 || p.replaces[0] != k {
			t.Errorf("%s: replaces %v", k, p.replaces)
		}
	}
	// earlyRenewalHours alone: in-place update.
	n := inputs.Copy()
	n["earlyRenewalHours"] = resource.NewProperty(10.0)
	p, _ := plan(s, state, n, time.Now())
	if len(p.replaces) != 0 || len(p.diffs) != 1 || p.diffs[0] != "earlyRenewalHours" {
		t.Errorf("earlyRenewalHours: diffs %v replaces %v", p.diffs, p.replaces)
	}
	// maxPathLength: no RequiresReplace in the provider source read (see schema.go).
	n = inputs.Copy()
	n["maxPathLength"] = resource.NewProperty(1.0)
	if p, _ := plan(s, state, n, time.Now()); len(p.replaces) != 0 || len(p.diffs) != 1 {
		t.Errorf("maxPathLength: diffs %v replaces %v", p.diffs, p.replaces)
	}
	// Private key: every input replaces; defaults do not cause diffs.
	ks := schemas[typePrivateKey]
	kin := resource.PropertyMap{"algorithm": resource.NewProperty("ECDSA"), "ecdsaCurve": resource.NewProperty("P256")}
	kp, _ := plan(ks, nil, kin, time.Now())
	if p, _ := plan(ks, kp.planned, kin, time.Now()); len(p.diffs) != 0 {
		t.Errorf("private key no-op: %v", p.diffs)
	}
	kin2 := kin.Copy()
	kin2["rsaBits"] = resource.NewProperty(4096.0)
	if p, _ := plan(ks, kp.planned, kin2, time.Now()); len(p.replaces) != 1 || p.replaces[0] != "rsaBits" {
		t.Errorf("rsaBits: %v", p.replaces)
	}
}

func TestReadyForRenewal(t *testing.T) {
	s := schemas[typeSelfSignedCert]
	now := time.Now()
	// Not yet in the early-renewal window.
	inputs, state := certState(t, 100, 10, now.Add(50*time.Hour))
	if p, _ := plan(s, state, inputs, now); len(p.replaces) != 0 {
		t.Errorf("replaced too early: %v", p.replaces)
	}
	// Inside the window: ModifyPlan forces replacement through readyForRenewal.
	inputs, state = certState(t, 100, 60, now.Add(50*time.Hour))
	p, _ := plan(s, state, inputs, now)
	if len(p.replaces) != 1 || p.replaces[0] != "readyForRenewal" || !p.planned["readyForRenewal"].IsComputed() {
		t.Errorf("early renewal: replaces %v", p.replaces)
	}
	// Expired (earlyRenewalHours 0).
	inputs, state = certState(t, 100, 0, now.Add(-time.Minute))
	if p, _ := plan(s, state, inputs, now); len(p.replaces) != 1 {
		t.Errorf("expired: replaces %v", p.replaces)
	}
	// Read marks it in state.
	if err := markReadyForRenewal(state, now); err != nil || !state["readyForRenewal"].BoolValue() {
		t.Errorf("Read: %v %v", err, state["readyForRenewal"])
	}
	// Planned value: validity 0 or earlyRenewalHours >= validityPeriodHours.
	if !plannedReadyForRenewal(0, 0) || !plannedReadyForRenewal(10, 10) || plannedReadyForRenewal(10, 9) {
		t.Error("plannedReadyForRenewal")
	}
}

func TestPrivateKeySecretsAndFormats(t *testing.T) {
	in := resource.PropertyMap{"algorithm": resource.NewProperty("ECDSA"), "ecdsaCurve": resource.NewProperty("P256")}
	id, st, err := create(typePrivateKey, schemas[typePrivateKey], in, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []resource.PropertyKey{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
		if !st[k].IsSecret() {
			t.Errorf("%s not secret", k)
		}
	}
	if st["publicKeyPem"].IsSecret() || st["rsaBits"].NumberValue() != 2048 || id == "" || len(id) != 40 {
		t.Errorf("outputs: %v", st)
	}
	// P224: no OpenSSH encodings (x/crypto/ssh does not support it).
	k, err := createPrivateKey(keyConfig{Algorithm: "ECDSA", ECDSACurve: "P224"})
	if err != nil || k.PrivateKeyOpenssh != "" || k.PublicKeyOpenssh != "" {
		t.Errorf("P224: %v %q", err, k.PublicKeyOpenssh)
	}
}

// fakeKeyPEM: a placeholder in PEM framing (not a key: the body is not DER), assembled at run time
// so that no key-shaped block sits in the source.
func fakeKeyPEM(body string) string {
	label := "EC PRIVATE" + " KEY"
	return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n"
}
