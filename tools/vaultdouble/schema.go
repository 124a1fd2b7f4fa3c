// TEST DOUBLE of pulumi-resource-vault (e2e tier only; see README.md).
//
// The attribute tables of the resources the program uses, transcribed from the Schema maps of
// terraform-provider-vault v5.8.0 (the upstream pulumi-vault 7.8.0 embeds): vault/resource_audit.go,
// resource_auth_backend.go (+ auth_mount.go tune block, internal/provider/schema_util.go
// disable_remount), resource_mount.go, resource_policy.go, resource_kubernetes_auth_backend_config.go,
// resource_kubernetes_auth_backend_role.go (+ auth_token.go token fields), resource_kv_secret.go,
// resource_kv_secret_v2.go, resource_pki_secret_backend_{config_ca,intermediate_cert_request,
// intermediate_set_signed,root_cert,root_sign_intermediate}.go, and vault/provider.go, which adds
// `namespace` (Optional, ForceNew) to every resource. Pulumi names are the bridge's camelCase ones
// of node_modules/@pulumi/vault 7.8.0 (*.d.ts State interfaces).
package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

type valueType int

const (
	tString valueType = iota
	tInt
	tBool
	tList // TypeList of strings
	tSet  // TypeSet of strings (order-insensitive)
	tMap  // TypeMap of strings
	// tBlock: TypeList, MaxItems 1, of a nested resource; the bridge surfaces it as ONE object
	// (bridge-metadata "maxItemsOne": true): auth backend `tune`, kv v2 `custom_metadata`.
	tBlock
)

type attr struct {
	tf   string // terraform attribute name
	name string // Pulumi property name
	typ  valueType
	// nested attributes of a tBlock.
	nested []*attr

	required, optional, computed, forceNew bool
	// def: the TF schema Default; the bridge puts it into the checked inputs (listed in __defaults).
	def any
	// sensitive: Sensitive in TF; secret in Check's inputs and in every output.
	sensitive bool
	// writeOnly inputs (`*Wo`) are not implemented by the double: Check fails when one is set.
	writeOnly bool
	// stateFunc: StateFunc; the state holds stateFunc(config), the diff compares through it.
	stateFunc func(string) string
	// diffSuppress: DiffSuppressFunc on the string forms of old and new.
	diffSuppress func(old, new string) bool
	// validate: ValidateFunc; returns the message of a CheckFailure.
	validate func(v any) string
	// conflictsWith: TF names; a default is not applied when a conflicting attribute is set.
	conflictsWith []string
}

func (a *attr) isInput() bool { return a.required || a.optional }

type resourceSchema struct {
	token  string // Pulumi type token
	tfName string
	attrs  []*attr
	// schemaVersion > 0 adds the bridge's "__meta" {"schema_version":"N"} to the outputs.
	schemaVersion int
	// autoName: the bridge's SetAutonaming applies to the `name` attribute.
	autoName bool
	ops      resourceOps
}

func (s *resourceSchema) attr(tf string) *attr {
	for _, a := range s.attrs {
		if a.tf == tf {
			return a
		}
	}
	return nil
}

