// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// Create/Read/Update/Delete of each resource, a port of terraform-provider-vault v5.8.0's functions
// (named in each comment) onto resourceData: the same Vault API calls through
// github.com/hashicorp/vault/api v1.22.0 (the version the provider requires), the same fields sent
// and read back, the same IDs and error messages. Written from reading that source; no code copied.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/vault/api"
)

// ------------------------------------------------------------------ shared helpers

// mountutil.IsMountNotFoundError
func isMountNotFound(err error) bool {
	var respErr *api.ResponseError
	if errors.As(err, &respErr) && respErr != nil {
		if respErr.StatusCode == http.StatusNotFound {
			return true
		}
		if respErr.StatusCode == http.StatusBadRequest {
			for _, e := range respErr.Errors {
				if strings.Contains(e, "No secret engine mount at") || strings.Contains(e, "No auth engine at") {
					return true
				}
			}
		}
	}
	return errors.Is(err, errMountNotFound)
}

var errMountNotFound = errors.New("mount not found")

// mountutil.GetMount / GetAuthMount
func getMount(ctx context.Context, c *api.Client, path string) (*api.MountOutput, error) {
	resp, err := c.Sys().GetMountWithContext(ctx, path)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, errMountNotFound
	}
	return resp, nil
}

func getAuthMount(ctx context.Context, c *api.Client, path string) (*api.MountOutput, error) {
	resp, err := c.Sys().GetAuthWithContext(ctx, path)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, errMountNotFound
	}
	return resp, nil
}

// util.ErrorContainsHTTPCode / Is404 / Is500
func errorContainsHTTPCode(err error, codes ...int) bool {
	for _, code := range codes {
		if strings.Contains(err.Error(), fmt.Sprintf("Code: %d", code)) {
			return true
		}
	}
	return false
}

