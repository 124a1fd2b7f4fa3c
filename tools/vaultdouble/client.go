// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// The provider configuration and the Vault client, following terraform-provider-vault v5.8.0
// internal/provider/provider.go (the config schema) and internal/provider/meta.go (setClient,
// createChildToken, GetClient/GetNSClient, setVaultVersion, the GetResourceData* env fallbacks).
// The client is made on first use, not in Configure, exactly as ProviderMeta.getClient does, so a
// sealed, unreachable or refusing Vault fails the first resource operation.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/vault/api"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// providerConfig: the vault.Provider inputs the double implements. A nil *bool is "not in the
// configuration" (GetResourceDataBool then falls back to the environment).
type providerConfig struct {
	address, token, tokenName, namespace, caCertFile, caCertDir, tlsServerName string
	vaultVersionOverride, addAddressToEnv                                      string
	skipChildToken, skipTLSVerify, skipGetVaultVersion, setNamespaceFromToken  *bool
	maxLeaseTTLSeconds, maxRetries, maxRetriesCCC                              int
	headers                                                                    []header
	clientCertFile, clientKeyFile                                              string
	hasClientAuth                                                              bool
}

type header struct{ name, value string }

// configKeys: every vault.Provider input of @pulumi/vault 7.8.0 (provider.js). The auth_login*
// methods are refused with a clear message: the double authenticates with a token only.
var configKeys = map[string]bool{
	"address": true, "addAddressToEnv": true, "token": true, "tokenName": true, "skipChildToken": true,
	"caCertFile": true, "caCertDir": true, "skipTlsVerify": true, "tlsServerName": true, "maxLeaseTtlSeconds": true,
	"maxRetries": true, "maxRetriesCcc": true, "namespace": true, "headers": true, "skipGetVaultVersion": true,
	"vaultVersionOverride": true, "setNamespaceFromToken": true, "clientAuth": true,
	"authLogin": false, "authLoginAws": false, "authLoginAzure": false, "authLoginCert": false, "authLoginGcp": false,
	"authLoginJwt": false, "authLoginKerberos": false, "authLoginOci": false, "authLoginOidc": false,
	"authLoginRadius": false, "authLoginTokenFile": false, "authLoginUserpass": false,
}

// checkProviderConfig: the failures CheckConfig reports (unknown keys, unimplemented auth logins,
// values of the wrong type).
func checkProviderConfig(pm resource.PropertyMap) []failure {
	var fs []failure
	for k, v := range pm {
		if strings.HasPrefix(string(k), "__") || strings.HasPrefix(string(k), "version") || unwrap(v).IsNull() {
			continue
		}
		implemented, known := configKeys[string(k)]
		switch {
		case !known:
			fs = append(fs, failure{string(k), fmt.Sprintf("unknown vault provider configuration key %q", k)})
		case !implemented:
			// The SDK sends JSON "null"/undefined for unset objects.
			if s := unwrap(v); s.IsString() && (s.StringValue() == "null" || s.StringValue() == "") {
				continue
			}
			fs = append(fs, failure{string(k), fmt.Sprintf("%s is not implemented by the Vault test double (tools/vaultdouble): it authenticates with `token` or $VAULT_TOKEN only", k)})
		}
	}
	if _, err := parseProviderConfig(pm); err != nil {
		fs = append(fs, failure{"", err.Error()})
	}
	return fs
}