func (s *resourceSchema) byName(name string) *attr {
	for _, a := range s.attrs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// pulumiName: the bridge's name for a TF attribute (camelCase; key_usage and ca_chain are pluralised).
func pulumiName(tf string) string {
	switch tf {
	case "key_usage":
		return "keyUsages"
	case "ca_chain":
		return "caChains"
	}
	parts := strings.Split(tf, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// ------------------------------------------------------------------ attribute constructors

type opt func(*attr)

func mk(tf string, t valueType, opts ...opt) *attr {
	a := &attr{tf: tf, name: pulumiName(tf), typ: t}
	for _, o := range opts {
		o(a)
	}
	return a
}

var (
	required = func(a *attr) { a.required = true }
	optional = func(a *attr) { a.optional = true }
	computed = func(a *attr) { a.computed = true }
	forceNew = func(a *attr) { a.forceNew = true }
	// optComputed: Optional + Computed.
	optComputed = func(a *attr) { a.optional, a.computed = true, true }
	sensitive   = func(a *attr) { a.sensitive = true }
	writeOnly   = func(a *attr) { a.optional, a.writeOnly = true, true }
)

func def(v any) opt                             { return func(a *attr) { a.def = v } }
func validate(f func(any) string) opt           { return func(a *attr) { a.validate = f } }
func stateFunc(f func(string) string) opt       { return func(a *attr) { a.stateFunc = f } }
func conflicts(tf ...string) opt                { return func(a *attr) { a.conflictsWith = tf } }
func nested(attrs ...*attr) opt                 { return func(a *attr) { a.nested = attrs } }
func diffSuppress(f func(o, n string) bool) opt { return func(a *attr) { a.diffSuppress = f } }

// ------------------------------------------------------------------ validators (as in the source)

func oneOf(allowed ...string) func(any) string {
	return func(v any) string {
		s, _ := v.(string)
		for _, x := range allowed {
			if s == x {
				return ""
			}
		}
		return fmt.Sprintf("expected to be one of [%s], got %q", strings.Join(allowed, " "), s)
	}
}

// provider.RegexpPath (internal/provider/validators.go): no leading or trailing slash.
var regexpPath = regexp.MustCompile(`^/|/$`)

func noLeadingTrailingSlashes(v any) string {
	s, _ := v.(string)
	if regexpPath.MatchString(s) {
		return fmt.Sprintf("value %q contains leading/trailing %q", s, "/")
	}
	return ""
}

// provider.ValidateDuration: time.ParseDuration must accept it.
func validDuration(v any) string {
	s, _ := v.(string)
	if _, err := time.ParseDuration(s); err != nil {
		return fmt.Sprintf("expected %q to be a valid duration string", s)
	}
	return ""
}

// validateDataJSON (resource_generic_secret.go): a JSON object.
func validDataJSON(v any) string {
	s, _ := v.(string)
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return err.Error()
	}
	return ""
}

// normalizeDataJSON (resource_generic_secret.go): the state holds json.Marshal of the parsed
// object (keys sorted, Go's HTML escaping), so reformatting the JSON is no change.
func normalizeDataJSON(s string) string {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return s
	}
	return string(b)
}

func trimSlashes(s string) string { return strings.Trim(s, "/") }

// ------------------------------------------------------------------ the resources

const (
	typeAudit                 = "vault:index/audit:Audit"
	typeAuthBackend           = "vault:index/authBackend:AuthBackend"
	typeMount                 = "vault:index/mount:Mount"
	typePolicy                = "vault:index/policy:Policy"
	typeK8sAuthConfig         = "vault:kubernetes/authBackendConfig:AuthBackendConfig"
	typeK8sAuthRole           = "vault:kubernetes/authBackendRole:AuthBackendRole"
	typeKVSecret              = "vault:kv/secret:Secret"
	typeKVSecretV2            = "vault:kv/secretV2:SecretV2"
	typePKIConfigCA           = "vault:pkiSecret/secretBackendConfigCa:SecretBackendConfigCa"
	typePKIIntermediateCSR    = "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest"
	typePKIIntermediateSigned = "vault:pkiSecret/secretBackendIntermediateSetSigned:SecretBackendIntermediateSetSigned"
	typePKIRootCert           = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
	typePKIRootSign           = "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate"
)

// namespaceAttr: provider.GetNamespaceSchema(), added to every resource by vault/provider.go.
func namespaceAttr() *attr {
	return mk("namespace", tString, optional, forceNew, validate(noLeadingTrailingSlashes))
}

// subject and SAN fields shared by the three PKI certificate resources (all ForceNew).
func pkiSubjectAttrs() []*attr {
	var out []*attr
	for _, f := range []string{"ou", "organization", "country", "locality", "province", "street_address", "postal_code"} {
		out = append(out, mk(f, tString, optional, forceNew))
	}
	return out
}

func pkiSANAttrs() []*attr {
	var out []*attr
	for _, f := range []string{"alt_names", "ip_sans", "uri_sans", "other_sans"} {
		out = append(out, mk(f, tList, optional, forceNew))
	}
	return out
}

func nameConstraintAttrs() []*attr {
	var out []*attr
	for _, f := range []string{"permitted_dns_domains", "excluded_dns_domains", "permitted_ip_ranges", "excluded_ip_ranges",
		"permitted_email_addresses", "excluded_email_addresses", "permitted_uri_domains", "excluded_uri_domains"} {
		out = append(out, mk(f, tList, optional, forceNew))
	}
	return out
}

func concat(groups ...[]*attr) []*attr {
	var out []*attr
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var schemas = map[string]*resourceSchema{}

func register(s *resourceSchema) { schemas[s.token] = s }

func init() {
	// resource_audit.go: no Update, every input ForceNew; path Optional+Computed.
	register(&resourceSchema{token: typeAudit, tfName: "vault_audit", ops: auditOps, attrs: []*attr{
		mk("path", tString, optComputed, forceNew),
		mk("type", tString, required, forceNew),
		mk("description", tString, optional, forceNew),
		mk("local", tBool, optional, forceNew),
		mk("options", tMap, required, forceNew),
		namespaceAttr(),
	}})

	// resource_auth_backend.go (SchemaVersion 1 via MustAddMountMigrationSchema).
	register(&resourceSchema{token: typeAuthBackend, tfName: "vault_auth_backend", schemaVersion: 1, ops: authBackendOps, attrs: []*attr{
		mk("type", tString, required, forceNew),
		mk("path", tString, optComputed, validate(noLeadingTrailingSlashes),
			diffSuppress(func(o, n string) bool { return o+"/" == n || n+"/" == o })),
		mk("description", tString, optional),
		mk("local", tBool, optional, forceNew),
		mk("accessor", tString, computed),
		mk("identity_token_key", tString, optional),
		mk("tune", tBlock, optComputed, nested(
			mk("default_lease_ttl", tString, optional, validate(validDuration)),
			mk("max_lease_ttl", tString, optional, validate(validDuration)),
			mk("audit_non_hmac_request_keys", tList, optional),
			mk("audit_non_hmac_response_keys", tList, optional),
			mk("listing_visibility", tString, optional, validate(oneOf("unauth", "hidden"))),
			mk("passthrough_request_headers", tList, optional),
			mk("allowed_response_headers", tList, optional),
			mk("token_type", tString, optional, validate(oneOf("default-service", "default-batch", "service", "batch"))),
		)),
		mk("disable_remount", tBool, optional, def(false)),
		namespaceAttr(),
	}})

	// resource_mount.go getMountSchema(): path is NOT ForceNew (a change remounts).
	register(&resourceSchema{token: typeMount, tfName: "vault_mount", ops: mountOps, attrs: []*attr{
		mk("path", tString, required),
		mk("type", tString, required, forceNew),
		mk("description", tString, optional),
		mk("default_lease_ttl_seconds", tInt, optComputed),
		mk("max_lease_ttl_seconds", tInt, optComputed),
		mk("force_no_cache", tBool, optComputed),
		mk("audit_non_hmac_request_keys", tList, optComputed),
		mk("audit_non_hmac_response_keys", tList, optComputed),
		mk("listing_visibility", tString, optional),
		mk("passthrough_request_headers", tList, optional),
		mk("allowed_response_headers", tList, optional),
		mk("plugin_version", tString, optional),
		mk("allowed_managed_keys", tSet, optional),
		mk("delegated_auth_accessors", tList, optional),
		mk("identity_token_key", tString, optional),
		mk("options", tMap, optional),
		mk("seal_wrap", tBool, optComputed, forceNew),
		mk("external_entropy_access", tBool, optional, forceNew, def(false)),
		mk("local", tBool, optional, forceNew),
		mk("accessor", tString, computed),
		namespaceAttr(),
	}})

	// resource_policy.go: name ForceNew (autonamed by the bridge), policy updatable.
	register(&resourceSchema{token: typePolicy, tfName: "vault_policy", autoName: true, ops: policyOps, attrs: []*attr{
		mk("name", tString, required, forceNew),
		mk("policy", tString, required),
		namespaceAttr(),
	}})

	// resource_kubernetes_auth_backend_config.go
	register(&resourceSchema{token: typeK8sAuthConfig, tfName: "vault_kubernetes_auth_backend_config", ops: k8sConfigOps, attrs: []*attr{
		mk("kubernetes_host", tString, required),
		mk("kubernetes_ca_cert", tString, optComputed),
		mk("token_reviewer_jwt", tString, optional, sensitive, def(""), conflicts("token_reviewer_jwt_wo")),
		mk("token_reviewer_jwt_wo", tString, writeOnly, sensitive, conflicts("token_reviewer_jwt")),
		mk("token_reviewer_jwt_wo_version", tInt, optional),
		mk("pem_keys", tList, optional),
		mk("backend", tString, optional, forceNew, def("kubernetes"), stateFunc(trimSlashes)),
		mk("issuer", tString, optional),
		mk("disable_iss_validation", tBool, optComputed),
		mk("disable_local_ca_jwt", tBool, optComputed),
		mk("use_annotations_as_alias_metadata", tBool, optComputed),
		namespaceAttr(),
	}})

	// resource_kubernetes_auth_backend_role.go + auth_token.go addTokenFields (token_type default "default").
	register(&resourceSchema{token: typeK8sAuthRole, tfName: "vault_kubernetes_auth_backend_role", ops: k8sRoleOps, attrs: []*attr{
		mk("role_name", tString, required, forceNew),
		mk("bound_service_account_names", tSet, required),
		mk("bound_service_account_namespaces", tSet, optional),
		mk("bound_service_account_namespace_selector", tString, optional),
		mk("backend", tString, optional, forceNew, def("kubernetes"), stateFunc(trimSlashes)),
		mk("audience", tString, optional, def("")),
		mk("alias_name_source", tString, optComputed),
		mk("token_bound_cidrs", tSet, optional),
		mk("token_explicit_max_ttl", tInt, optional),
		mk("token_max_ttl", tInt, optional),
		mk("token_no_default_policy", tBool, optional),
		mk("token_period", tInt, optional),
		mk("token_policies", tSet, optional),
		mk("token_type", tString, optional, def("default")),
		mk("token_ttl", tInt, optional),
		mk("token_num_uses", tInt, optional),
		mk("alias_metadata", tMap, optional),
		namespaceAttr(),
	}})

	// resource_kv_secret.go
	register(&resourceSchema{token: typeKVSecret, tfName: "vault_kv_secret", ops: kvSecretOps, attrs: []*attr{
		mk("path", tString, required, forceNew),
		mk("data_json", tString, required, sensitive, stateFunc(normalizeDataJSON), validate(validDataJSON)),
		mk("data", tMap, computed, sensitive),
		namespaceAttr(),
	}})

	// resource_kv_secret_v2.go
	register(&resourceSchema{token: typeKVSecretV2, tfName: "vault_kv_secret_v2", autoName: true, ops: kvSecretV2Ops, attrs: []*attr{
		mk("mount", tString, required, forceNew),
		mk("name", tString, required, forceNew),
		mk("path", tString, computed),
		mk("cas", tInt, optional),
		mk("options", tMap, optional),
		mk("disable_read", tBool, optional, def(false)),
		mk("data_json", tString, optional, sensitive, stateFunc(normalizeDataJSON), validate(validDataJSON), conflicts("data_json_wo")),
		mk("data_json_wo", tString, writeOnly, sensitive, conflicts("data_json")),
		mk("data_json_wo_version", tInt, optional),
		mk("data", tMap, computed, sensitive),
		mk("metadata", tMap, computed),
		mk("delete_all_versions", tBool, optional, def(false)),
		mk("custom_metadata", tBlock, optComputed, nested(
			mk("max_versions", tInt, optional),
			mk("cas_required", tBool, optional),
			mk("delete_version_after", tInt, optional),
			mk("data", tMap, optional),
		)),
		namespaceAttr(),
	}})

	// resource_pki_secret_backend_config_ca.go: both inputs ForceNew, no Update; Read and Delete no-ops.
	register(&resourceSchema{token: typePKIConfigCA, tfName: "vault_pki_secret_backend_config_ca", ops: configCAOps, attrs: []*attr{
		mk("backend", tString, required, forceNew),
		mk("pem_bundle", tString, required, forceNew, sensitive),
		namespaceAttr(),
	}})

	// resource_pki_secret_backend_intermediate_cert_request.go: every input ForceNew; Read/Delete no-ops.
	keyTypes := oneOf("rsa", "ec", "ed25519")
	register(&resourceSchema{token: typePKIIntermediateCSR, tfName: "vault_pki_secret_backend_intermediate_cert_request", ops: intermediateCSROps,
		attrs: concat([]*attr{
			mk("backend", tString, required, forceNew),
			mk("type", tString, required, forceNew, validate(oneOf("existing", "exported", "internal", "kms"))),
			mk("common_name", tString, required, forceNew),
		}, pkiSANAttrs(), []*attr{
			mk("format", tString, optional, forceNew, def("pem"), validate(oneOf("pem", "der", "pem_bundle"))),
			mk("private_key_format", tString, optional, forceNew, def("der"), validate(oneOf("der", "pkcs8"))),
			mk("key_type", tString, optional, forceNew, def("rsa"), validate(keyTypes)),
			mk("key_bits", tInt, optional, forceNew, def(2048)),
			mk("signature_bits", tInt, optional, forceNew),
			mk("exclude_cn_from_sans", tBool, optional, forceNew),
		}, pkiSubjectAttrs(), []*attr{
			mk("serial_number", tString, optional, forceNew),
			mk("csr", tString, computed),
			mk("private_key", tString, computed, sensitive),
			mk("private_key_type", tString, computed),
			mk("managed_key_name", tString, optional, forceNew, conflicts("managed_key_id")),
			mk("managed_key_id", tString, optional, forceNew, conflicts("managed_key_name")),
			mk("add_basic_constraints", tBool, optional, forceNew, def(false)),
			mk("key_usage", tList, optional, forceNew),
			mk("key_name", tString, optComputed, forceNew),
			mk("key_ref", tString, optComputed, forceNew),
			mk("key_id", tString, computed, forceNew),
			namespaceAttr(),
		})})

	// resource_pki_secret_backend_intermediate_set_signed.go: no Update; Delete a no-op.
	register(&resourceSchema{token: typePKIIntermediateSigned, tfName: "vault_pki_secret_backend_intermediate_set_signed", ops: setSignedOps, attrs: []*attr{
		mk("backend", tString, required, forceNew),
		mk("certificate", tString, required, forceNew),
		mk("imported_issuers", tList, computed, forceNew),
		mk("imported_keys", tList, computed, forceNew),
		namespaceAttr(),
	}})

	// resource_pki_secret_backend_root_cert.go (SchemaVersion 1): ttl, signature_bits and not_after
	// are the only inputs without ForceNew; Update is a no-op.
	register(&resourceSchema{token: typePKIRootCert, tfName: "vault_pki_secret_backend_root_cert", schemaVersion: 1, ops: rootCertOps,
		attrs: concat([]*attr{
			mk("backend", tString, required, forceNew),
			mk("type", tString, required, forceNew, validate(oneOf("existing", "exported", "internal", "kms"))),
			mk("common_name", tString, required, forceNew),
		}, pkiSANAttrs(), []*attr{
			mk("ttl", tString, optional),
			mk("format", tString, optional, forceNew, def("pem"), validate(oneOf("pem", "der", "pem_bundle"))),
			mk("private_key_format", tString, optional, forceNew, def("der"), validate(oneOf("der", "pkcs8"))),
			mk("key_type", tString, optional, forceNew, def("rsa"), validate(keyTypes)),
			mk("key_bits", tInt, optional, forceNew, def(2048)),
			mk("signature_bits", tInt, optComputed),
			mk("max_path_length", tInt, optional, forceNew, def(-1)),
			mk("exclude_cn_from_sans", tBool, optional, forceNew),
		}, nameConstraintAttrs(), pkiSubjectAttrs(), []*attr{
			mk("certificate", tString, computed),
			mk("issuing_ca", tString, computed),
			mk("serial_number", tString, computed),
			mk("managed_key_name", tString, optComputed, forceNew, conflicts("managed_key_id")),
			mk("managed_key_id", tString, optComputed, forceNew, conflicts("managed_key_name")),
			mk("issuer_name", tString, optComputed, forceNew),
			mk("issuer_id", tString, computed, forceNew),
			mk("key_name", tString, optComputed, forceNew),
			mk("key_ref", tString, optComputed, forceNew),
			mk("key_id", tString, computed, forceNew),
			mk("not_after", tString, optional),
			mk("not_before_duration", tString, optional, forceNew, validate(validDuration)),
			mk("use_pss", tBool, optional, forceNew),
			mk("key_usage", tList, optional, forceNew),
			namespaceAttr(),
		})})

	// resource_pki_secret_backend_root_sign_intermediate.go (SchemaVersion 2): ttl, revoke,
	// issuer_ref and not_after are not ForceNew; Read and Update are no-ops.
	register(&resourceSchema{token: typePKIRootSign, tfName: "vault_pki_secret_backend_root_sign_intermediate", schemaVersion: 2, ops: rootSignOps,
		attrs: concat([]*attr{
			mk("backend", tString, required, forceNew),
			mk("csr", tString, required, forceNew),
			mk("common_name", tString, required, forceNew),
		}, pkiSANAttrs(), []*attr{
			mk("ttl", tString, optional),
			mk("format", tString, optional, forceNew, def("pem"), validate(oneOf("pem", "der", "pem_bundle"))),
			mk("max_path_length", tInt, optional, forceNew, def(-1)),
			mk("key_usage", tList, optional, forceNew),
			mk("exclude_cn_from_sans", tBool, optional, forceNew),
			mk("use_csr_values", tBool, optional, forceNew, def(false)),
		}, nameConstraintAttrs(), pkiSubjectAttrs(), []*attr{
			mk("signature_bits", tInt, optional, forceNew),
			mk("skid", tString, optional, forceNew),
			mk("use_pss", tBool, optional, forceNew),
			mk("certificate", tString, computed),
			mk("issuing_ca", tString, computed),
			mk("ca_chain", tList, computed),
			mk("certificate_bundle", tString, computed),
			mk("serial_number", tString, computed),
			mk("not_before_duration", tString, optional, forceNew, validate(validDuration)),
			mk("revoke", tBool, optional, def(false)),
			mk("issuer_ref", tString, optional),
			mk("not_after", tString, optional),
			namespaceAttr(),
		})})
}