// expandStringSlice (structures.go): the non-empty strings.
func expandStringSlice(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// expandStringSliceWithEmpty (structures.go): [""] for an empty list, so Vault clears it.
func expandStringSliceWithEmpty(l []any, returnSingleEmpty bool) []string {
	if returnSingleEmpty && len(l) == 0 {
		return []string{""}
	}
	return expandStringSlice(l)
}

func toStringArray(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}

// serializeDataMapToString (resource_generic_secret.go): strings as-is, anything else as JSON.
func serializeDataMapToString(data map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

// util.ShortDur / helper.FlattenVaultDuration
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func flattenVaultDuration(v any) string {
	if i, ok := toInt(v); ok {
		return shortDur(time.Duration(i) * time.Second)
	}
	return time.Duration(0).String()
}

// util.RetryWrite with DefaultRequestOpts: retry a write answered 400 every 500 ms, 60 times.
func retryWrite(c *api.Client, path string, data map[string]any) (*api.Secret, error) {
	if path == "" {
		return nil, fmt.Errorf("path is empty")
	}
	var lastErr error
	for try := 0; try <= 60; try++ {
		r, err := c.Logical().Write(path, data)
		if err == nil {
			return r, nil
		}
		lastErr = fmt.Errorf("error writing to path %q, err=%w", path, err)
		var respErr *api.ResponseError
		if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusBadRequest {
			return nil, lastErr
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil, lastErr
}

// ------------------------------------------------------------------ vault_mount (resource_mount.go)

var mountOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error { // mountWrite
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.GetString("path")
		if err := createMount(ctx, d, m, client, path, d.GetString("type")); err != nil {
			return err
		}
		d.SetId(path)
		return readMount(ctx, d, m, false, false)
	},
	read: func(ctx context.Context, d *resourceData, m *meta) error { return readMount(ctx, d, m, false, false) },
	update: func(ctx context.Context, d *resourceData, m *meta) error { // mountUpdate -> updateMount
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		cfg := map[string]any{
			"default_lease_ttl": fmt.Sprintf("%ds", d.GetInt("default_lease_ttl_seconds")),
			"max_lease_ttl":     fmt.Sprintf("%ds", d.GetInt("max_lease_ttl_seconds")),
			"options":           mountOptions(d),
		}
		if d.HasChange("audit_non_hmac_request_keys") {
			cfg["audit_non_hmac_request_keys"] = expandStringSlice(d.GetList("audit_non_hmac_request_keys"))
		}
		if d.HasChange("audit_non_hmac_response_keys") {
			cfg["audit_non_hmac_response_keys"] = expandStringSlice(d.GetList("audit_non_hmac_response_keys"))
		}
		if d.HasChange("description") {
			cfg["description"] = d.GetString("description")
		}
		path := d.Id()
		if d.HasChange("path") {
			newPath := d.GetString("path")
			if err := client.Sys().RemountWithContext(ctx, d.Id(), newPath); err != nil {
				return fmt.Errorf("error remounting in Vault: %s", err)
			}
			d.SetId(newPath)
			path = newPath
		}
		if d.HasChange("allowed_managed_keys") {
			cfg["allowed_managed_keys"] = expandStringSlice(d.GetList("allowed_managed_keys"))
		}
		if d.HasChange("passthrough_request_headers") {
			cfg["passthrough_request_headers"] = expandStringSlice(d.GetList("passthrough_request_headers"))
		}
		if d.HasChange("allowed_response_headers") {
			cfg["allowed_response_headers"] = d.GetList("allowed_response_headers")
		}
		if d.HasChange("delegated_auth_accessors") {
			cfg["delegated_auth_accessors"] = expandStringSlice(d.GetList("delegated_auth_accessors"))
		}
		if d.HasChange("listing_visibility") {
			cfg["listing_visibility"] = d.GetString("listing_visibility")
		}
		if d.HasChange("plugin_version") {
			cfg["plugin_version"] = d.GetString("plugin_version")
		}
		if m.IsAPISupported(vault116) && m.IsEnterpriseSupported() && d.HasChange("identity_token_key") {
			cfg["identity_token_key"] = d.GetString("identity_token_key")
		}
		// The provider retries the tune up to 10 times, a second apart (its VAULT-5521 work-around).
		for tries := 0; ; tries++ {
			err := tuneMountWithMap(ctx, client, path, cfg)
			if err == nil {
				break
			}
			if tries > 10 {
				return fmt.Errorf("error updating Vault: %s", err)
			}
			time.Sleep(time.Second)
		}
		return readMount(ctx, d, m, false, false)
	},
	delete: func(ctx context.Context, d *resourceData, m *meta) error { // mountDelete
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		if err := client.Sys().UnmountWithContext(ctx, d.Id()); err != nil {
			return fmt.Errorf("error deleting from Vault: %s", err)
		}
		return nil
	},
}

func mountOptions(d *resourceData) map[string]string {
	out := map[string]string{}
	if v, ok := d.GetOk("options"); ok {
		for k, e := range v.(map[string]any) {
			out[k], _ = e.(string)
		}
	}
	return out
}

func createMount(ctx context.Context, d *resourceData, m *meta, client *api.Client, path, mountType string) error {
	input := &api.MountInput{
		Type:        mountType,
		Description: d.GetString("description"),
		Config: api.MountConfigInput{
			DefaultLeaseTTL: fmt.Sprintf("%ds", d.GetInt("default_lease_ttl_seconds")),
			MaxLeaseTTL:     fmt.Sprintf("%ds", d.GetInt("max_lease_ttl_seconds")),
			ForceNoCache:    d.GetBool("force_no_cache"),
		},
		Local:                 d.GetBool("local"),
		Options:               mountOptions(d),
		SealWrap:              d.GetBool("seal_wrap"),
		ExternalEntropyAccess: d.GetBool("external_entropy_access"),
	}
	if v, ok := d.GetOk("audit_non_hmac_request_keys"); ok {
		input.Config.AuditNonHMACRequestKeys = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("audit_non_hmac_response_keys"); ok {
		input.Config.AuditNonHMACResponseKeys = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("allowed_managed_keys"); ok {
		input.Config.AllowedManagedKeys = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("passthrough_request_headers"); ok {
		input.Config.PassthroughRequestHeaders = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("allowed_response_headers"); ok {
		input.Config.AllowedResponseHeaders = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("delegated_auth_accessors"); ok {
		input.Config.DelegatedAuthAccessors = expandStringSlice(v.([]any))
	}
	if v, ok := d.GetOk("listing_visibility"); ok {
		input.Config.ListingVisibility = v.(string)
	}
	if v, ok := d.GetOk("plugin_version"); ok {
		input.Config.PluginVersion = v.(string)
	}
	if m.IsAPISupported(vault116) && m.IsEnterpriseSupported() && d.HasChange("identity_token_key") {
		input.Config.IdentityTokenKey = d.GetString("identity_token_key")
	}
	if err := client.Sys().MountWithContext(ctx, path, input); err != nil {
		return fmt.Errorf("error writing to Vault: %s", err)
	}
	return nil
}

// readMount: every attribute from GET sys/mounts/<path>; a missing mount leaves the state.
func readMount(ctx context.Context, d *resourceData, m *meta, excludeType, excludePath bool) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.Id()
	mount, err := getMount(ctx, client, path)
	if err != nil {
		if isMountNotFound(err) {
			fmt.Fprintf(stderr, "warning: Mount %q not found, removing from state.\n", path)
			d.SetId("")
			return nil
		}
		return err
	}
	if !excludeType {
		if cfgType, ok := d.GetOk("type"); ok {
			// kv-v2 is reported back as kv with options.version 2.
			if cfgType == "kv-v2" && mount.Type == "kv" && mount.Options["version"] == "2" {
				mount.Type = "kv-v2"
				if mountOptions(d)["version"] == "" {
					delete(mount.Options, "version")
				}
			}
		}
		d.Set("type", mount.Type)
	}
	if !excludePath {
		d.Set("path", path)
	}
	d.Set("description", mount.Description)
	d.Set("default_lease_ttl_seconds", mount.Config.DefaultLeaseTTL)
	d.Set("force_no_cache", mount.Config.ForceNoCache)
	d.Set("max_lease_ttl_seconds", mount.Config.MaxLeaseTTL)
	d.Set("audit_non_hmac_request_keys", mount.Config.AuditNonHMACRequestKeys)
	d.Set("audit_non_hmac_response_keys", mount.Config.AuditNonHMACResponseKeys)
	d.Set("accessor", mount.Accessor)
	d.Set("local", mount.Local)
	d.Set("options", mount.Options)
	d.Set("seal_wrap", mount.SealWrap)
	d.Set("external_entropy_access", mount.ExternalEntropyAccess)
	d.Set("allowed_managed_keys", mount.Config.AllowedManagedKeys)
	d.Set("passthrough_request_headers", mount.Config.PassthroughRequestHeaders)
	d.Set("allowed_response_headers", mount.Config.AllowedResponseHeaders)
	d.Set("delegated_auth_accessors", mount.Config.DelegatedAuthAccessors)
	d.Set("listing_visibility", mount.Config.ListingVisibility)
	d.Set("identity_token_key", mount.Config.IdentityTokenKey)
	return nil
}

// tuneMountWithMap: POST sys/mounts/<path>/tune with a map, so emptied fields are sent.
func tuneMountWithMap(ctx context.Context, c *api.Client, path string, cfg map[string]any) error {
	r := c.NewRequest(http.MethodPost, fmt.Sprintf("/v1/sys/mounts/%s/tune", path))
	if err := r.SetJSONBody(cfg); err != nil {
		return err
	}
	resp, err := c.RawRequestWithContext(ctx, r)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// ------------------------------------------------------------------ vault_audit (resource_audit.go)

var auditOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error { // auditWrite: no Read after it
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		mountType := d.GetString("type")
		path := d.GetString("path")
		if path == "" {
			path = mountType
		}
		options := map[string]string{}
		for k, v := range d.GetMap("options") {
			options[k], _ = v.(string)
		}
		opts := &api.EnableAuditOptions{Type: mountType, Description: d.GetString("description"), Local: d.GetBool("local"), Options: options}
		if err := client.Sys().EnableAuditWithOptionsWithContext(ctx, path, opts); err != nil {
			return fmt.Errorf("error enabling audit backend: %s", err)
		}
		d.SetId(path)
		return nil
	},
	read: func(ctx context.Context, d *resourceData, m *meta) error { // auditRead
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.Id()
		audits, err := client.Sys().ListAuditWithContext(ctx)
		if err != nil {
			return fmt.Errorf("error reading from Vault: %s", err)
		}
		audit, ok := audits[strings.Trim(path, "/")+"/"]
		if !ok {
			fmt.Fprintf(stderr, "warning: Audit backend %q not found, removing from state.\n", path)
			d.SetId("")
			return nil
		}
		// local is not returned by the list; it stays as in state.
		d.Set("path", path)
		d.Set("type", audit.Type)
		d.Set("description", audit.Description)
		d.Set("options", audit.Options)
		return nil
	},
	delete: func(ctx context.Context, d *resourceData, m *meta) error { // auditDelete
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		if err := client.Sys().DisableAuditWithContext(ctx, d.Id()); err != nil {
			return fmt.Errorf("error disabling audit backend Vault: %s", err)
		}
		return nil
	},
}

// ------------------------------------------------------------------ vault_auth_backend (resource_auth_backend.go)

var authBackendOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error { // authBackendWrite
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		mountType := d.GetString("type")
		path := d.GetString("path")
		if path == "" {
			path = mountType
		}
		config := api.MountConfigInput{}
		if m.IsAPISupported(vault117) && m.IsEnterpriseSupported() {
			if v, ok := d.GetOk("identity_token_key"); ok {
				config.IdentityTokenKey = v.(string)
			}
		}
		options := &api.EnableAuthOptions{Type: mountType, Description: d.GetString("description"), Local: d.GetBool("local"), Config: config}
		if err := client.Sys().EnableAuthWithOptionsWithContext(ctx, path, options); err != nil {
			return fmt.Errorf("error writing to Vault: %s", err)
		}
		d.SetId(path)
		return authBackendUpdate(ctx, d, m)
	},
	read:   authBackendRead,
	update: authBackendUpdate,
	delete: func(ctx context.Context, d *resourceData, m *meta) error { // authBackendDelete
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		if err := client.Sys().DisableAuthWithContext(ctx, d.Id()); err != nil {
			return fmt.Errorf("error disabling auth from Vault: %s", err)
		}
		return nil
	},
	// getMountCustomizeDiffFunc("path"): a path change remounts (Vault >= 1.10), unless
	// disable_remount: then it replaces the backend.
	customizeDiff: func(ctx context.Context, d *diffData, m *meta) error {
		if !d.HasChange("path") {
			return nil
		}
		if o, _ := d.GetChange("path"); o == "" {
			return nil
		}
		if m.IsAPISupported(vault110) && !d.Get("disable_remount").(bool) {
			return nil
		}
		d.ForceNew("path")
		return nil
	},
}

func authBackendRead(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.Id()
	mount, err := getAuthMount(ctx, client, path)
	if err != nil {
		if isMountNotFound(err) {
			fmt.Fprintf(stderr, "warning: Mount %q not found, removing from state.\n", path)
			d.SetId("")
			return nil
		}
		return err
	}
	d.Set("type", mount.Type)
	d.Set("path", path)
	d.Set("description", mount.Description)
	d.Set("local", mount.Local)
	d.Set("accessor", mount.Accessor)
	tune, err := client.Sys().MountConfigWithContext(ctx, "auth/"+path)
	if err != nil {
		return fmt.Errorf("error reading tune information from Vault: %s", err)
	}
	raw := flattenAuthMethodTune(tune)
	// mergeAuthMethodTune (structures.go): values with Vault's global-default effect stay empty
	// when not configured, TTLs keep the configured strings.
	if input, ok := d.GetOk("tune"); ok {
		in := expandAuthMethodTune(input.(map[string]any))
		if in.TokenType == "" {
			raw["token_type"] = ""
		}
		if in.ListingVisibility == "" {
			raw["listing_visibility"] = ""
		}
		raw["default_lease_ttl"] = in.DefaultLeaseTTL
		raw["max_lease_ttl"] = in.MaxLeaseTTL
	}
	d.Set("tune", raw)
	return nil
}

func authBackendUpdate(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.Id()
	if !d.isNew && d.HasChange("path") { // util.Remount
		o, n := d.GetChange("path")
		if err := client.Sys().RemountWithContext(ctx, "auth/"+o.(string), "auth/"+n.(string)); err != nil {
			return fmt.Errorf("error remounting to %q: %w", "auth/"+n.(string), err)
		}
		path = n.(string)
		d.SetId(path)
	}
	var config api.MountConfigInput
	callTune := false
	if d.HasChange("tune") {
		if raw, ok := d.GetOk("tune"); ok {
			config = expandAuthMethodTune(raw.(map[string]any))
		}
		callTune = true
	}
	if d.HasChanges("identity_token_key", "description") && !d.isNew {
		desc := d.GetString("description")
		config.Description = &desc
		if m.IsAPISupported(vault117) && m.IsEnterpriseSupported() {
			config.IdentityTokenKey = d.GetString("identity_token_key")
		}
		callTune = true
	}
	if callTune {
		if err := client.Sys().TuneMountWithContext(ctx, "auth/"+path, config); err != nil {
			// The provider returns diag.FromErr(e) with e the (nil) GetClient error here: a failed
			// tune is not reported, and the state is not read back.
			fmt.Fprintf(stderr, "warning: tuning auth/%s failed (not reported, as in terraform-provider-vault): %v\n", path, err)
			return nil
		}
	}
	return authBackendRead(ctx, d, m)
}

// expandAuthMethodTune (structures.go)
func expandAuthMethodTune(c map[string]any) api.MountConfigInput {
	data := api.MountConfigInput{}
	if v, ok := c["default_lease_ttl"]; ok {
		data.DefaultLeaseTTL = toString(v)
	}
	if v, ok := c["max_lease_ttl"]; ok {
		data.MaxLeaseTTL = toString(v)
	}
	list := func(k string) []string {
		l, _ := c[k].([]any)
		return expandStringSliceWithEmpty(l, true)
	}
	if _, ok := c["audit_non_hmac_request_keys"]; ok {
		data.AuditNonHMACRequestKeys = list("audit_non_hmac_request_keys")
	}
	if _, ok := c["audit_non_hmac_response_keys"]; ok {
		data.AuditNonHMACResponseKeys = list("audit_non_hmac_response_keys")
	}
	if v, ok := c["listing_visibility"]; ok {
		data.ListingVisibility = toString(v)
	}
	if _, ok := c["passthrough_request_headers"]; ok {
		data.PassthroughRequestHeaders = list("passthrough_request_headers")
	}
	if _, ok := c["allowed_response_headers"]; ok {
		data.AllowedResponseHeaders = list("allowed_response_headers")
	}
	if v, ok := c["token_type"]; ok {
		data.TokenType = toString(v)
	}
	return data
}

// flattenAuthMethodTune (structures.go)
func flattenAuthMethodTune(dt *api.MountConfigOutput) map[string]any {
	m := map[string]any{
		"default_lease_ttl":  flattenVaultDuration(dt.DefaultLeaseTTL),
		"max_lease_ttl":      flattenVaultDuration(dt.MaxLeaseTTL),
		"listing_visibility": dt.ListingVisibility,
		"token_type":         dt.TokenType,
	}
	set := func(k string, l []string) {
		if len(l) > 0 && l[0] != "" {
			m[k] = l
		}
	}
	set("audit_non_hmac_request_keys", dt.AuditNonHMACRequestKeys)
	set("audit_non_hmac_response_keys", dt.AuditNonHMACResponseKeys)
	set("passthrough_request_headers", dt.PassthroughRequestHeaders)
	set("allowed_response_headers", dt.AllowedResponseHeaders)
	return m
}

// ------------------------------------------------------------------ vault_policy (resource_policy.go)

func policyWrite(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	name := d.GetString("name")
	if err := client.Sys().PutPolicyWithContext(ctx, name, d.GetString("policy")); err != nil {
		return fmt.Errorf("error writing to Vault: %s", err)
	}
	d.SetId(name)
	return policyRead(ctx, d, m)
}

// policyRead: a policy deleted in Vault reads back as "" (GetPolicy returns no error for a 404),
// so it stays in state and the next update writes it again.
func policyRead(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	name := d.Id()
	policy, err := client.Sys().GetPolicyWithContext(ctx, name)
	if err != nil {
		return fmt.Errorf("error reading from Vault: %s", err)
	}
	d.Set("policy", policy)
	d.Set("name", name)
	return nil
}

var policyOps = resourceOps{
	create: policyWrite,
	update: policyWrite,
	read:   policyRead,
	delete: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		if err := client.Sys().DeletePolicyWithContext(ctx, d.Id()); err != nil {
			return fmt.Errorf("error deleting from Vault: %s", err)
		}
		return nil
	},
}

// ------------------------------------------------------------------ vault_kubernetes_auth_backend_config

var (
	k8sConfigFromPath = regexp.MustCompile("^auth/(.+)/config$")
	// overrideKubernetesFieldsMap: values CustomizeDiff decided to unset, consumed by Update.
	overrideKubernetesFields = sync.Map{}
)

func k8sConfigPath(backend string) string { return "auth/" + strings.Trim(backend, "/") + "/config" }

var k8sConfigOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error { // kubernetesAuthBackendConfigCreate
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := k8sConfigPath(d.GetString("backend"))
		data := map[string]any{}
		if v, ok := d.GetOk("kubernetes_ca_cert"); ok {
			data["kubernetes_ca_cert"] = v
		}
		if v, ok := d.GetOk("token_reviewer_jwt"); ok {
			data["token_reviewer_jwt"] = v.(string)
		}
		if v, ok := d.GetOkExists("pem_keys"); ok {
			data["pem_keys"] = strings.Join(toStringArray(v.([]any)), ",")
		}
		data["kubernetes_host"] = d.GetString("kubernetes_host")
		if v, ok := d.GetOk("issuer"); ok {
			data["issuer"] = v.(string)
		}
		data["disable_iss_validation"] = d.GetBool("disable_iss_validation")
		if v, ok := d.GetOk("disable_local_ca_jwt"); ok {
			data["disable_local_ca_jwt"] = v
		}
		if m.IsAPISupported(vault116) {
			data["use_annotations_as_alias_metadata"] = d.GetBool("use_annotations_as_alias_metadata")
		}
		if _, err := client.Logical().WriteWithContext(ctx, path, data); err != nil {
			return fmt.Errorf("error writing Kubernetes auth backend config %q: %s", path, err)
		}
		d.SetId(path)
		// Vault never returns token_reviewer_jwt: the state keeps what was written.
		if _, ok := d.GetOk("token_reviewer_jwt"); ok {
			d.Set("token_reviewer_jwt", data["token_reviewer_jwt"])
		}
		return k8sConfigRead(ctx, d, m)
	},
	read: k8sConfigRead,
	update: func(ctx context.Context, d *resourceData, m *meta) error { // kubernetesAuthBackendConfigUpdate
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.Id()
		data := map[string]any{}
		setData := func(param string, val any) {
			if override, ok := overrideKubernetesFields.LoadAndDelete(d.Id() + "." + param); ok {
				val = override
			}
			data[param] = val
		}
		if v, ok := d.GetOk("kubernetes_ca_cert"); ok {
			setData("kubernetes_ca_cert", v)
		}
		if v, ok := d.GetOk("token_reviewer_jwt"); ok {
			setData("token_reviewer_jwt", v.(string))
		}
		if v, ok := d.GetOkExists("pem_keys"); ok {
			setData("pem_keys", strings.Join(toStringArray(v.([]any)), ","))
		}
		setData("kubernetes_host", d.GetString("kubernetes_host"))
		if v, ok := d.GetOk("issuer"); ok {
			setData("issuer", v.(string))
		}
		if v, ok := d.GetOkExists("disable_iss_validation"); ok {
			setData("disable_iss_validation", v)
		}
		if v, ok := d.GetOk("disable_local_ca_jwt"); ok {
			setData("disable_local_ca_jwt", v)
		}
		if m.IsAPISupported(vault116) {
			data["use_annotations_as_alias_metadata"] = d.GetBool("use_annotations_as_alias_metadata")
		}
		if _, err := client.Logical().WriteWithContext(ctx, path, data); err != nil {
			return fmt.Errorf("error updating Kubernetes auth backend config %q: %s", path, err)
		}
		d.SetId(path)
		return k8sConfigRead(ctx, d, m)
	},
	// kubernetesAuthBackendConfigDelete: only forgets it; the config goes with the auth mount.
	delete: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	exists: func(ctx context.Context, d *resourceData, m *meta) (bool, error) {
		client, err := m.clientFor(d)
		if err != nil {
			return false, err
		}
		path := d.Id()
		resp, err := client.Logical().ReadWithContext(ctx, path)
		if err != nil {
			return true, fmt.Errorf("error checking if Kubernetes auth backend config %q exists: %s", path, err)
		}
		return resp != nil, nil
	},
	// Vault >= 1.9.3 keeps no CA certificate when disable_local_ca_jwt is false: a CA certificate
	// left in state but unset (or "") in the program is planned as "".
	customizeDiff: func(ctx context.Context, d *diffData, m *meta) error {
		if d.Get("disable_local_ca_jwt").(bool) || d.Id() == "" {
			return nil
		}
		v := m.GetVaultVersion()
		if v == nil || !v.GreaterThanOrEqual(vault193) {
			return nil
		}
		o, n := d.GetChange("kubernetes_ca_cert")
		if (d.rawConfigNull("kubernetes_ca_cert") && n.(string) != "") || (o.(string) != "" && n.(string) == "") {
			d.SetNew("kubernetes_ca_cert", "")
			overrideKubernetesFields.Store(d.Id()+".kubernetes_ca_cert", "")
		}
		return nil
	},
}

// kubernetesAuthBackendConfigRead: token_reviewer_jwt is never read back (Vault does not return it).
func k8sConfigRead(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.Id()
	match := k8sConfigFromPath.FindStringSubmatch(path)
	if match == nil {
		return fmt.Errorf("invalid path %q for Kubernetes auth backend config: %s", path, "no backend found")
	}
	resp, err := client.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return fmt.Errorf("error reading Kubernetes auth backend config %q: %s", path, err)
	}
	if resp == nil {
		fmt.Fprintf(stderr, "warning: Kubernetes auth backend config %q not found, removing from state\n", path)
		d.SetId("")
		return nil
	}
	d.Set("backend", match[1])
	for _, k := range []string{"kubernetes_ca_cert", "kubernetes_host", "issuer", "disable_iss_validation", "disable_local_ca_jwt", "pem_keys", "use_annotations_as_alias_metadata"} {
		if k == "use_annotations_as_alias_metadata" && !m.IsAPISupported(vault116) {
			continue
		}
		d.Set(k, resp.Data[k])
	}
	return nil
}

// ------------------------------------------------------------------ vault_kubernetes_auth_backend_role

var (
	k8sRoleBackendFromPath = regexp.MustCompile("^auth/(.+)/role/.+$")
	k8sRoleNameFromPath    = regexp.MustCompile("^auth/.+/role/(.+)$")
	// commonTokenFields (auth_token.go)
	commonTokenFields = []string{"token_bound_cidrs", "token_max_ttl", "token_ttl", "token_explicit_max_ttl", "token_no_default_policy",
		"token_period", "token_policies", "token_type", "token_num_uses", "alias_metadata"}
)

func k8sRolePath(backend, role string) string {
	return "auth/" + strings.Trim(backend, "/") + "/role/" + strings.Trim(role, "/")
}

// kubernetesAuthBackendRoleUpdateFields with updateTokenFields (auth_token.go).
func k8sRoleFields(d *resourceData, data map[string]any, create bool) {
	ints := []string{"token_explicit_max_ttl", "token_max_ttl", "token_period", "token_ttl", "token_num_uses"}
	if create {
		for _, k := range []string{"token_bound_cidrs", "token_policies"} {
			if v, ok := d.GetOk(k); ok {
				data[k] = v
			}
		}
		for _, k := range ints {
			if v, ok := d.GetOk(k); ok {
				data[k] = v
			}
		}
		if v, ok := d.GetOkExists("token_no_default_policy"); ok {
			data["token_no_default_policy"] = v
		}
		if v, ok := d.GetOk("token_type"); ok {
			data["token_type"] = v
		}
		if v, ok := d.GetOk("alias_metadata"); ok {
			data["alias_metadata"] = v
		}
	} else {
		for _, k := range append(append([]string{"token_bound_cidrs", "token_policies"}, ints...), "token_no_default_policy", "token_type", "alias_metadata") {
			if d.HasChange(k) {
				data[k] = d.Get(k)
			}
		}
	}
	if v, ok := d.GetOk("bound_service_account_names"); ok {
		data["bound_service_account_names"] = v
	}
	if v, ok := d.GetOk("bound_service_account_namespaces"); ok {
		data["bound_service_account_namespaces"] = v
	}
	data["bound_service_account_namespace_selector"] = d.GetString("bound_service_account_namespace_selector")
	for _, k := range []string{"audience", "alias_name_source"} {
		if create {
			if v, ok := d.GetOk(k); ok {
				data[k] = v
			}
		} else if d.HasChange(k) {
			data[k] = d.Get(k)
		}
	}
}

func k8sRoleRead(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.Id()
	backend := k8sRoleBackendFromPath.FindStringSubmatch(path)
	role := k8sRoleNameFromPath.FindStringSubmatch(path)
	if backend == nil {
		return fmt.Errorf("invalid path %q for Kubernetes auth backend role: %s", path, "no backend found")
	}
	if role == nil {
		return fmt.Errorf("invalid path %q for Kubernetes auth backend role: %s", path, "no role found")
	}
	resp, err := client.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return fmt.Errorf("error reading Kubernetes auth backend role %q: %s", path, err)
	}
	if resp == nil {
		fmt.Fprintf(stderr, "warning: Kubernetes auth backend role %q not found, removing from state\n", path)
		d.SetId("")
		return nil
	}
	// readTokenFields: every common token field, token_bound_cidrs normalised by handleCIDRField.
	for _, k := range commonTokenFields {
		v := resp.Data[k]
		if k == "token_bound_cidrs" {
			cidrs, err := handleCIDRField(d, v)
			if err != nil {
				return err
			}
			v = cidrs
		}
		d.Set(k, v)
	}
	d.Set("backend", backend[1])
	d.Set("role_name", role[1])
	for _, k := range []string{"bound_service_account_names", "bound_service_account_namespaces", "bound_service_account_namespace_selector", "audience", "alias_name_source"} {
		if v, ok := resp.Data[k]; ok {
			d.Set(k, v)
		}
	}
	// checkCIDRs: warnings only.
	for _, c := range d.GetList("token_bound_cidrs") {
		if _, _, err := net.ParseCIDR(toString(c)); err != nil {
			fmt.Fprintf(stderr, "warning: found invalid CIDR block for %q: %s\n", "token_bound_cidrs", c)
		}
	}
	return nil
}

// handleCIDRField (auth_token.go): Vault strips /32 and /128 from host addresses; add them back
// unless the configuration has the bare address.
func handleCIDRField(d *resourceData, v any) ([]string, error) {
	configured := map[string]bool{}
	for _, c := range d.GetList("token_bound_cidrs") {
		configured[toString(c)] = true
	}
	var addrs []string
	l, _ := v.([]any)
	for _, e := range l {
		addr := toString(e)
		if configured[addr] {
			addrs = append(addrs, addr)
			continue
		}
		if _, _, err := net.ParseCIDR(addr); err != nil {
			ip := net.ParseIP(addr)
			if ip == nil {
				return nil, fmt.Errorf("invalid address %q in response", addr)
			}
			bits := 128
			if mask := ip.DefaultMask(); mask != nil {
				_, bits = mask.Size()
			}
			addr = fmt.Sprintf("%s/%d", addr, bits)
		}
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

var k8sRoleOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := k8sRolePath(d.GetString("backend"), d.GetString("role_name"))
		data := map[string]any{}
		k8sRoleFields(d, data, true)
		if _, err := client.Logical().WriteWithContext(ctx, path, data); err != nil {
			return fmt.Errorf("error writing Kubernetes auth backend role %q: %s", path, err)
		}
		d.SetId(path)
		return k8sRoleRead(ctx, d, m)
	},
	read: k8sRoleRead,
	update: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.Id()
		data := map[string]any{}
		k8sRoleFields(d, data, false)
		if _, err := client.Logical().WriteWithContext(ctx, path, data); err != nil {
			return fmt.Errorf("error updating Kubernetes auth backend role %q: %s", path, err)
		}
		d.SetId(path)
		return k8sRoleRead(ctx, d, m)
	},
	delete: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.Id()
		if _, err := client.Logical().DeleteWithContext(ctx, path); err != nil && !errorContainsHTTPCode(err, http.StatusNotFound) {
			return fmt.Errorf("error deleting Kubernetes auth backend role %q", path)
		}
		return nil
	},
}

