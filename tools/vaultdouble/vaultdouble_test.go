// Tests of the Vault TEST DOUBLE against a real Vault dev server (tools/bin/vault): every resource
// is created, read back from Vault, updated in place where the source allows, replaced where it
// forces new, refreshed and deleted, through the same gRPC methods the engine calls.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func secret(v any) resource.PropertyValue { return resource.MakeSecret(resource.NewPropertyValue(v)) }

func val(pm resource.PropertyMap, k string) resource.PropertyValue {
	return unwrap(pm[resource.PropertyKey(k)])
}

func str(pm resource.PropertyMap, k string) string {
	v := val(pm, k)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func requireSecret(t *testing.T, what string, pm resource.PropertyMap, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := pm[resource.PropertyKey(k)]; !ok || !v.IsSecret() {
			t.Errorf("%s: %s is not a secret: %v", what, k, v)
		}
	}
}

func requireNotSecret(t *testing.T, what string, pm resource.PropertyMap, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if pm[resource.PropertyKey(k)].IsSecret() {
			t.Errorf("%s: %s is a secret, it should not be", what, k)
		}
	}
}

func mountExists(t *testing.T, c *api.Client, path string) bool {
	t.Helper()
	mounts, err := c.Sys().ListMounts()
	if err != nil {
		t.Fatal(err)
	}
	_, ok := mounts[strings.Trim(path, "/")+"/"]
	return ok
}

func read(t *testing.T, c *api.Client, path string) *api.Secret {
	t.Helper()
	s, err := c.Logical().Read(path)
	if err != nil {
		t.Fatalf("reading %s from Vault: %v", path, err)
	}
	return s
}

// ------------------------------------------------------------------ Mount

func TestMount(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()

	in := map[string]any{"path": "mnt-pki", "type": "pki", "description": "root", "maxLeaseTtlSeconds": 31536000}
	m := h.create(typeMount, "pki", in)
	if m.id != "mnt-pki" {
		t.Errorf("ID %q, want the path", m.id)
	}
	got, err := vc.Sys().GetMount("mnt-pki")
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "pki" || got.Description != "root" || got.Config.MaxLeaseTTL != 31536000 {
		t.Errorf("in Vault: %+v", got)
	}
	if str(m.outs, "accessor") != got.Accessor || val(m.outs, "maxLeaseTtlSeconds").NumberValue() != 31536000 {
		t.Errorf("outputs %v", m.outs)
	}
	// The checked inputs carry the TF default and the bridge's __defaults list.
	if !val(m.inputs, "externalEntropyAccess").IsBool() || !reflect.DeepEqual(val(m.inputs, "__defaults").Mappable(), []any{"externalEntropyAccess"}) {
		t.Errorf("checked inputs %v", m.inputs)
	}
	before := m.outs.Copy()
	if !h.refresh(m) || !reflect.DeepEqual(before.Mappable(), m.outs.Mappable()) {
		t.Errorf("refresh changed the outputs:\n%v\n%v", before, m.outs)
	}
	h.noChange(m, in)

	// description and TTLs tune in place.
	in["description"], in["maxLeaseTtlSeconds"] = "root CA", 63072000
	h.update(m, in)
	got, _ = vc.Sys().GetMount("mnt-pki")
	if got.Description != "root CA" || got.Config.MaxLeaseTTL != 63072000 {
		t.Errorf("after update: %+v", got.Config)
	}
	// type is ForceNew; the new mount takes the same path, so it is created after the old one goes.
	in["type"] = "kv"
	in["options"] = map[string]any{"version": "2"}
	if d, _ := h.diff(m, in); d.DeleteBeforeReplace {
		t.Error("deleteBeforeReplace without a name property")
	}
	m = h.replaceDeleteFirst(m, in, "type")
	got, _ = vc.Sys().GetMount("mnt-pki")
	if got.Type != "kv" || got.Options["version"] != "2" {
		t.Errorf("replaced mount: %+v", got)
	}
	if !reflect.DeepEqual(val(m.outs, "options").Mappable(), map[string]any{"version": "2"}) {
		t.Errorf("options read back: %v", m.outs["options"])
	}
	h.noChange(m, in)
	// Removed in Vault: refresh drops it.
	if err := vc.Sys().Unmount("mnt-pki"); err != nil {
		t.Fatal(err)
	}
	if h.refresh(m) {
		t.Error("refresh of an unmounted mount kept it")
	}
	// path is not ForceNew: a change remounts in place. The engine keeps the old ID, which Read and
	// Delete use: the next refresh finds nothing there (as with the real provider).
	r := h.create(typeMount, "remount", map[string]any{"path": "mnt-a", "type": "kv"})
	h.update(r, map[string]any{"path": "mnt-b", "type": "kv"})
	if !mountExists(t, vc, "mnt-b") || mountExists(t, vc, "mnt-a") || str(r.outs, "path") != "mnt-b" || str(r.outs, "id") != "mnt-b" {
		t.Errorf("remount: outputs %v", r.outs)
	}
	if r.id != "mnt-a" || h.refresh(r) {
		t.Errorf("after a remount the engine's ID %q should no longer be found", r.id)
	}
	if err := vc.Sys().Unmount("mnt-b"); err != nil {
		t.Fatal(err)
	}
	m2 := h.create(typeMount, "kv", map[string]any{"path": "mnt-del", "type": "kv"})
	h.destroy(m2)
	if mountExists(t, vc, "mnt-del") {
		t.Error("delete left the mount")
	}
}

// ------------------------------------------------------------------ Audit

