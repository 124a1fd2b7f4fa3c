// A real HashiCorp Vault dev server for the tests (tools/bin/vault, built by tools/build.sh), on a
// loopback port in 18200-18299, and a harness driving the double's gRPC methods like the engine.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

var vaultBin = func() string { p, _ := filepath.Abs("../bin/vault"); return p }()

type devServer struct {
	addr, root, dir, unsealKey, caFile string
	cmd                                *exec.Cmd
	exited                             chan error // receives the process's exit
}

var (
	devMu      sync.Mutex
	devServers []*devServer
)

func TestMain(m *testing.M) {
	code := m.Run()
	devMu.Lock()
	for _, d := range devServers {
		d.stop()
	}
	devMu.Unlock()
	os.Exit(code)
}

func requireVault(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(vaultBin); err != nil {
		t.Skipf("SKIPPED: no Vault server binary at %s (HashiCorp Vault, built into tools/bin by tools/build.sh); these tests need a real Vault server", vaultBin)
	}
}

// freePort: a loopback port in 18200-18299 nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	for p := 18200; p < 18300; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port in 18200-18299")
	return 0
}

var unsealRE = regexp.MustCompile(`Unseal Key: (\S+)`)

// startDev starts `vault server -dev` (with -dev-tls when tls) and waits until it is active.
func startDev(t testing.TB, tls bool) *devServer {
	t.Helper()
	requireVault(t)
	devMu.Lock()
	defer devMu.Unlock()
	dir, err := os.MkdirTemp("", "vaultdouble-dev-")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	d := &devServer{root: "root-" + randHex(8), dir: dir}
	args := []string{"server", "-dev", fmt.Sprintf("-dev-listen-address=127.0.0.1:%d", port), "-dev-root-token-id=" + d.root, "-dev-no-store-token"}
	scheme := "http"
	if tls {
		args = append(args, "-dev-tls", "-dev-tls-cert-dir="+dir)
		scheme = "https"
		d.caFile = filepath.Join(dir, "vault-ca.pem")
	}
	d.addr = fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(vaultBin, args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.Env = append(os.Environ(), "HOME="+dir, "VAULT_ADDR=", "VAULT_TOKEN=")
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.exited = make(chan error, 1)
	go func() { d.exited <- d.cmd.Wait() }()
	devServers = append(devServers, d)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := d.client(); err == nil {
			if h, err := c.Sys().Health(); err == nil && h.Initialized && !h.Sealed {
				break
			}
		}
		select {
		case err := <-d.exited:
			b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			d.cmd = nil
			t.Fatalf("vault dev server %s exited (%v):\n%s", vaultBin, err, b)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Fatalf("vault dev server at %s not ready after 60 s:\n%s", d.addr, b)
		}
	}
	// The dev server prints its unseal key after it is serving.
	for i := 0; i < 100 && d.unsealKey == ""; i++ {
		if f, err := os.Open(filepath.Join(dir, "server.log")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m := unsealRE.FindStringSubmatch(sc.Text()); m != nil {
					d.unsealKey = m[1]
				}
			}
			f.Close()
		}
		if d.unsealKey == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if d.unsealKey == "" {
		t.Fatalf("no unseal key in %s", filepath.Join(dir, "server.log"))
	}
	return d
}

func (d *devServer) stop() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	os.RemoveAll(d.dir)
}

// client: a root-token client for checking what is in Vault.
func (d *devServer) client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	cfg.Address = d.addr
	cfg.MaxRetries = 0
	if d.caFile != "" {
		if err := cfg.ConfigureTLS(&api.TLSConfig{CACert: d.caFile}); err != nil {
			return nil, err
		}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(d.root)
	return c, nil
}