// ------------------------------------------------------------------ vault_kv_secret (resource_kv_secret.go)

func kvSecretWrite(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.GetString("path")
	var secretData map[string]any
	if err := json.Unmarshal([]byte(d.GetString("data_json")), &secretData); err != nil {
		return fmt.Errorf("data_json syntax error: %s", err)
	}
	if _, err := client.Logical().WriteWithContext(ctx, path, secretData); err != nil {
		return fmt.Errorf("error writing secret data to %q, err=%s", path, err)
	}
	d.SetId(path)
	return kvSecretRead(ctx, d, m)
}

// kvSecretRead: data_json and data are read back from Vault (drift is seen).
func kvSecretRead(ctx context.Context, d *resourceData, m *meta) error {
	path := d.Id()
	d.Set("path", path)
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	secret, err := client.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return fmt.Errorf("error reading from Vault: %s", err)
	}
	if secret == nil {
		fmt.Fprintf(stderr, "warning: secret (%s) not found, removing from state\n", path)
		d.SetId("")
		return nil
	}
	b, err := json.Marshal(secret.Data)
	if err != nil {
		return fmt.Errorf("error marshaling JSON for %q: %s", path, err)
	}
	d.Set("data_json", string(b))
	d.Set("data", serializeDataMapToString(secret.Data))
	return nil
}