func TestAudit(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	logFile := filepath.Join(dev.dir, "audit.log")
	in := map[string]any{"type": "file", "path": "aud", "options": map[string]any{"file_path": logFile}}
	a := h.create(typeAudit, "audit", in)
	audits, err := vc.Sys().ListAudit()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := audits["aud/"]
	if !ok || got.Type != "file" || got.Options["file_path"] != logFile {
		t.Fatalf("audit device in Vault: %+v", audits)
	}
	if !h.refresh(a) || str(a.outs, "type") != "file" || val(a.outs, "options").ObjectValue()["file_path"].StringValue() != logFile {
		t.Errorf("refresh: %v", a.outs)
	}
	h.noChange(a, in)
	// Every input is ForceNew (no Update).
	in2 := map[string]any{"type": "file", "path": "aud", "options": map[string]any{"file_path": logFile + ".2"}}
	d, _ := h.diff(a, in2)
	if strings.Join(d.Replaces, ",") != "options" {
		t.Errorf("options change: replaces %v", d.Replaces)
	}
	in3 := map[string]any{"type": "file", "path": "aud", "description": "x", "options": map[string]any{"file_path": logFile}}
	if d, _ := h.diff(a, in3); strings.Join(d.Replaces, ",") != "description" {
		t.Errorf("description change: replaces %v", d.Replaces)
	}
	h.destroy(a)
	audits, _ = vc.Sys().ListAudit()
	if _, ok := audits["aud/"]; ok {
		t.Error("delete left the audit device")
	}
	if b, err := os.ReadFile(logFile); err != nil || len(b) == 0 {
		t.Errorf("the audit log %s is empty: %v", logFile, err)
	}
}

// ------------------------------------------------------------------ AuthBackend

func TestAuthBackend(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	in := map[string]any{"type": "kubernetes", "path": "k8s-a", "description": "istiod"}
	b := h.create(typeAuthBackend, "auth", in)
	auths, _ := vc.Sys().ListAuth()
	got, ok := auths["k8s-a/"]
	if !ok || got.Type != "kubernetes" || got.Description != "istiod" || str(b.outs, "accessor") != got.Accessor {
		t.Fatalf("auth in Vault %+v, outputs %v", got, b.outs)
	}
	if str(b.outs, "__meta") != `{"schema_version":"1"}` {
		t.Errorf("__meta %q", str(b.outs, "__meta"))
	}
	tune := val(b.outs, "tune").ObjectValue()
	if tune["tokenType"].StringValue() != "default-service" || tune["defaultLeaseTtl"].StringValue() != "768h" {
		t.Errorf("tune read back: %v", tune)
	}
	h.refresh(b)
	h.noChange(b, in)
	in["description"] = "istiod logs in here"
	h.update(b, in)
	auths, _ = vc.Sys().ListAuth()
	if auths["k8s-a/"].Description != "istiod logs in here" {
		t.Errorf("description not tuned: %+v", auths["k8s-a/"])
	}
	// A path change remounts in place (the engine keeps the old ID; see TestMount).
	in["path"] = "k8s-b"
	h.update(b, in)
	auths, _ = vc.Sys().ListAuth()
	if _, ok := auths["k8s-b/"]; !ok || auths["k8s-a/"] != nil {
		t.Errorf("remount: %v", auths)
	}
	if h.refresh(b) {
		t.Error("refresh after a remount found the old ID")
	}
	if err := vc.Sys().DisableAuth("k8s-b"); err != nil {
		t.Fatal(err)
	}
	// With disable_remount the path is ForceNew.
	in = map[string]any{"type": "kubernetes", "path": "k8s-b", "disableRemount": true}
	b = h.create(typeAuthBackend, "auth2", in)
	in["path"] = "k8s-c"
	b, _ = h.replace(b, in, "path")
	in["local"] = true
	b = h.replaceDeleteFirst(b, in, "local")
	auths, _ = vc.Sys().ListAuth()
	if a := auths["k8s-c/"]; a == nil || !a.Local {
		t.Errorf("local not set: %+v", a)
	}
	h.destroy(b)
	auths, _ = vc.Sys().ListAuth()
	for _, p := range []string{"k8s-a/", "k8s-b/", "k8s-c/"} {
		if auths[p] != nil {
			t.Errorf("%s left in Vault", p)
		}
	}
}

// ------------------------------------------------------------------ Policy

func TestPolicy(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	doc := "path \"kv/data/istioca\" {\n  capabilities = [\"read\"]\n}\n"
	in := map[string]any{"name": "istioca", "policy": doc}
	p := h.create(typePolicy, "policy", in)
	if got, _ := vc.Sys().GetPolicy("istioca"); got != doc || p.id != "istioca" {
		t.Fatalf("policy in Vault %q, id %q", got, p.id)
	}
	h.refresh(p)
	h.noChange(p, in)
	in["policy"] = strings.Replace(doc, "read", "read\", \"list", 1)
	h.update(p, in)
	if got, _ := vc.Sys().GetPolicy("istioca"); got != in["policy"] {
		t.Errorf("updated policy %q", got)
	}
	// A policy deleted in Vault reads back as "" and is written again (the source keeps it in state).
	if err := vc.Sys().DeletePolicy("istioca"); err != nil {
		t.Fatal(err)
	}
	if !h.refresh(p) || str(p.outs, "policy") != "" {
		t.Errorf("refresh after out-of-band delete: %v", p.outs)
	}
	h.update(p, in)
	if got, _ := vc.Sys().GetPolicy("istioca"); got != in["policy"] {
		t.Errorf("rewritten policy %q", got)
	}
	// name is ForceNew, and a name the program chose is deleted before its replacement.
	in["name"] = "istioca2"
	p, d := h.replace(p, in, "name")
	if !d.DeleteBeforeReplace {
		t.Error("an explicit name replaced without deleteBeforeReplace")
	}
	if got, _ := vc.Sys().GetPolicy("istioca"); got != "" {
		t.Error("old policy left")
	}
	h.destroy(p)
	if got, _ := vc.Sys().GetPolicy("istioca2"); got != "" {
		t.Error("delete left the policy")
	}
	// Auto-name: <resource name>-<7 hex>, listed in __defaults, kept on later checks.
	an := h.create(typePolicy, "auto", map[string]any{"policy": doc})
	name := str(an.outs, "name")
	if !strings.HasPrefix(name, "auto-") || len(name) != len("auto-")+7 {
		t.Errorf("auto-name %q", name)
	}
	again := h.mustCheck(typePolicy, "auto", an.inputs, map[string]any{"policy": doc})
	if str(again, "name") != name {
		t.Errorf("auto-name not kept: %q", str(again, "name"))
	}
	if d, _ := h.diff(an, map[string]any{"policy": doc}); d.Changes == pulumirpc.DiffResponse_DIFF_SOME {
		t.Errorf("auto-named policy diff %v", d.Diffs)
	}
	h.destroy(an)
}