func (d *devServer) mustClient(t testing.TB) *api.Client {
	t.Helper()
	c, err := d.client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cli runs the vault CLI against the server.
func (d *devServer) cli(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(vaultBin, args...)
	cmd.Env = append(os.Environ(), "VAULT_ADDR="+d.addr, "VAULT_TOKEN="+d.root, "VAULT_CACERT="+d.caFile, "HOME="+d.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vault %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var sharedOnce sync.Once
var shared *devServer

// sharedDev: one dev server for the tests that do not seal it.
func sharedDev(t testing.TB) *devServer {
	t.Helper()
	requireVault(t)
	sharedOnce.Do(func() { shared = startDev(t, false) })
	if shared == nil {
		t.Fatal("the shared dev server did not start")
	}
	return shared
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// ------------------------------------------------------------------ harness: the engine's calls

type harness struct {
	t   *testing.T
	s   *server
	dev *devServer
}

func newHarness(t *testing.T, dev *devServer, cfg map[string]any) *harness {
	t.Helper()
	h := &harness{t: t, s: newServer(), dev: dev}
	if cfg == nil {
		cfg = map[string]any{"address": dev.addr, "token": resource.MakeSecret(resource.NewProperty(dev.root))}
		if dev.caFile != "" {
			cfg["caCertFile"] = dev.caFile
		}
	}
	if err := h.configure(cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) configure(cfg map[string]any) error {
	args, err := marshal(resource.NewPropertyMapFromMap(cfg))
	if err != nil {
		return err
	}
	chk, err := h.s.CheckConfig(context.Background(), &pulumirpc.CheckRequest{News: args})
	if err != nil {
		return err
	}
	if len(chk.Failures) > 0 {
		return fmt.Errorf("CheckConfig: %v", chk.Failures)
	}
	_, err = h.s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args, AcceptSecrets: true})
	return err
}

type res struct {
	typ, name string
	id        string
	inputs    resource.PropertyMap // checked inputs
	outs      resource.PropertyMap
}

func urn(typ, name string) string { return "urn:pulumi:test::vaultdouble::" + typ + "::" + name }

func (h *harness) check(typ, name string, olds resource.PropertyMap, in map[string]any) (resource.PropertyMap, []*pulumirpc.CheckFailure, error) {
	news, err := marshal(resource.NewPropertyMapFromMap(in))
	if err != nil {
		return nil, nil, err
	}
	o, err := marshal(olds)
	if err != nil {
		return nil, nil, err
	}
	seed := make([]byte, 32)
	copy(seed, name)
	resp, err := h.s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn(typ, name), Type: typ, Olds: o, News: news, RandomSeed: seed})
	if err != nil {
		return nil, nil, err
	}
	checked, err := unmarshal(resp.Inputs)
	return checked, resp.Failures, err
}

func (h *harness) mustCheck(typ, name string, olds resource.PropertyMap, in map[string]any) resource.PropertyMap {
	h.t.Helper()
	checked, fs, err := h.check(typ, name, olds, in)
	if err != nil {
		h.t.Fatalf("Check %s: %v", name, err)
	}
	if len(fs) > 0 {
		h.t.Fatalf("Check %s: failures %v", name, fs)
	}
	return checked
}

// tryCreate: Check, a preview Create, then Create, as `pulumi up` does.
func (h *harness) tryCreate(typ, name string, in map[string]any) (*res, error) {
	h.t.Helper()
	checked := h.mustCheck(typ, name, nil, in)
	props, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	if _, err := h.s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn(typ, name), Type: typ, Properties: props, Preview: true}); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	resp, err := h.s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn(typ, name), Type: typ, Properties: props})
	if err != nil {
		return nil, err
	}
	outs, err := unmarshalOutputs(resp.Properties)
	if err != nil {
		return nil, err
	}
	return &res{typ: typ, name: name, id: resp.Id, inputs: checked, outs: outs}, nil
}

func (h *harness) create(typ, name string, in map[string]any) *res {
	h.t.Helper()
	r, err := h.tryCreate(typ, name, in)
	if err != nil {
		h.t.Fatalf("Create %s (%s): %v", name, typ, err)
	}
	if r.id == "" {
		h.t.Fatalf("Create %s: no ID", name)
	}
	return r
}

func (h *harness) diff(r *res, in map[string]any) (*pulumirpc.DiffResponse, resource.PropertyMap) {
	h.t.Helper()
	checked := h.mustCheck(r.typ, r.name, r.inputs, in)
	olds, err := marshalOutputs(r.outs)
	if err != nil {
		h.t.Fatal(err)
	}
	oldIn, _ := marshal(r.inputs)
	news, _ := marshal(checked)
	resp, err := h.s.Diff(context.Background(), &pulumirpc.DiffRequest{Id: r.id, Urn: urn(r.typ, r.name), Type: r.typ, Olds: olds, OldInputs: oldIn, News: news})
	if err != nil {
		h.t.Fatalf("Diff %s: %v", r.name, err)
	}
	return resp, checked
}