// parseProviderConfig reads the provider's inputs. The Node SDK JSON-encodes every non-string
// input (provider.js: `pulumi.output(args.skipChildToken).apply(JSON.stringify)`), so booleans,
// numbers and objects may arrive as strings.
func parseProviderConfig(pm resource.PropertyMap) (providerConfig, error) {
	c := providerConfig{}
	str := func(k string) string {
		v := unwrap(pm[resource.PropertyKey(k)])
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	var errs []string
	boolp := func(k string) *bool {
		v := unwrap(pm[resource.PropertyKey(k)])
		switch {
		case v.IsBool():
			b := v.BoolValue()
			return &b
		case v.IsString() && v.StringValue() != "" && v.StringValue() != "null":
			b, err := strconv.ParseBool(v.StringValue())
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a boolean (true or false)", k, v.StringValue()))
				return nil
			}
			return &b
		}
		return nil
	}
	intv := func(k string) int {
		v := unwrap(pm[resource.PropertyKey(k)])
		switch {
		case v.IsNumber():
			return int(v.NumberValue())
		case v.IsString() && v.StringValue() != "" && v.StringValue() != "null":
			i, err := strconv.Atoi(v.StringValue())
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not an integer", k, v.StringValue()))
			}
			return i
		}
		return 0
	}
	jsonv := func(k string) any {
		v := unwrap(pm[resource.PropertyKey(k)])
		if v.IsString() {
			var x any
			if s := v.StringValue(); s != "" && s != "null" {
				if err := json.Unmarshal([]byte(s), &x); err != nil {
					errs = append(errs, fmt.Sprintf("%s: not valid JSON: %v", k, err))
				}
			}
			return x
		}
		if v.IsNull() {
			return nil
		}
		return v.Mappable()
	}
	c.address, c.token, c.tokenName, c.namespace = str("address"), str("token"), str("tokenName"), str("namespace")
	c.caCertFile, c.caCertDir, c.tlsServerName = str("caCertFile"), str("caCertDir"), str("tlsServerName")
	c.vaultVersionOverride, c.addAddressToEnv = str("vaultVersionOverride"), str("addAddressToEnv")
	c.skipChildToken, c.skipTLSVerify = boolp("skipChildToken"), boolp("skipTlsVerify")
	c.skipGetVaultVersion, c.setNamespaceFromToken = boolp("skipGetVaultVersion"), boolp("setNamespaceFromToken")
	c.maxLeaseTTLSeconds, c.maxRetries, c.maxRetriesCCC = intv("maxLeaseTtlSeconds"), intv("maxRetries"), intv("maxRetriesCcc")
	if hs, ok := jsonv("headers").([]any); ok {
		for _, h := range hs {
			m, _ := h.(map[string]any)
			name, _ := m["name"].(string)
			value, _ := m["value"].(string)
			c.headers = append(c.headers, header{name, value})
		}
	}
	if ca := jsonv("clientAuth"); ca != nil {
		m, _ := ca.(map[string]any)
		if l, ok := ca.([]any); ok && len(l) > 0 {
			m, _ = l[0].(map[string]any)
		}
		c.hasClientAuth = true
		c.clientCertFile, _ = m["certFile"].(string)
		c.clientKeyFile, _ = m["keyFile"].(string)
	}
	if c.vaultVersionOverride != "" {
		if _, err := goversion.NewVersion(c.vaultVersionOverride); err != nil {
			errs = append(errs, fmt.Sprintf("invalid value for %q, err=%s", "vault_version_override", err))
		}
	}
	if len(errs) > 0 {
		return c, errors.New(strings.Join(errs, "; "))
	}
	return c, nil
}

// meta: ProviderMeta.
type meta struct {
	mu           sync.Mutex
	cfg          providerConfig
	client       *api.Client
	clientCache  map[string]*api.Client
	vaultVersion *goversion.Version
}

func (p *meta) configure(c providerConfig) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg, p.client, p.clientCache, p.vaultVersion = c, nil, nil, nil
}

// GetResourceDataStr / Int / Bool: the configured value, else the environment, else the default.
func envStr(v, env, dv string) string {
	if v != "" {
		return v
	}
	if env != "" {
		if s := os.Getenv(env); s != "" {
			return s
		}
	}
	return dv
}

func envInt(v int, env string, dv int) int {
	if v != 0 {
		return v
	}
	if env != "" {
		if s := os.Getenv(env); s != "" {
			if i, err := strconv.Atoi(s); err == nil {
				return i
			}
		}
	}
	return dv
}

func envBool(v *bool, env string, dv bool) bool {
	if v != nil {
		return *v
	}
	if env != "" {
		if s := os.Getenv(env); s != "" {
			if b, err := strconv.ParseBool(s); err == nil {
				return b
			}
		}
	}
	return dv
}