// ------------------------------------------------------------------ Kubernetes auth

const testK8sCA = `-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUYNgwiMdap6ZtdKYN2VPWOJ0UFuIwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKa3ViZXJuZXRlczAeFw0yNjExMjMxMTI3NTJaFw0zNjExMjAx
MTI3NTJaMBUxEzARBgNVBAMMCmt1YmVybmV0ZXMwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ1qgk7+1r8Ldvlu4Bfk2eg5hJBt5lcm1Iw785w7n4o3pxzfG7R5wQE
44aSeIN51il0zLnspoFqUJ6H2t44cIYeo1MwUTAdBgNVHQ4EFgQU7B08d2pOk+CA
wJ1stgLeipjagUswHwYDVR0jBBgwFoAU7B08d2pOk+CAwJ1stgLeipjagUswDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiA7GCF+/m9oFp9s4Q/ptXYh
bmc1HZJZic6xSDRMe1o+swIhANRxQXucecBc9JB8qgo2Jl26jzvY8xBohxtLNre8
LNk/
-----END CERTIFICATE-----
`

func TestKubernetesAuth(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	backend := h.create(typeAuthBackend, "k8s", map[string]any{"type": "kubernetes", "path": "k8s"})

	cfgIn := map[string]any{"backend": "k8s", "kubernetesHost": "https://10.0.0.1:6443", "kubernetesCaCert": testK8sCA,
		"disableLocalCaJwt": true, "tokenReviewerJwt": "reviewer.jwt.value"}
	checked := h.mustCheck(typeK8sAuthConfig, "cfg", nil, cfgIn)
	requireSecret(t, "checked config inputs", checked, "tokenReviewerJwt")
	cfg := h.create(typeK8sAuthConfig, "cfg", cfgIn)
	if cfg.id != "auth/k8s/config" {
		t.Errorf("config ID %q", cfg.id)
	}
	got := read(t, vc, "auth/k8s/config")
	if got.Data["kubernetes_host"] != "https://10.0.0.1:6443" || got.Data["kubernetes_ca_cert"] != testK8sCA || got.Data["disable_local_ca_jwt"] != true {
		t.Errorf("config in Vault: %v", got.Data)
	}
	if _, ok := got.Data["token_reviewer_jwt"]; ok {
		t.Errorf("Vault returned the reviewer JWT: %v", got.Data)
	}
	requireSecret(t, "config outputs", cfg.outs, "tokenReviewerJwt")
	if str(cfg.outs, "tokenReviewerJwt") != "reviewer.jwt.value" || str(cfg.outs, "kubernetesCaCert") != testK8sCA {
		t.Errorf("config outputs %v", cfg.outs)
	}
	// Refresh reads everything but the reviewer JWT, which stays as written.
	if _, err := vc.Logical().Write("auth/k8s/config", map[string]any{"kubernetes_host": "https://10.9.9.9:6443",
		"kubernetes_ca_cert": testK8sCA, "disable_local_ca_jwt": true}); err != nil {
		t.Fatal(err)
	}
	if !h.refresh(cfg) {
		t.Fatal("config gone after refresh")
	}
	if str(cfg.outs, "kubernetesHost") != "https://10.9.9.9:6443" || str(cfg.outs, "tokenReviewerJwt") != "reviewer.jwt.value" {
		t.Errorf("refreshed config %v", cfg.outs)
	}
	requireSecret(t, "refreshed config outputs", cfg.outs, "tokenReviewerJwt")
	d, _ := h.diff(cfg, cfgIn)
	if strings.Join(d.Diffs, ",") != "kubernetesHost" || len(d.Replaces) != 0 {
		t.Errorf("drift diff %v replaces %v", d.Diffs, d.Replaces)
	}
	cfgIn["kubernetesHost"] = "https://10.0.0.2:6443"
	h.update(cfg, cfgIn)
	if got := read(t, vc, "auth/k8s/config"); got.Data["kubernetes_host"] != "https://10.0.0.2:6443" {
		t.Errorf("updated host %v", got.Data["kubernetes_host"])
	}
	h.noChange(cfg, cfgIn)
	moved := map[string]any{}
	for k, v := range cfgIn {
		moved[k] = v
	}
	moved["backend"] = "k8s-other"
	if d, _ := h.diff(cfg, moved); strings.Join(d.Replaces, ",") != "backend" {
		t.Errorf("config backend change replaces %v", d.Replaces)
	}

	roleIn := map[string]any{"backend": "k8s", "roleName": "istiod", "boundServiceAccountNames": []any{"istiod"},
		"boundServiceAccountNamespaces": []any{"istio-system"}, "tokenPolicies": []any{"istioca"}, "tokenPeriod": 600}
	role := h.create(typeK8sAuthRole, "role", roleIn)
	if role.id != "auth/k8s/role/istiod" {
		t.Errorf("role ID %q", role.id)
	}
	rd := read(t, vc, "auth/k8s/role/istiod").Data
	if !reflect.DeepEqual(rd["bound_service_account_names"], []any{"istiod"}) || !reflect.DeepEqual(rd["token_policies"], []any{"istioca"}) ||
		rd["token_period"].(json.Number).String() != "600" {
		t.Errorf("role in Vault %v", rd)
	}
	if val(role.outs, "tokenPeriod").NumberValue() != 600 || str(role.outs, "tokenType") != "default" {
		t.Errorf("role outputs %v", role.outs)
	}
	h.refresh(role)
	h.noChange(role, roleIn)
	// Sets: order does not matter.
	roleIn["boundServiceAccountNames"] = []any{"istiod-canary", "istiod"}
	h.update(role, roleIn)
	roleIn["boundServiceAccountNames"] = []any{"istiod", "istiod-canary"}
	h.noChange(role, roleIn)
	roleIn["tokenPeriod"] = 1200
	h.update(role, roleIn)
	if rd := read(t, vc, "auth/k8s/role/istiod").Data; rd["token_period"].(json.Number).String() != "1200" {
		t.Errorf("token_period %v", rd["token_period"])
	}
	roleIn["roleName"] = "istiod2"
	role, _ = h.replace(role, roleIn, "roleName")
	if read(t, vc, "auth/k8s/role/istiod") != nil {
		t.Error("old role left")
	}
	h.destroy(role)
	if read(t, vc, "auth/k8s/role/istiod2") != nil {
		t.Error("delete left the role")
	}
	// The config's delete only forgets it (as in the source); the auth mount's delete removes it.
	h.destroy(cfg)
	if read(t, vc, "auth/k8s/config") == nil {
		t.Error("the config's delete removed it from Vault; the source's Delete is a no-op")
	}
	h.destroy(backend)
	auths, _ := vc.Sys().ListAuth()
	if auths["k8s/"] != nil {
		t.Error("auth backend left")
	}
}

