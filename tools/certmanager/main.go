// Command cert-manager-controller runs cert-manager's own controllers — the code of
// github.com/cert-manager/cert-manager v1.21.2, called through its exported packages — for the e2e
// tier. The module does not ship cert-manager's `cmd/controller` (a nested module the proxy does not
// serve), so this main does what that command's app package does: parse the controller flags, set
// cert-manager's registered feature gates, choose the enabled controllers, build every one of them
// from one ContextFactory, start the shared informer factories, wait for their caches, run each
// controller. Only the CA and selfSigned issuer types are built in; no webhook, cainjector, ACME,
// Vault or Venafi (README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/sets"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/featuregate"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/cert-manager/cert-manager/pkg/controller"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	certmetrics "github.com/cert-manager/cert-manager/pkg/controller/certificates/metrics"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	csrca "github.com/cert-manager/cert-manager/pkg/controller/certificatesigningrequests/ca"
	csrselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificatesigningrequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// Issuer types the issuers/clusterissuers controllers can set up (they register in init()).
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The controllers built in, grouped as upstream's defaults group them
// (internal/apis/config/controller/v1alpha1 of the module): what `*` enables, what the
// ExperimentalCertificateSigningRequestControllers gate adds, and what a namespaced run drops.
// Upstream's other defaults (ACME, Vault, Venafi, ingress-shim) are not built in.
var (
	defaultEnabled = []string{
		issuers.ControllerName, clusterissuers.ControllerName, certmetrics.ControllerName,
		crapprover.ControllerName, crca.CRControllerName, crselfsigned.CRControllerName,
		trigger.ControllerName, issuing.ControllerName, keymanager.ControllerName,
		requestmanager.ControllerName, readiness.ControllerName, revisionmanager.ControllerName,
	}
	csrControllers = []string{csrca.CSRControllerName, csrselfsigned.CSRControllerName}
	clusterScoped  = []string{clusterissuers.ControllerName, csrca.CSRControllerName, csrselfsigned.CSRControllerName}
)

// The gate is cert-manager's own (registered by its internal/controller/feature package); it is
// looked up by name in the registered set, never declared here.
const csrGate = "ExperimentalCertificateSigningRequestControllers"

type options struct {
	opts         controller.ContextOptions
	controllers  []string
	featureGates map[string]bool
	workers      int
	leaderElect  bool
	leaderNS     string
	logging      logsapi.LoggingConfiguration
}

// flags registers the subset of cert-manager's controller flags this binary honours, with
// upstream's names, defaults and meanings (cmd/controller/app/options).
func flags(fs *pflag.FlagSet, o *options) {
	c := &o.opts
	fs.StringVar(&c.APIServerHost, "master", "", "Optional apiserver host address to connect to.")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "Path to a kubeconfig. Only required if out-of-cluster.")
	fs.Float32Var(&c.KubernetesAPIQPS, "kube-api-qps", 20, "Maximum queries-per-second to the Kubernetes apiserver.")
	fs.IntVar(&c.KubernetesAPIBurst, "kube-api-burst", 50, "Maximum burst of requests to the Kubernetes apiserver.")
	fs.StringVar(&c.ClusterResourceNamespace, "cluster-resource-namespace", "kube-system",
		"Namespace to store resources owned by cluster scoped resources such as ClusterIssuer in.")
	fs.StringVar(&c.Namespace, "namespace", "", "If set, limits cert-manager to one namespace and disables ClusterIssuers.")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "Leader election between instances. Only false is supported here.")
	fs.StringVar(&o.leaderNS, "leader-election-namespace", "kube-system", "Namespace used for leader election (unused: no leader election).")
	fs.StringSliceVar(&o.controllers, "controllers", []string{"*"}, "Controllers to enable: '*' (the defaults built in), 'name', '-name'. Built in: "+
		strings.Join(append(slices.Clone(defaultEnabled), csrControllers...), ", "))
	fs.Var(cliflag.NewMapStringBool(&o.featureGates), "feature-gates", "key=value pairs for cert-manager's feature gates:\n"+
		strings.Join(utilfeature.DefaultFeatureGate.KnownFeatures(), "\n"))
	fs.IntVar(&o.workers, "concurrent-workers", 5, "The number of concurrent workers for each controller.")
	fs.BoolVar(&c.ClusterIssuerAmbientCredentials, "cluster-issuer-ambient-credentials", true, "Whether a ClusterIssuer may use ambient credentials.")
	fs.BoolVar(&c.IssuerAmbientCredentials, "issuer-ambient-credentials", false, "Whether an Issuer may use ambient credentials.")
	fs.BoolVar(&c.EnableOwnerRef, "enable-certificate-owner-ref", false, "Set the Certificate as owner of its Secret.")
	fs.StringSliceVar(&c.CopiedAnnotationPrefixes, "copied-annotation-prefixes",
		[]string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
		"Annotation key prefixes copied from Certificate to CertificateRequest ('-' excludes).")
	fs.DurationVar(&c.CertificateRequestMinimumBackoffDuration, "certificate-request-minimum-backoff-duration", time.Hour, "Minimum back-off after a failed request.")
	fs.DurationVar(&c.CertificateRequestMaximumBackoffDuration, "certificate-request-maximum-backoff-duration", 32*time.Hour, "Maximum back-off after failed requests.")
	// The chart always renders these two; they configure ACME, which is not built in.
	fs.StringVar(&c.HTTP01SolverImage, "acme-http01-solver-image", "", "Accepted for the chart's args; no ACME controller runs here.")
	fs.IntVar(&c.MaxConcurrentChallenges, "max-concurrent-challenges", 60, "Accepted for the chart's args; no ACME controller runs here.")
	logf.AddFlags(&o.logging, fs) // --v, --vmodule, --logging-format, ... as upstream
}