// getClient: ProviderMeta.getClient / setClient. Must hold p.mu. A failed setup is not cached: the
// next operation tries again, as in the provider.
func (p *meta) getClient() (*api.Client, error) {
	if p.client != nil {
		return p.client, nil
	}
	c := &p.cfg
	clientConfig := api.DefaultConfig()
	addr := envStr(c.address, api.EnvVaultAddress, "")
	if addr == "" {
		return nil, fmt.Errorf("failed to configure Vault address")
	}
	clientConfig.Address = addr
	clientConfig.CloneTLSConfig = true
	tlsConfig := &api.TLSConfig{
		CACert:        envStr(c.caCertFile, api.EnvVaultCACert, ""),
		CAPath:        envStr(c.caCertDir, api.EnvVaultCAPath, ""),
		CACertBytes:   []byte(envStr("", api.EnvVaultCACertBytes, "")),
		Insecure:      envBool(c.skipTLSVerify, "VAULT_SKIP_VERIFY", false),
		TLSServerName: envStr(c.tlsServerName, api.EnvVaultTLSServerName, ""),
	}
	if c.hasClientAuth {
		tlsConfig.ClientCert = envStr(c.clientCertFile, api.EnvVaultClientCert, "")
		tlsConfig.ClientKey = envStr(c.clientKeyFile, api.EnvVaultClientKey, "")
	}
	if err := clientConfig.ConfigureTLS(tlsConfig); err != nil {
		return nil, fmt.Errorf("failed to configure TLS for Vault API: %s", err)
	}
	clientConfig.ReadYourWrites = true
	clientConfig.MaxRetries = 2
	client, err := api.NewClient(clientConfig)
	if err != nil {
		return nil, fmt.Errorf("failed to configure Vault API: %s", err)
	}
	client.SetCloneHeaders(true)
	client.SetCloneToken(true)
	headers := client.Headers().Clone()
	if headers == nil {
		headers = make(http.Header)
	}
	for _, h := range c.headers {
		headers.Add(h.name, h.value)
	}
	client.SetHeaders(headers)
	client.SetMaxRetries(envInt(c.maxRetries, "VAULT_MAX_RETRIES", 2))

	namespace := envStr(c.namespace, "VAULT_NAMESPACE", "")
	token, err := p.token()
	if err != nil {
		return nil, err
	}
	if token != "" {
		client.SetToken(token)
	}
	if client.Token() == "" {
		return nil, errors.New("no vault token set on Client")
	}
	tokenInfo, err := client.Auth().Token().LookupSelf()
	if err != nil {
		return nil, fmt.Errorf("failed to lookup token, err=%w", err)
	}
	if tokenInfo == nil {
		return nil, fmt.Errorf("no token information returned from self lookup")
	}
	var tokenNamespace string
	if v, ok := tokenInfo.Data["namespace_path"]; ok {
		s, _ := v.(string)
		tokenNamespace = strings.Trim(s, "/")
	}
	if !envBool(c.skipChildToken, "TERRAFORM_VAULT_SKIP_CHILD_TOKEN", false) {
		t, err := p.createChildToken(client, tokenNamespace)
		if err != nil {
			return nil, err
		}
		client.SetToken(t)
	}
	if namespace == "" && tokenNamespace != "" {
		fmt.Fprintf(stderr, "warning: The provider namespace should be set whenever using namespaced auth tokens; using the token's namespace %q\n", tokenNamespace)
		namespace = tokenNamespace
		if envBool(c.setNamespaceFromToken, "VAULT_SET_NAMESPACE_FROM_TOKEN", true) {
			c.namespace = namespace
		}
	}
	if namespace != "" {
		c.namespace = namespace
		client.SetNamespace(namespace)
	}
	p.client = client
	return client, nil
}