var kvSecretOps = resourceOps{
	create: kvSecretWrite,
	update: kvSecretWrite,
	read:   kvSecretRead,
	delete: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := d.Id()
		if _, err := client.Logical().DeleteWithContext(ctx, path); err != nil {
			return fmt.Errorf("error deleting %q from Vault: %q", path, err)
		}
		return nil
	},
}

// ------------------------------------------------------------------ vault_kv_secret_v2 (resource_kv_secret_v2.go)

var (
	kvV2MountFromPath = regexp.MustCompile("^(.+?)/data/.+$")
	kvV2NameFromPath  = regexp.MustCompile("^.+?/data/(.+?)$")
	// kvMetadataFields: Vault metadata key -> custom_metadata attribute.
	kvMetadataFields = map[string]string{"max_versions": "max_versions", "cas_required": "cas_required",
		"delete_version_after": "delete_version_after", "custom_metadata": "data"}
)

func kvV2Path(mount, name, prefix string) string { return fmt.Sprintf("%s/%s/%s", mount, prefix, name) }

func kvSecretV2Write(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	mount, name := d.GetString("mount"), d.GetString("name")
	path := kvV2Path(mount, name, "data")
	var buf []byte
	if v, ok := d.GetOk("data_json"); ok {
		buf = []byte(v.(string))
	}
	var secretData map[string]any
	if err := json.Unmarshal(buf, &secretData); err != nil {
		return fmt.Errorf("data_json %#v syntax error: %s", d.GetString("data_json"), err)
	}
	data := map[string]any{"data": secretData, "cas": d.Get("cas"), "options": d.Get("options")}
	if _, err := retryWrite(client, path, data); err != nil {
		return err
	}
	d.SetId(path)
	if cm, ok := d.GetOk("custom_metadata"); ok {
		c := cm.(map[string]any)
		md := map[string]any{}
		for vaultKey, stateKey := range kvMetadataFields {
			a := d.s.attr("custom_metadata").nested
			if v := c[stateKey]; !isZero(attrByTF(a, stateKey), v) {
				md[vaultKey] = v
			}
		}
		metadataPath := kvV2Path(mount, name, "metadata")
		if _, err := client.Logical().WriteWithContext(ctx, metadataPath, md); err != nil {
			return fmt.Errorf("error writing custom metadata to %s, err=%s", metadataPath, err)
		}
	}
	return kvSecretV2Read(ctx, d, m)
}