// ------------------------------------------------------------------ KV

func TestKVv1(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	mnt := h.create(typeMount, "kv1", map[string]any{"path": "kv1", "type": "kv", "options": map[string]any{"version": "1"}})
	data := `{"ca-cert.pem": "A", "ca-key.pem": "KEY<&>", "n": 1}`
	in := map[string]any{"path": "kv1/istioca", "dataJson": secret(data)}
	s := h.create(typeKVSecret, "secret", in)
	requireSecret(t, "kv outputs", s.outs, "dataJson", "data")
	got := read(t, vc, "kv1/istioca").Data
	if got["ca-key.pem"] != "KEY<&>" || got["n"].(json.Number).String() != "1" {
		t.Errorf("kv v1 in Vault: %v", got)
	}
	if m := val(s.outs, "data").ObjectValue(); m["ca-key.pem"].StringValue() != "KEY<&>" || m["n"].StringValue() != "1" {
		t.Errorf("data output %v", m)
	}
	h.noChange(s, in)
	// reformatted JSON is the same (StateFunc normalisation)
	h.noChange(s, map[string]any{"path": "kv1/istioca", "dataJson": secret(`{"n":1,"ca-key.pem":"KEY<&>","ca-cert.pem":"A"}`)})
	// Drift is read back.
	if _, err := vc.Logical().Write("kv1/istioca", map[string]any{"ca-cert.pem": "B"}); err != nil {
		t.Fatal(err)
	}
	h.refresh(s)
	requireSecret(t, "refreshed kv outputs", s.outs, "dataJson", "data")
	if str(s.outs, "dataJson") != `{"ca-cert.pem":"B"}` {
		t.Errorf("refreshed dataJson %q", str(s.outs, "dataJson"))
	}
	h.update(s, in)
	if got := read(t, vc, "kv1/istioca").Data; got["ca-cert.pem"] != "A" {
		t.Errorf("after update %v", got)
	}
	in["path"] = "kv1/other"
	s, _ = h.replace(s, in, "path")
	if read(t, vc, "kv1/istioca") != nil {
		t.Error("old secret left")
	}
	h.destroy(s)
	if read(t, vc, "kv1/other") != nil {
		t.Error("delete left the secret")
	}
	h.destroy(mnt)
}

func TestKVv2(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	mnt := h.create(typeMount, "kv2", map[string]any{"path": "kv2", "type": "kv", "options": map[string]any{"version": "2"}})
	data := map[string]any{"ca-cert.pem": "CERT", "ca-key.pem": "KEY", "cert-chain.pem": "CHAIN", "root-cert.pem": "ROOT"}
	b, _ := json.Marshal(data)
	in := map[string]any{"mount": "kv2", "name": "istioca", "dataJson": secret(string(b))}
	s := h.create(typeKVSecretV2, "secret", in)
	if s.id != "kv2/data/istioca" || str(s.outs, "path") != "kv2/data/istioca" {
		t.Errorf("id %q path %q", s.id, str(s.outs, "path"))
	}
	requireSecret(t, "kv2 outputs", s.outs, "dataJson", "data")
	got := read(t, vc, "kv2/data/istioca").Data["data"]
	if !reflect.DeepEqual(got, data) {
		t.Errorf("kv v2 in Vault %v", got)
	}
	if md := val(s.outs, "metadata").ObjectValue(); md["version"].StringValue() != "1" {
		t.Errorf("metadata %v", md)
	}
	if len(val(s.outs, "data").ObjectValue()) != 0 {
		t.Errorf("data is read back (the source sets it to {}): %v", s.outs["data"])
	}
	h.noChange(s, in)
	// The source does not read the data back: drift in Vault is not seen.
	if _, err := vc.Logical().Write("kv2/data/istioca", map[string]any{"data": map[string]any{"x": "y"}}); err != nil {
		t.Fatal(err)
	}
	h.refresh(s)
	h.noChange(s, in)
	if v := val(s.outs, "metadata").ObjectValue()["version"].StringValue(); v != "2" {
		t.Errorf("metadata version after the out-of-band write %q", v)
	}
	data["ca-key.pem"] = "KEY2"
	b, _ = json.Marshal(data)
	in["dataJson"] = secret(string(b))
	h.update(s, in)
	if got := read(t, vc, "kv2/data/istioca").Data["data"]; !reflect.DeepEqual(got, data) {
		t.Errorf("after update %v", got)
	}
	in["name"] = "istioca2"
	s, d := h.replace(s, in, "name")
	if !d.DeleteBeforeReplace {
		t.Error("explicit name replaced without deleteBeforeReplace")
	}
	// Default delete: the latest version is deleted, the metadata stays.
	h.destroy(s)
	md := read(t, vc, "kv2/metadata/istioca2")
	if md == nil {
		t.Fatal("metadata gone after a default delete (the source deletes only the latest version)")
	}
	if sec := read(t, vc, "kv2/data/istioca2"); sec != nil && sec.Data["data"] != nil {
		t.Errorf("data still readable: %v", sec.Data)
	}
	// deleteAllVersions removes everything.
	in["name"] = "all"
	in["deleteAllVersions"] = true
	all := h.create(typeKVSecretV2, "all", in)
	h.destroy(all)
	if read(t, vc, "kv2/metadata/all") != nil {
		t.Error("deleteAllVersions left metadata")
	}
	h.destroy(mnt)
}