// token: GetToken: the configured token, $VAULT_TOKEN, else the default token helper's file
// (~/.vault-token). Configured external token helpers (token_helper in ~/.vault) are not run.
func (p *meta) token() (string, error) {
	if p.cfg.token != "" {
		return p.cfg.token, nil
	}
	if t := os.Getenv(api.EnvVaultToken); t != "" {
		return t, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("error getting token helper: %s", err)
	}
	b, err := os.ReadFile(filepath.Join(home, ".vault-token"))
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", fmt.Errorf("error getting token: %s", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// createChildToken: a non-renewable child token living max_lease_ttl_seconds (default 1200 s),
// display name token_name (default "terraform"), in the parent token's namespace.
func (p *meta) createChildToken(c *api.Client, namespace string) (string, error) {
	tokenName := envStr(p.cfg.tokenName, "VAULT_TOKEN_NAME", "terraform")
	clone, err := c.Clone()
	if err != nil {
		return "", err
	}
	if namespace != "" {
		clone.SetNamespace(namespace)
	}
	ttl := envInt(p.cfg.maxLeaseTTLSeconds, "TERRAFORM_VAULT_MAX_TTL", 1200)
	renewable := false
	lease, err := clone.Auth().Token().Create(&api.TokenCreateRequest{
		DisplayName:    tokenName,
		TTL:            fmt.Sprintf("%ds", ttl),
		ExplicitMaxTTL: fmt.Sprintf("%ds", ttl),
		Renewable:      &renewable,
	})
	if err != nil {
		return "", fmt.Errorf("failed to create limited child token: %s", err)
	}
	return lease.Auth.ClientToken, nil
}

// GetClient(d, meta): the resource's namespace (relative to the provider's) or the provider's client.
func (p *meta) GetClient(ns string) (*api.Client, error) {
	if ns == "" {
		ns = os.Getenv("TERRAFORM_VAULT_NAMESPACE_IMPORT")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	client, err := p.getClient()
	if err != nil {
		return nil, err
	}
	if ns == "" {
		return client, nil
	}
	ns = strings.Trim(ns, "/")
	if ns == "" {
		return nil, fmt.Errorf("empty namespace not allowed")
	}
	if root := p.cfg.namespace; root != "" {
		ns = root + "/" + ns
	}
	if p.clientCache == nil {
		p.clientCache = map[string]*api.Client{}
	}
	if c, ok := p.clientCache[ns]; ok {
		return c, nil
	}
	c, err := client.Clone()
	if err != nil {
		return nil, err
	}
	c.SetNamespace(ns)
	p.clientCache[ns] = c
	return c, nil
}

func (p *meta) clientFor(d interface{ GetString(string) string }) (*api.Client, error) {
	return p.GetClient(d.GetString("namespace"))
}

// GetVaultVersion: vault_version_override, else the server's version from sys/seal-status (unless
// skip_get_vault_version); nil on any error (IsAPISupported is then false).
func (p *meta) GetVaultVersion() *goversion.Version {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.vaultVersion != nil {
		return p.vaultVersion
	}
	if p.cfg.vaultVersionOverride != "" {
		v, err := goversion.NewVersion(p.cfg.vaultVersionOverride)
		if err != nil {
			return nil
		}
		p.vaultVersion = v
		return v
	}
	if envBool(p.cfg.skipGetVaultVersion, "", false) {
		return nil
	}
	client, err := p.getClient()
	if err != nil {
		return nil
	}
	clone, err := client.Clone()
	if err != nil {
		return nil
	}
	clone.ClearNamespace()
	resp, err := clone.Sys().SealStatus()
	if err != nil || resp == nil || resp.Version == "" {
		return nil
	}
	v, err := goversion.NewSemver(resp.Version)
	if err != nil {
		return nil
	}
	p.vaultVersion = v
	return v
}

var (
	vault110  = goversion.Must(goversion.NewSemver("1.10.0"))
	vault111  = goversion.Must(goversion.NewSemver("1.11.0"))
	vault116  = goversion.Must(goversion.NewSemver("1.16.0"))
	vault117  = goversion.Must(goversion.NewSemver("1.17.0"))
	vault118  = goversion.Must(goversion.NewSemver("1.18.0"))
	vault119  = goversion.Must(goversion.NewSemver("1.19.0"))
	vault1192 = goversion.Must(goversion.NewSemver("1.19.2"))
	vault193  = goversion.Must(goversion.NewSemver("1.9.3"))
)

func (p *meta) IsAPISupported(min *goversion.Version) bool {
	v := p.GetVaultVersion()
	return v != nil && v.GreaterThanOrEqual(min)
}

func (p *meta) IsEnterpriseSupported() bool {
	v := p.GetVaultVersion()
	return v != nil && strings.Contains(v.Metadata(), "ent")
}