func attrByTF(attrs []*attr, tf string) *attr {
	for _, a := range attrs {
		if a.tf == tf {
			return a
		}
	}
	return nil
}

// kvSecretV2Read: the secret's data is NOT read back (data is set to {}, data_json stays as
// written); only the version metadata and the custom metadata come from Vault.
func kvSecretV2Read(ctx context.Context, d *resourceData, m *meta) error {
	path := d.Id()
	if path == "" {
		return nil
	}
	d.Set("path", path)
	mount := kvV2MountFromPath.FindStringSubmatch(path)
	if mount == nil {
		return fmt.Errorf("unable to read mount from ID %s, err=%s", path, "no mount found")
	}
	name := kvV2NameFromPath.FindStringSubmatch(path)
	if name == nil {
		return fmt.Errorf("unable to read name from ID %s, err=%s", path, "no name found")
	}
	d.Set("mount", mount[1])
	d.Set("name", name[1])
	if d.GetBool("disable_read") {
		return nil
	}
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	secret, err := client.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return fmt.Errorf("error reading from Vault: %s", err)
	}
	if secret == nil {
		fmt.Fprintf(stderr, "warning: secret (%s) not found, removing from state\n", path)
		d.SetId("")
		return nil
	}
	d.Set("data", map[string]any{})
	if md, ok := secret.Data["metadata"].(map[string]any); ok {
		d.Set("metadata", serializeDataMapToString(md))
		if _, ok := md["custom_metadata"]; ok {
			cm, err := readKVV2Metadata(ctx, client, kvV2Path(mount[1], name[1], "metadata"))
			if err != nil {
				return err
			}
			d.Set("custom_metadata", cm)
		}
	}
	return nil
}