// ------------------------------------------------------------------ PKI, end to end

func pemOf(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatalf("not PEM: %q", s)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func opensslVerify(t *testing.T, dir, root string, chain []string, leaf string) {
	t.Helper()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := []string{"verify", "-CAfile", write("root.pem", root)}
	if len(chain) > 0 {
		args = append(args, "-untrusted", write("chain.pem", strings.Join(chain, "\n")))
	}
	args = append(args, write("leaf.pem", leaf))
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPKIFlow(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	dir := t.TempDir()
	rootMnt := h.create(typeMount, "root-mount", map[string]any{"path": "pki-root", "type": "pki", "maxLeaseTtlSeconds": 315360000})
	interMnt := h.create(typeMount, "inter-mount", map[string]any{"path": "pki-int", "type": "pki", "maxLeaseTtlSeconds": 157680000})

	rootIn := map[string]any{"backend": "pki-root", "type": "internal", "commonName": "Test Root CA", "organization": "Example",
		"ttl": "87600h", "keyType": "ec", "keyBits": 256}
	root := h.create(typePKIRootCert, "root", rootIn)
	rootPEM := str(root.outs, "certificate")
	rc := pemOf(t, rootPEM)
	if rc.Subject.CommonName != "Test Root CA" || !rc.IsCA || str(root.outs, "issuerId") == "" {
		t.Errorf("root %v / outputs %v", rc.Subject, root.outs)
	}
	if root.id != "pki-root/issuer/"+str(root.outs, "issuerId") {
		t.Errorf("root ID %q", root.id)
	}
	if str(root.outs, "serialNumber") != hexFormatted(rc.SerialNumber.Bytes(), ":") {
		t.Errorf("serial %q", str(root.outs, "serialNumber"))
	}
	h.refresh(root)
	h.noChange(root, rootIn) // CustomizeDiff compares the serial with Vault's issuer: same
	// ttl is not ForceNew: an in-place no-op.
	rootIn["ttl"] = "43800h"
	h.update(root, rootIn)
	if str(root.outs, "certificate") != rootPEM {
		t.Error("a ttl change re-issued the root")
	}
	if d, _ := h.diff(root, map[string]any{"backend": "pki-root", "type": "internal", "commonName": "Other Root", "organization": "Example",
		"ttl": "43800h", "keyType": "ec", "keyBits": 256}); strings.Join(d.Replaces, ",") != "commonName" {
		t.Errorf("root commonName change replaces %v", d.Replaces)
	}

	csrIn := map[string]any{"backend": "pki-int", "type": "exported", "commonName": "Test Intermediate", "organization": "Example",
		"ou": "Mesh", "locality": "cluster1", "altNames": []any{"istiod.istio-system.svc"}, "keyType": "rsa", "keyBits": 2048}
	csr := h.create(typePKIIntermediateCSR, "csr", csrIn)
	requireSecret(t, "CSR outputs", csr.outs, "privateKey")
	requireNotSecret(t, "CSR outputs", csr.outs, "csr")
	if !strings.Contains(str(csr.outs, "csr"), "BEGIN CERTIFICATE REQUEST") || !strings.Contains(str(csr.outs, "privateKey"), "PRIVATE KEY") ||
		str(csr.outs, "privateKeyType") != "rsa" || str(csr.outs, "keyId") == "" {
		t.Errorf("CSR outputs %v", csr.outs.Mappable())
	}
	if !strings.HasPrefix(csr.id, "pki-int/issuers/generate/intermediate/exported/") {
		t.Errorf("CSR ID %q", csr.id)
	}
	d, _ := h.diff(csr, map[string]any{"backend": "pki-int", "type": "exported", "commonName": "Other", "keyType": "rsa", "keyBits": 2048,
		"organization": "Example", "ou": "Mesh", "locality": "cluster1", "altNames": []any{"istiod.istio-system.svc"}})
	if strings.Join(d.Replaces, ",") != "commonName" {
		t.Errorf("CSR commonName change replaces %v", d.Replaces)
	}

	signIn := map[string]any{"backend": "pki-root", "csr": str(csr.outs, "csr"), "commonName": "Test Intermediate", "organization": "Example",
		"ttl": "8760h", "format": "pem", "maxPathLength": 0}
	sign := h.create(typePKIRootSign, "sign", signIn)
	if str(sign.outs, "__meta") != `{"schema_version":"2"}` || sign.id != "pki-root/Test Intermediate" {
		t.Errorf("sign id %q meta %q", sign.id, str(sign.outs, "__meta"))
	}
	interPEM := str(sign.outs, "certificate")
	ic := pemOf(t, interPEM)
	if !ic.IsCA || ic.MaxPathLen != 0 || !ic.MaxPathLenZero || ic.Subject.CommonName != "Test Intermediate" {
		t.Errorf("intermediate: CA %v pathlen %d zero %v subject %v", ic.IsCA, ic.MaxPathLen, ic.MaxPathLenZero, ic.Subject)
	}
	if str(sign.outs, "issuingCa") != strings.TrimSpace(rootPEM) && str(sign.outs, "issuingCa") != rootPEM {
		t.Errorf("issuingCa differs from the root")
	}
	if chains := val(sign.outs, "caChains").ArrayValue(); len(chains) == 0 {
		t.Errorf("caChains empty")
	}
	if !strings.HasPrefix(str(sign.outs, "certificateBundle"), strings.TrimSpace(interPEM)) {
		t.Errorf("certificateBundle does not start with the certificate")
	}
	opensslVerify(t, dir, rootPEM, nil, interPEM)
	signIn["ttl"] = "4380h" // not ForceNew: in place, nothing re-signed
	h.update(sign, signIn)
	if str(sign.outs, "certificate") != interPEM {
		t.Error("ttl change re-signed")
	}
	d, _ = h.diff(sign, map[string]any{"backend": "pki-root", "csr": str(csr.outs, "csr"), "commonName": "Test Intermediate", "organization": "Other",
		"ttl": "4380h", "format": "pem", "maxPathLength": 0})
	if strings.Join(d.Replaces, ",") != "organization" {
		t.Errorf("sign organization change replaces %v", d.Replaces)
	}

	setIn := map[string]any{"backend": "pki-int", "certificate": strings.TrimSpace(interPEM) + "\n" + rootPEM}
	set := h.create(typePKIIntermediateSigned, "set-signed", setIn)
	if !strings.HasPrefix(set.id, "pki-int/intermediate/set-signed/") || len(val(set.outs, "importedIssuers").ArrayValue()) == 0 {
		t.Errorf("set-signed id %q outputs %v", set.id, set.outs)
	}
	h.refresh(set)
	h.noChange(set, setIn)
	if d, _ := h.diff(set, map[string]any{"backend": "pki-int", "certificate": interPEM}); strings.Join(d.Replaces, ",") != "certificate" {
		t.Errorf("set-signed certificate change replaces %v", d.Replaces)
	}
	// The intermediate mount now issues leaves chaining to the root.
	if _, err := vc.Logical().Write("pki-int/roles/leaf", map[string]any{"allow_any_name": true, "max_ttl": "1h"}); err != nil {
		t.Fatal(err)
	}
	issued, err := vc.Logical().Write("pki-int/issue/leaf", map[string]any{"common_name": "workload.example", "ttl": "10m"})
	if err != nil {
		t.Fatal(err)
	}
	opensslVerify(t, dir, rootPEM, []string{interPEM}, issued.Data["certificate"].(string))

	// The key the CSR created in Vault matches the exported key.
	keyBlock, _ := pem.Decode([]byte(str(csr.outs, "privateKey")))
	if keyBlock == nil {
		t.Fatal("private key not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(keyBlock.Bytes); err != nil || !k.PublicKey.Equal(ic.PublicKey) {
		t.Errorf("the exported key does not match the signed intermediate: %v", err)
	}

	// Offline root: its certificate imported with config/ca (a PEM bundle, secret input).
	offRoot, offKey := selfSignedCA(t, "Offline Root")
	offMnt := h.create(typeMount, "off-mount", map[string]any{"path": "pki-off", "type": "pki"})
	imp := h.create(typePKIConfigCA, "import", map[string]any{"backend": "pki-off", "pemBundle": secret(offRoot)})
	requireSecret(t, "config/ca outputs", imp.outs, "pemBundle")
	if imp.id != "pki-off" {
		t.Errorf("config/ca ID %q", imp.id)
	}
	// A certificate imported without its key is an issuer of the mount but not its default one
	// (Vault answers pki-off/cert/ca with 400 "no default issuer currently configured").
	if imported := val(imp.outs, "pemBundle"); !imported.IsString() {
		t.Errorf("pemBundle output %v", imp.outs["pemBundle"])
	}
	offIssuers, err := vc.Logical().List("pki-off/issuers")
	if err != nil || offIssuers == nil || len(offIssuers.Data["keys"].([]any)) != 1 {
		t.Fatalf("issuers of pki-off: %v %v", offIssuers, err)
	}
	if is := read(t, vc, "pki-off/issuer/"+offIssuers.Data["keys"].([]any)[0].(string)); strings.TrimSpace(is.Data["certificate"].(string)) != strings.TrimSpace(offRoot) {
		t.Errorf("imported root not in Vault: %v", is.Data)
	}
	checked := h.mustCheck(typePKIConfigCA, "import", nil, map[string]any{"backend": "pki-off", "pemBundle": offRoot})
	requireSecret(t, "checked config/ca inputs", checked, "pemBundle")
	if d, _ := h.diff(imp, map[string]any{"backend": "pki-off", "pemBundle": secret(offRoot + "\n")}); strings.Join(d.Replaces, ",") != "pemBundle" {
		t.Errorf("pemBundle change replaces %v", d.Replaces)
	}
	// An intermediate key + chain imported as one bundle issues leaves chaining to the offline root.
	offInter, offInterKey := signedCA(t, "Offline Intermediate", offRoot, offKey)
	offIntMnt := h.create(typeMount, "off-int", map[string]any{"path": "pki-off-int", "type": "pki"})
	bundle := offInter + offRoot + offInterKey
	impInt := h.create(typePKIConfigCA, "import-int", map[string]any{"backend": "pki-off-int", "pemBundle": secret(bundle)})
	if _, err := vc.Logical().Write("pki-off-int/roles/leaf", map[string]any{"allow_any_name": true, "max_ttl": "1h"}); err != nil {
		t.Fatal(err)
	}
	leaf, err := vc.Logical().Write("pki-off-int/issue/leaf", map[string]any{"common_name": "w.example", "ttl": "10m"})
	if err != nil {
		t.Fatal(err)
	}
	opensslVerify(t, dir, offRoot, []string{offInter}, leaf.Data["certificate"].(string))

	// Deletes: config/ca, CSR and set-signed only forget (as in the source); the root cert's
	// delete removes its issuer; sign-intermediate revokes only with revoke = true.
	issuers := func(mount string) []string {
		l, err := vc.Logical().List(mount + "/issuers")
		if err != nil || l == nil {
			return nil
		}
		var out []string
		for _, k := range l.Data["keys"].([]any) {
			out = append(out, k.(string))
		}
		sort.Strings(out)
		return out
	}
	h.destroy(set)
	h.destroy(sign)
	if rev := read(t, vc, "pki-root/cert/"+str(sign.outs, "serialNumber")); rev != nil && rev.Data["revocation_time"] != nil {
		if n, _ := rev.Data["revocation_time"].(json.Number).Int64(); n != 0 {
			t.Error("delete revoked the intermediate without revoke = true")
		}
	}
	h.destroy(csr)
	if keys, _ := vc.Logical().List("pki-int/keys"); keys == nil {
		t.Error("the CSR's key is gone; the source's Delete is a no-op")
	}
	rootIssuer := str(root.outs, "issuerId")
	h.destroy(root)
	for _, i := range issuers("pki-root") {
		if i == rootIssuer {
			t.Error("root cert delete left its issuer")
		}
	}
	h.destroy(imp)
	h.destroy(impInt)
	if len(issuers("pki-off")) == 0 {
		t.Error("config/ca delete removed the imported issuer; the source's Delete is a no-op")
	}
	// Refresh of set-signed after its mount is gone: gone.
	h.destroy(interMnt)
	if h.refresh(set) {
		t.Error("set-signed survived its mount")
	}
	for _, m := range []*res{rootMnt, offMnt, offIntMnt} {
		h.destroy(m)
	}
	for _, p := range []string{"pki-root", "pki-int", "pki-off", "pki-off-int"} {
		if mountExists(t, vc, p) {
			t.Errorf("%s left", p)
		}
	}
}

func selfSignedCA(t *testing.T, cn string) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), key
}

func signedCA(t *testing.T, cn, parentPEM string, parentKey *ecdsa.PrivateKey) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := pem.Decode([]byte(parentPEM))
	parent, _ := x509.ParseCertificate(b.Bytes)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(12 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// ------------------------------------------------------------------ provider: child token, env, TLS

func TestChildToken(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	h.create(typePolicy, "p", map[string]any{"name": "child-token-probe", "policy": `path "x" { capabilities = ["read"] }`})
	tok := h.s.meta.client.Token()
	if tok == dev.root {
		t.Fatal("the provider works with the parent token; it should create a child token")
	}
	c := dev.mustClient(t)
	info, err := c.Auth().Token().Lookup(tok)
	if err != nil {
		t.Fatal(err)
	}
	ttl, _ := info.Data["explicit_max_ttl"].(json.Number).Int64()
	if info.Data["display_name"] != "token-terraform" || info.Data["renewable"] != false || ttl != 1200 {
		t.Errorf("child token %v", info.Data)
	}
	// skipChildToken: the configured token itself.
	h2 := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret(dev.root), "skipChildToken": "true", "maxLeaseTtlSeconds": "600"})
	h2.create(typePolicy, "p2", map[string]any{"name": "child-token-probe2", "policy": `path "x" { capabilities = ["read"] }`})
	if h2.s.meta.client.Token() != dev.root {
		t.Error("skipChildToken still created a child token")
	}
	// maxLeaseTtlSeconds and tokenName shape the child token.
	h3 := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret(dev.root), "maxLeaseTtlSeconds": "600", "tokenName": "pulumi"})
	h3.create(typePolicy, "p3", map[string]any{"name": "child-token-probe3", "policy": `path "x" { capabilities = ["read"] }`})
	info, err = c.Auth().Token().Lookup(h3.s.meta.client.Token())
	if err != nil {
		t.Fatal(err)
	}
	if ttl, _ := info.Data["explicit_max_ttl"].(json.Number).Int64(); ttl != 600 || info.Data["display_name"] != "token-pulumi" {
		t.Errorf("child token %v", info.Data)
	}
}