// enabled resolves --controllers like upstream's options.EnabledControllers, over the controllers
// built in: '*' = the defaults, '-x' removes x, the gate adds the CSR signers, --namespace drops
// cluster-scoped ones. A name upstream knows but this binary lacks is refused.
func enabled(o *options) (sets.Set[string], error) {
	known := controller.Known()
	on, off := sets.New[string](), []string{}
	for _, c := range o.controllers {
		switch name := strings.TrimPrefix(c, "-"); {
		case c == "*":
			on.Insert(defaultEnabled...)
		case known[name] == nil:
			names := sets.List(sets.KeySet(known))
			return nil, fmt.Errorf("--controllers: %q is not built into cert-manager-controller (built in: %s)", name, strings.Join(names, ", "))
		case strings.HasPrefix(c, "-"):
			off = append(off, name)
		default:
			on.Insert(c)
		}
	}
	if len(off) > 0 && on.Len() == 0 {
		on.Insert(defaultEnabled...)
	}
	gates := utilfeature.DefaultMutableFeatureGate.GetAll()
	if _, ok := gates[featuregate.Feature(csrGate)]; !ok {
		return nil, fmt.Errorf("cert-manager registers no feature gate %s", csrGate)
	}
	if utilfeature.DefaultFeatureGate.Enabled(featuregate.Feature(csrGate)) {
		on.Insert(csrControllers...)
	}
	if o.opts.Namespace != "" {
		on.Delete(clusterScoped...)
	}
	return on.Delete(off...), nil
}

func run(ctx context.Context, o *options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := logf.FromContext(ctx)
	names, err := enabled(o)
	if err != nil {
		return err
	}
	factory, err := controller.NewContextFactory(ctx, o.opts)
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}
	// Every controller registers its informers while it is built; the factories start afterwards.
	built := map[string]controller.Interface{}
	for _, name := range sets.List(names) {
		c, err := controller.Known()[name](factory)
		if err != nil {
			return fmt.Errorf("building controller %s: %w", name, err)
		}
		built[name] = c
	}
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	defer func() {
		cancel() // the informers stop once the context is done; Shutdown waits for them
		base.SharedInformerFactory.Shutdown()
		base.KubeSharedInformerFactory.Shutdown()
		base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	}()
	var unsynced []string
	for t, ok := range base.SharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			unsynced = append(unsynced, t.String())
		}
	}
	for t, ok := range base.KubeSharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			unsynced = append(unsynced, t)
		}
	}
	if len(unsynced) > 0 {
		sort.Strings(unsynced)
		return fmt.Errorf("informer caches did not sync: %s", strings.Join(unsynced, ", "))
	}
	log.Info("informer caches synced, running controllers", "controllers", sets.List(names),
		"clusterResourceNamespace", o.opts.ClusterResourceNamespace, "featureGates", o.featureGates)
	g, gctx := errgroup.WithContext(ctx)
	for name, c := range built {
		g.Go(func() error {
			if err := c.Run(o.workers, gctx); err != nil {
				return fmt.Errorf("controller %s: %w", name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

func main() {
	logf.InitLogs()
	defer logf.FlushLogs()
	o := &options{}
	logsapi.SetRecommendedLoggingConfiguration(&o.logging)
	fs := pflag.NewFlagSet("cert-manager-controller", pflag.ContinueOnError)
	flags(fs, o)
	err := fs.Parse(os.Args[1:])
	if errors.Is(err, pflag.ErrHelp) {
		return
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err == nil {
		err = utilfeature.DefaultMutableFeatureGate.SetFromMap(o.featureGates)
	}
	if err == nil {
		err = logf.ValidateAndApply(&o.logging)
	}
	if err == nil && o.leaderElect {
		err = errors.New("--leader-elect=true is not supported by this binary (one process, nothing to elect): pass --leader-elect=false")
	}
	if err == nil && o.opts.Namespace == "" && o.opts.ClusterResourceNamespace == "" {
		err = errors.New("--cluster-resource-namespace must be set when ClusterIssuers are enabled (no --namespace)")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-controller: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	if err := run(ctx, o); err != nil && !errors.Is(err, context.Canceled) {
		logf.Log.Error(err, "cert-manager-controller failed")
		logf.FlushLogs()
		os.Exit(1)
	}
}