func readKVV2Metadata(ctx context.Context, c *api.Client, path string) (map[string]any, error) {
	resp, err := c.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, nil
	}
	data := map[string]any{}
	for vaultKey, tfKey := range kvMetadataFields {
		if val, ok := resp.Data[vaultKey]; ok {
			// delete_version_after is written as seconds and read as a duration string.
			if vaultKey == "delete_version_after" {
				t, err := time.ParseDuration(toString(val))
				if err != nil {
					return nil, fmt.Errorf("error parsing duration, err=%s", err)
				}
				val = t.Seconds()
			}
			data[tfKey] = val
		}
	}
	return data, nil
}

var kvSecretV2Ops = resourceOps{
	create: kvSecretV2Write,
	update: kvSecretV2Write,
	read:   kvSecretV2Read,
	// kvSecretV2Delete: DELETE <mount>/data/<name> (soft-deletes the latest version: the metadata
	// and older versions stay), or <mount>/metadata/<name> with delete_all_versions.
	delete: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		base := "data"
		if d.GetBool("delete_all_versions") {
			base = "metadata"
		}
		path := kvV2Path(d.GetString("mount"), d.GetString("name"), base)
		if _, err := client.Logical().DeleteWithContext(ctx, path); err != nil {
			return fmt.Errorf("error deleting %q from Vault: %q", path, err)
		}
		return nil
	},
}

// ------------------------------------------------------------------ PKI

// vault_pki_secret_backend_config_ca: Read and Delete do nothing (the imported issuers stay).
var configCAOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend := d.GetString("backend")
		path := strings.Trim(backend, "/") + "/config/ca"
		if _, err := client.Logical().WriteWithContext(ctx, path, map[string]any{"pem_bundle": d.GetString("pem_bundle")}); err != nil {
			return fmt.Errorf("error creating CA config for PKI secret backend %q: %s", backend, err)
		}
		d.SetId(backend)
		return nil
	},
	read:   func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	delete: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
}

// vault_pki_secret_backend_intermediate_cert_request: Read and Delete do nothing (the key
// generated in the mount stays).
var intermediateCSROps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend, typ := d.GetString("backend"), d.GetString("type")
		multiIssuer := m.IsAPISupported(vault111)
		path := strings.Trim(backend, "/") + "/intermediate/generate/" + strings.Trim(typ, "/")
		if multiIssuer {
			path = strings.Trim(backend, "/") + "/issuers/generate/intermediate/" + strings.Trim(typ, "/")
		}
		fields := []string{"common_name", "format", "private_key_format", "ou", "organization", "country", "locality", "province",
			"street_address", "postal_code", "serial_number", "managed_key_name", "managed_key_id", "signature_bits"}
		if !(typ == "kms" || typ == "existing") {
			fields = append(fields, "key_type", "key_bits")
		}
		if multiIssuer {
			if typ == "existing" {
				fields = append(fields, "key_ref")
			} else {
				fields = append(fields, "key_name")
			}
		}
		data := map[string]any{}
		for _, k := range fields {
			if v, ok := d.GetOk(k); ok {
				data[k] = v
			}
		}
		for _, k := range []string{"exclude_cn_from_sans", "add_basic_constraints"} {
			data[k] = d.GetBool(k)
		}
		for _, k := range []string{"alt_names", "ip_sans", "uri_sans", "other_sans", "key_usage"} {
			if l := toStringArray(d.GetList(k)); len(l) > 0 {
				data[k] = strings.Join(l, ",")
			}
		}
		resp, err := client.Logical().WriteWithContext(ctx, path, data)
		if err != nil {
			return fmt.Errorf("error creating intermediate cert request for PKI secret backend %q: %s", backend, err)
		}
		if resp == nil {
			return fmt.Errorf("error creating intermediate cert request for PKI secret backend %q: no response from Vault", backend)
		}
		d.Set("csr", resp.Data["csr"])
		if multiIssuer {
			d.Set("key_id", resp.Data["key_id"])
		}
		if typ == "exported" {
			d.Set("private_key", resp.Data["private_key"])
			d.Set("private_key_type", resp.Data["private_key_type"])
		}
		id := path
		if multiIssuer {
			id = fmt.Sprintf("%s/%s", path, uuid.New())
		}
		d.SetId(id)
		return nil
	},
	read:   func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	delete: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
}