// update: the diff must be an in-place update; Update runs (preview first).
func (h *harness) update(r *res, in map[string]any) *pulumirpc.DiffResponse {
	h.t.Helper()
	d, checked := h.diff(r, in)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) > 0 {
		h.t.Fatalf("%s: expected an in-place update, got changes=%v diffs=%v replaces=%v", r.name, d.Changes, d.Diffs, d.Replaces)
	}
	olds, _ := marshalOutputs(r.outs)
	news, _ := marshal(checked)
	for _, preview := range []bool{true, false} {
		resp, err := h.s.Update(context.Background(), &pulumirpc.UpdateRequest{Id: r.id, Urn: urn(r.typ, r.name), Type: r.typ, Olds: olds, News: news, Preview: preview})
		if err != nil {
			h.t.Fatalf("Update %s (preview %v): %v", r.name, preview, err)
		}
		if !preview {
			r.outs, _ = unmarshalOutputs(resp.Properties)
			r.inputs = checked
		}
	}
	return d
}

// replace: the diff must replace exactly `want`; the new resource is created (the caller deletes
// the old one, in the order the engine would).
func (h *harness) replace(r *res, in map[string]any, want ...string) (*res, *pulumirpc.DiffResponse) {
	h.t.Helper()
	d, _ := h.diff(r, in)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(d.Replaces, ",") != strings.Join(want, ",") {
		h.t.Fatalf("%s: expected replacement of %v, got changes=%v diffs=%v replaces=%v", r.name, want, d.Changes, d.Diffs, d.Replaces)
	}
	if d.DeleteBeforeReplace {
		h.destroy(r)
	}
	nr := h.create(r.typ, r.name, in)
	if !d.DeleteBeforeReplace {
		h.destroy(r)
	}
	return nr, d
}

// replaceDeleteFirst: a replacement with the deleteBeforeReplace resource option (the old one goes
// first, e.g. a mount replaced at the same path).
func (h *harness) replaceDeleteFirst(r *res, in map[string]any, want ...string) *res {
	h.t.Helper()
	d, _ := h.diff(r, in)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(d.Replaces, ",") != strings.Join(want, ",") {
		h.t.Fatalf("%s: expected replacement of %v, got changes=%v diffs=%v replaces=%v", r.name, want, d.Changes, d.Diffs, d.Replaces)
	}
	h.destroy(r)
	return h.create(r.typ, r.name, in)
}

func (h *harness) noChange(r *res, in map[string]any) {
	h.t.Helper()
	d, _ := h.diff(r, in)
	if d.Changes == pulumirpc.DiffResponse_DIFF_SOME {
		h.t.Fatalf("%s: expected no changes, got diffs=%v replaces=%v detailed=%v", r.name, d.Diffs, d.Replaces, d.DetailedDiff)
	}
}

// refresh: Read; returns false when the resource is gone.
func (h *harness) refresh(r *res) bool {
	h.t.Helper()
	props, _ := marshalOutputs(r.outs)
	in, _ := marshal(r.inputs)
	resp, err := h.s.Read(context.Background(), &pulumirpc.ReadRequest{Id: r.id, Urn: urn(r.typ, r.name), Type: r.typ, Properties: props, Inputs: in})
	if err != nil {
		h.t.Fatalf("Read %s: %v", r.name, err)
	}
	if resp.Id == "" {
		return false
	}
	r.id = resp.Id
	r.outs, _ = unmarshalOutputs(resp.Properties)
	r.inputs, _ = unmarshal(resp.Inputs)
	return true
}

func (h *harness) tryDestroy(r *res) error {
	props, _ := marshalOutputs(r.outs)
	_, err := h.s.Delete(context.Background(), &pulumirpc.DeleteRequest{Id: r.id, Urn: urn(r.typ, r.name), Type: r.typ, Properties: props})
	return err
}

func (h *harness) destroy(r *res) {
	h.t.Helper()
	if err := h.tryDestroy(r); err != nil {
		h.t.Fatalf("Delete %s: %v", r.name, err)
	}
}

// unmarshalOutputs keeps nulls (every attribute is in the outputs) and secrets.
func unmarshalOutputs(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
}

// vaultClient: a root client on the harness's server.
func (h *harness) vault() *api.Client { return h.dev.mustClient(h.t) }