func TestEnvFallbacks(t *testing.T) {
	dev := sharedDev(t)
	t.Setenv("VAULT_ADDR", dev.addr)
	t.Setenv("VAULT_TOKEN", dev.root)
	h := newHarness(t, dev, map[string]any{})
	p := h.create(typePolicy, "env", map[string]any{"name": "from-env", "policy": `path "x" { capabilities = ["read"] }`})
	if got, _ := dev.mustClient(t).Sys().GetPolicy("from-env"); got == "" {
		t.Error("policy not written with VAULT_ADDR/VAULT_TOKEN")
	}
	h.destroy(p)
}

func TestTLSWithPrivateCA(t *testing.T) {
	dev := startDev(t, true)
	// caCertFile
	h := newHarness(t, dev, nil)
	p := h.create(typePolicy, "tls", map[string]any{"name": "tls", "policy": `path "x" { capabilities = ["read"] }`})
	h.destroy(p)
	// VAULT_CACERT
	t.Setenv("VAULT_CACERT", dev.caFile)
	h2 := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret(dev.root)})
	h2.create(typePolicy, "tls2", map[string]any{"name": "tls2", "policy": `path "x" { capabilities = ["read"] }`})
	// skipTlsVerify
	t.Setenv("VAULT_CACERT", "")
	hs := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret(dev.root), "skipTlsVerify": "true"})
	hs.create(typePolicy, "tls-skip", map[string]any{"name": "tls-skip", "policy": `path "x" { capabilities = ["read"] }`})
	// Neither: the certificate is refused.
	h3 := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret(dev.root)})
	_, err := h3.tryCreate(typePolicy, "tls3", map[string]any{"name": "tls3", "policy": `path "x" { capabilities = ["read"] }`})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted TLS certificate: %v", err)
	}
}