// pkiSecretBackendCertRead (resource_pki_secret_backend_cert.go), shared by set-signed and root
// cert: on refresh, a resource whose mount is gone is gone; nothing else is read.
func pkiCertRead(ctx context.Context, d *resourceData, m *meta) error {
	client, err := m.clientFor(d)
	if err != nil {
		return err
	}
	path := d.GetString("backend")
	if _, err := getMount(ctx, client, path); err != nil {
		if isMountNotFound(err) {
			fmt.Fprintf(stderr, "warning: Mount %q not found, removing from state.\n", path)
			d.SetId("")
			return nil
		}
		return err
	}
	return nil
}

// vault_pki_secret_backend_intermediate_set_signed: Delete does nothing.
var setSignedOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend := d.GetString("backend")
		path := strings.Trim(backend, "/") + "/intermediate/set-signed"
		resp, err := client.Logical().WriteWithContext(ctx, path, map[string]any{"certificate": d.GetString("certificate")})
		if err != nil {
			return fmt.Errorf("error creating intermediate set-signed on PKI secret backend %q: %s", backend, err)
		}
		id := path
		if m.IsAPISupported(vault111) {
			id = fmt.Sprintf("%s/%s", path, uuid.New())
		}
		d.SetId(id)
		for _, k := range []string{"imported_issuers", "imported_keys"} {
			if resp == nil {
				d.Set(k, nil)
			} else if v, ok := resp.Data[k]; ok {
				d.Set(k, v)
			}
		}
		return nil // pkiSecretBackendCertRead returns at once for a new resource
	},
	read:   pkiCertRead,
	delete: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
}

// vault_pki_secret_backend_root_cert
var rootCertOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend, typ := d.GetString("backend"), d.GetString("type")
		multiIssuer := m.IsAPISupported(vault111)
		path := strings.Trim(backend, "/") + "/root/generate/" + strings.Trim(typ, "/")
		if multiIssuer {
			path = strings.Trim(backend, "/") + "/issuers/generate/root/" + strings.Trim(typ, "/")
		}
		fields := []string{"common_name", "ttl", "format", "private_key_format", "max_path_length", "ou", "organization", "country",
			"locality", "province", "street_address", "postal_code", "managed_key_name", "managed_key_id", "signature_bits",
			"not_after", "not_before_duration"}
		booleans := []string{"exclude_cn_from_sans"}
		lists := []string{"alt_names", "ip_sans", "uri_sans", "other_sans", "permitted_dns_domains"}
		if m.IsAPISupported(vault118) {
			booleans = append(booleans, "use_pss")
		}
		if !(typ == "kms" || typ == "existing") {
			fields = append(fields, "key_type", "key_bits")
		}
		if multiIssuer {
			fields = append(fields, "issuer_name")
			if typ == "existing" {
				fields = append(fields, "key_ref")
			} else {
				fields = append(fields, "key_name")
			}
		}
		if m.IsAPISupported(vault119) {
			lists = append(lists, "excluded_dns_domains", "permitted_ip_ranges", "excluded_ip_ranges",
				"permitted_email_addresses", "excluded_email_addresses", "permitted_uri_domains", "excluded_uri_domains")
		}
		data := map[string]any{}
		for _, k := range fields {
			if !d.rawConfigNull(k) {
				data[k] = d.Get(k)
			}
		}
		for _, k := range booleans {
			data[k] = d.GetBool(k)
		}
		for _, k := range lists {
			if l := toStringArray(d.GetList(k)); len(l) > 0 {
				data[k] = strings.Join(l, ",")
			}
		}
		if m.IsAPISupported(vault1192) {
			if v, ok := d.GetOk("key_usage"); ok {
				data["key_usage"] = expandStringSlice(v.([]any))
			}
		}
		resp, err := client.Logical().WriteWithContext(ctx, path, data)
		if err != nil {
			return fmt.Errorf("error creating root cert for PKI secret backend %q: %s", backend, err)
		}
		if resp == nil {
			return fmt.Errorf("error creating root cert for PKI secret backend %q: no response from Vault", backend)
		}
		keys := []string{"certificate", "issuing_ca", "serial_number"}
		if multiIssuer {
			keys = append(keys, "issuer_id", "key_id")
		}
		for _, k := range keys {
			d.Set(k, resp.Data[k])
		}
		id := path
		if multiIssuer {
			id = fmt.Sprintf("%s/issuer/%s", backend, toString(resp.Data["issuer_id"]))
		}
		d.SetId(id)
		return nil
	},
	read:   pkiCertRead,
	update: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	delete: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		path := strings.Trim(d.GetString("backend"), "/") + "/root"
		if m.IsAPISupported(vault111) && !strings.Contains(d.Id(), "/root/generate/") {
			path = d.Id()
		}
		if _, err := client.Logical().DeleteWithContext(ctx, path); err != nil {
			return fmt.Errorf("error deleting root cert from PKI secret backend %q: %s", path, err)
		}
		return nil
	},
	// The certificate in Vault is compared with the state on every diff: an issuer deleted out of
	// band (500 "unable to find PKI issuer for reference") or a different serial number replaces it.
	customizeDiff: func(ctx context.Context, d *diffData, m *meta) error {
		if o, _ := d.GetChange("serial_number"); o.(string) == "" {
			return nil
		}
		client, err := m.GetClient(d.Get("namespace").(string))
		if err != nil {
			return err
		}
		var cert *x509.Certificate
		backend := d.Get("backend").(string)
		if m.IsAPISupported(vault111) {
			cert, err = getCACertificate(client, fmt.Sprintf("/v1/%s/issuer/%s/pem", backend, d.Get("issuer_id").(string)))
			if err != nil {
				if errorContainsHTTPCode(err, http.StatusInternalServerError) && strings.Contains(err.Error(), "unable to find PKI issuer for reference") {
					fmt.Fprintln(stderr, "warning: issuer deleted out-of-band. re-creating root cert")
					d.SetNewComputed("issuer_id")
					d.ForceNew("issuer_id")
					return nil
				}
				return err
			}
		} else {
			cert, err = getCACertificate(client, fmt.Sprintf("/v1/%s/ca/pem", backend))
			if err != nil {
				return err
			}
		}
		if cert != nil {
			if n := hexFormatted(cert.SerialNumber.Bytes(), ":"); d.Get("serial_number").(string) != n {
				d.SetNewComputed("serial_number")
				d.ForceNew("serial_number")
			}
		}
		return nil
	},
}

// getCACertificate (resource_pki_secret_backend_root_cert.go): an unauthenticated GET of a PEM;
// 404 and 403 mean no certificate.
func getCACertificate(client *api.Client, path string) (*x509.Certificate, error) {
	req := client.NewRequest(http.MethodGet, path)
	req.ClientToken = ""
	resp, err := client.RawRequest(req)
	if err != nil {
		if errorContainsHTTPCode(err, http.StatusNotFound, http.StatusForbidden) {
			return nil, nil
		}
		return nil, err
	}
	if resp == nil {
		return nil, fmt.Errorf("expected a response body, got nil response")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if b, _ := pem.Decode(data); b != nil {
		return x509.ParseCertificate(b.Bytes)
	}
	return nil, nil
}

// certutil.GetHexFormatted
func hexFormatted(b []byte, sep string) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, sep)
}

// vault_pki_secret_backend_root_sign_intermediate: Read and Update do nothing; Delete revokes the
// certificate only with revoke = true.
var rootSignOps = resourceOps{
	create: func(ctx context.Context, d *resourceData, m *meta) error {
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend, commonName := d.GetString("backend"), d.GetString("common_name")
		fields := []string{"csr", "common_name", "ttl", "format", "max_path_length", "ou", "organization", "country", "locality",
			"province", "street_address", "postal_code", "signature_bits", "skid", "not_after", "not_before_duration"}
		booleans := []string{"exclude_cn_from_sans", "use_csr_values", "use_pss"}
		lists := []string{"alt_names", "ip_sans", "uri_sans", "other_sans", "permitted_dns_domains"}
		if m.IsAPISupported(vault119) {
			lists = append(lists, "excluded_dns_domains", "permitted_ip_ranges", "excluded_ip_ranges",
				"permitted_email_addresses", "excluded_email_addresses", "permitted_uri_domains", "excluded_uri_domains")
		}
		data := map[string]any{}
		for _, k := range fields {
			if !d.rawConfigNull(k) {
				data[k] = d.Get(k)
			}
		}
		var issuerRef string
		if m.IsAPISupported(vault111) {
			if v, ok := d.GetOk("issuer_ref"); ok {
				data["issuer_ref"] = v
				issuerRef = v.(string)
			}
		}
		for _, k := range booleans {
			data[k] = d.GetBool(k)
		}
		for _, k := range lists {
			if l := toStringArray(d.GetList(k)); len(l) > 0 {
				data[k] = strings.Join(l, ",")
			}
		}
		if m.IsAPISupported(vault1192) {
			if v, ok := d.GetOk("key_usage"); ok {
				data["key_usage"] = expandStringSlice(v.([]any))
			}
		}
		path := strings.Trim(backend, "/") + "/root/sign-intermediate"
		if issuerRef != "" {
			path = strings.Trim(backend, "/") + fmt.Sprintf("/issuer/%s/sign-intermediate", issuerRef)
		}
		resp, err := client.Logical().WriteWithContext(ctx, path, data)
		if err != nil {
			return fmt.Errorf("error creating root sign-intermediate on PKI secret backend %q: %s", backend, err)
		}
		if resp == nil {
			return fmt.Errorf("error creating root sign-intermediate on PKI secret backend %q: no response from Vault", backend)
		}
		for _, k := range []string{"certificate", "issuing_ca", "serial_number"} {
			d.Set(k, resp.Data[k])
		}
		if err := setCAChain(d, resp); err != nil {
			return err
		}
		if err := setCertificateBundle(d, resp); err != nil {
			return err
		}
		if issuerRef != "" {
			d.SetId(fmt.Sprintf("%s/%s", path, commonName))
		} else {
			d.SetId(fmt.Sprintf("%s/%s", backend, commonName))
		}
		return nil
	},
	read:   func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	update: func(ctx context.Context, d *resourceData, m *meta) error { return nil },
	delete: func(ctx context.Context, d *resourceData, m *meta) error { // pkiSecretBackendCertDelete
		if !d.GetBool("revoke") {
			return nil
		}
		client, err := m.clientFor(d)
		if err != nil {
			return err
		}
		backend, serial, cn := d.GetString("backend"), d.GetString("serial_number"), d.GetString("common_name")
		path := strings.Trim(backend, "/") + "/revoke"
		if _, err := client.Logical().WriteWithContext(ctx, path, map[string]any{"serial_number": serial}); err != nil {
			return fmt.Errorf("error revoking certificate %q with serial number %q for PKI secret backend %q: %s", cn, serial, backend, err)
		}
		return nil
	},
}

func isPEMFormat(d *resourceData) bool {
	f := d.GetString("format")
	return f == "pem" || f == "pem_bundle"
}

// setCAChain: Vault's ca_chain, else the issuing CA then the certificate.
func setCAChain(d *resourceData, resp *api.Secret) error {
	var chain []string
	if v, ok := resp.Data["ca_chain"]; ok && v != nil {
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("response contains an unexpected type %T for %q", v, "ca_chain")
		}
		for _, e := range l {
			chain = append(chain, toString(e))
		}
	}
	if len(chain) == 0 {
		var err error
		if chain, err = parseCertChain(resp.Data, true, !isPEMFormat(d)); err != nil {
			return err
		}
	}
	d.Set("ca_chain", chain)
	return nil
}

// setCertificateBundle: the certificate then the issuing CA, PEM formats only.
func setCertificateBundle(d *resourceData, resp *api.Secret) error {
	if !isPEMFormat(d) {
		fmt.Fprintf(stderr, "warning: Cannot set the %q, not in PEM format\n", "certificate_bundle")
		return nil
	}
	chain, err := parseCertChain(resp.Data, false, false)
	if err != nil {
		return err
	}
	d.Set("certificate_bundle", strings.Join(chain, "\n"))
	return nil
}

func parseCertChain(m map[string]any, asCA, literal bool) ([]string, error) {
	var chain []string
	seen := map[string]bool{}
	fields := []string{"issuing_ca", "certificate"}
	if !asCA {
		fields = []string{"certificate", "issuing_ca"}
	}
	for _, k := range fields {
		value, _ := m[k].(string)
		if value == "" {
			return nil, fmt.Errorf("required certificate for %q is missing or empty", k)
		}
		if literal {
			chain = append(chain, value)
			continue
		}
		rest := []byte(value)
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			c := strings.Trim(string(pem.EncodeToMemory(b)), "\n")
			if !seen[c] {
				chain = append(chain, c)
				seen[c] = true
			}
		}
	}
	return chain, nil
}