// ------------------------------------------------------------------ faults

func TestSealedDownAndWrongToken(t *testing.T) {
	dev := startDev(t, false)
	vc := dev.mustClient(t)

	// Sealed before the provider's first call: the token lookup fails.
	dev.cli(t, "operator", "seal")
	h := newHarness(t, dev, nil)
	_, err := h.tryCreate(typeMount, "sealed", map[string]any{"path": "sealed", "type": "kv"})
	if err == nil || !strings.Contains(err.Error(), "failed to lookup token") || !strings.Contains(err.Error(), "Vault is sealed") {
		t.Errorf("sealed Vault: %v", err)
	}
	t.Logf("sealed Vault, first call: %v", err)
	dev.cli(t, "operator", "unseal", dev.unsealKey)
	waitUnsealed(t, vc)
	if mountExists(t, vc, "sealed") {
		t.Error("a mount was created while sealed")
	}

	// Sealed after the client was set up: the operation's own error.
	h2 := newHarness(t, dev, nil)
	h2.create(typePolicy, "warm", map[string]any{"name": "warm", "policy": `path "x" { capabilities = ["read"] }`})
	dev.cli(t, "operator", "seal")
	_, err = h2.tryCreate(typeMount, "sealed2", map[string]any{"path": "sealed2", "type": "kv"})
	if err == nil || !strings.Contains(err.Error(), "error writing to Vault") || !strings.Contains(err.Error(), "Vault is sealed") {
		t.Errorf("sealed Vault: %v", err)
	}
	t.Logf("sealed Vault, later call: %v", err)
	dev.cli(t, "operator", "unseal", dev.unsealKey)
	waitUnsealed(t, vc)
	if mountExists(t, vc, "sealed2") {
		t.Error("a mount was created while sealed")
	}

	// Wrong token: refused at the token lookup, nothing created.
	h3 := newHarness(t, dev, map[string]any{"address": dev.addr, "token": secret("hvs.not-a-token")})
	_, err = h3.tryCreate(typeMount, "wrong", map[string]any{"path": "wrongtoken", "type": "kv"})
	if err == nil || !strings.Contains(err.Error(), "failed to lookup token") || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("wrong token: %v", err)
	}
	t.Logf("wrong token: %v", err)
	if mountExists(t, vc, "wrongtoken") {
		t.Error("created with a wrong token")
	}

	// Nothing listens: connection refused.
	h4 := newHarness(t, dev, map[string]any{"address": "http://127.0.0.1:" + strconv.Itoa(freePort(t)), "token": secret(dev.root), "maxRetries": "0"})
	_, err = h4.tryCreate(typeMount, "down", map[string]any{"path": "down", "type": "kv"})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "failed to lookup token") {
		t.Errorf("Vault down: %v", err)
	}
	t.Logf("Vault down: %v", err)
}

func waitUnsealed(t *testing.T, c *api.Client) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if h, err := c.Sys().Health(); err == nil && !h.Sealed && !h.Standby {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("Vault did not become active after unseal")
}

// ------------------------------------------------------------------ Check / schema

func TestCheckAndUnknownTypes(t *testing.T) {
	s := newServer()
	_, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Type: "vault:index/token:Token", Urn: urn("vault:index/token:Token", "t")})
	if err == nil || !strings.Contains(err.Error(), "not implemented by the Vault test double") {
		t.Errorf("unknown type: %v", err)
	}
	h := &harness{t: t, s: s}
	checked, fs, err := h.check(typePKIRootCert, "r", nil, map[string]any{"backend": "pki", "type": "internal", "commonName": "x", "keyType": "dsa"})
	if err != nil || len(fs) != 1 || fs[0].Property != "keyType" {
		t.Errorf("bad keyType: %v %v", fs, err)
	}
	want := []any{"format", "keyBits", "maxPathLength", "privateKeyFormat"}
	if got := val(checked, "__defaults").Mappable(); !reflect.DeepEqual(got, want) {
		t.Errorf("__defaults %v, want %v", got, want)
	}
	if val(checked, "maxPathLength").NumberValue() != -1 || str(checked, "format") != "pem" {
		t.Errorf("defaults %v", checked)
	}
	_, fs, _ = h.check(typeKVSecretV2, "s", nil, map[string]any{"mount": "kv", "name": "n", "dataJsonWo": "{}", "dataJsonWoVersion": 1})
	if len(fs) == 0 || !strings.Contains(fs[0].Reason, "write-only") {
		t.Errorf("write-only input: %v", fs)
	}
	_, fs, _ = h.check(typeKVSecret, "s", nil, map[string]any{"path": "kv/x", "dataJson": "not json"})
	if len(fs) != 1 || fs[0].Property != "dataJson" {
		t.Errorf("bad JSON: %v", fs)
	}
	_, fs, _ = h.check(typeMount, "m", nil, map[string]any{"type": "kv", "bogus": 1})
	if len(fs) != 2 {
		t.Errorf("unknown property + missing path: %v", fs)
	}
	// The provider refuses auth_login methods clearly.
	fsc := checkProviderConfig(resource.NewPropertyMapFromMap(map[string]any{"authLoginJwt": `{"role":"x"}`}))
	if len(fsc) != 1 || !strings.Contains(fsc[0].reason, "not implemented by the Vault test double") {
		t.Errorf("authLoginJwt: %v", fsc)
	}
	// Preview with an unknown input: computed outputs unknown, no call to Vault.
	props, _ := marshal(resource.PropertyMap{"backend": resource.MakeComputed(resource.NewProperty("")), "type": resource.NewProperty("exported"),
		"commonName": resource.NewProperty("x")})
	resp, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Type: typePKIIntermediateCSR, Urn: urn(typePKIIntermediateCSR, "c"), Properties: props, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	outs, _ := unmarshalOutputs(resp.Properties)
	if !outs["csr"].IsComputed() || !unwrap(outs["privateKey"]).IsComputed() || !outs["privateKey"].IsSecret() {
		t.Errorf("preview outputs %v", outs)
	}
}

// TestRootCertOutOfBand: the root cert's CustomizeDiff reads the issuer from Vault on every diff.
func TestRootCertOutOfBand(t *testing.T) {
	dev := sharedDev(t)
	h := newHarness(t, dev, nil)
	vc := h.vault()
	mnt := h.create(typeMount, "oob-mount", map[string]any{"path": "pki-oob", "type": "pki", "maxLeaseTtlSeconds": 31536000})
	in := map[string]any{"backend": "pki-oob", "type": "internal", "commonName": "OOB Root", "ttl": "8760h", "keyType": "ec", "keyBits": 256}
	root := h.create(typePKIRootCert, "root", in)
	h.noChange(root, in)
	if _, err := vc.Logical().Delete("pki-oob/issuer/" + str(root.outs, "issuerId")); err != nil {
		t.Fatal(err)
	}
	props, _ := marshalOutputs(root.outs)
	news, _ := marshal(h.mustCheck(typePKIRootCert, "root", root.inputs, in))
	d, err := h.s.Diff(context.Background(), &pulumirpc.DiffRequest{Id: root.id, Urn: urn(typePKIRootCert, "root"), Type: typePKIRootCert, Olds: props, News: news})
	t.Logf("diff after the issuer was deleted in Vault: %v / err %v", d, err)
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	if strings.Join(d.Replaces, ",") != "issuerId" {
		t.Errorf("replaces %v, want issuerId", d.Replaces)
	}
	h.destroy(mnt)
}
