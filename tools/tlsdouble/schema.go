// TEST DOUBLE of pulumi-resource-tls (e2e tier only; see README.md).
//
// The attribute table of the four resources, transcribed from terraform-provider-tls
// internal/provider/resource_private_key.go, resource_self_signed_cert.go,
// resource_cert_request.go and resource_locally_signed_cert.go (their Schema() functions),
// with the Pulumi (camelCase) names @pulumi/tls 5.6.1 uses (node_modules/@pulumi/tls/*.d.ts).
package main

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

const (
	typePrivateKey        = "tls:index/privateKey:PrivateKey"
	typeSelfSignedCert    = "tls:index/selfSignedCert:SelfSignedCert"
	typeCertRequest       = "tls:index/certRequest:CertRequest"
	typeLocallySignedCert = "tls:index/locallySignedCert:LocallySignedCert"
)

// replaceRule is the plan modifier of an input attribute.
type replaceRule int

const (
	// replaceAlways: resource.RequiresReplace() (string/list/int64/bool planmodifier.RequiresReplace).
	replaceAlways replaceRule = iota
	// replaceIfStatePEM: requireReplaceIfStateContainsPEMString() (common.go): replace only when the
	// value in state is a PEM string (old states held a hash of it instead).
	replaceIfStatePEM
	// replaceNever: no RequiresReplace plan modifier; a change is an in-place Update that copies the
	// plan into state (updatedUsingPlan, common.go) and does NOT re-issue the certificate.
	replaceNever
)

type inputAttr struct {
	name     string
	required bool
	rule     replaceRule
	// def is the value planned when the configuration leaves the attribute null
	// (schema Default / attribute_plan_modifier.DefaultValue); null when none.
	def resource.PropertyValue
	// secret: Sensitive in the TF schema; the SDK also wraps it in pulumi.secret().
	secret bool
}

type resourceSchema struct {
	inputs []inputAttr
	// computed-only attributes, in addition to "id".
	computed []string
	// secretOutputs: Sensitive computed attributes (the SDK lists them in additionalSecretOutputs).
	secretOutputs []string
	// writeOnly inputs (privateKeyPemWo...) that this double does not implement.
	writeOnly []string
	// isCert: has the validity / ready_for_renewal machinery (ModifyPlan, Read).
	isCert bool
	// schemaVersion > 0 adds the bridge's "__meta" to state, as the real provider's state shows.
	schemaVersion int
}

func num(v float64) resource.PropertyValue  { return resource.NewProperty(v) }
func boolean(v bool) resource.PropertyValue { return resource.NewProperty(v) }
func str(v string) resource.PropertyValue   { return resource.NewProperty(v) }
func null() resource.PropertyValue          { return resource.NewNullProperty() }

var schemas = map[string]*resourceSchema{
	// resource_private_key.go: algorithm Required+RequiresReplace; rsa_bits Default 2048 +
	// RequiresReplace; ecdsa_curve Default "P224" + RequiresReplace; private_key_* Sensitive.
	// Schema Version 1.
	typePrivateKey: {
		inputs: []inputAttr{
			{name: "algorithm", required: true, rule: replaceAlways, def: null()},
			{name: "rsaBits", rule: replaceAlways, def: num(2048)},
			{name: "ecdsaCurve", rule: replaceAlways, def: str("P224")},
		},
		computed: []string{
			"privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8", "publicKeyPem", "publicKeyOpenssh",
			"publicKeyFingerprintMd5", "publicKeyFingerprintSha256",
		},
		secretOutputs: []string{"privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"},
		schemaVersion: 1,
	},
	// resource_self_signed_cert.go
	typeSelfSignedCert: {
		inputs: []inputAttr{
			{name: "privateKeyPem", required: true, rule: replaceIfStatePEM, def: null(), secret: true},
			{name: "validityPeriodHours", required: true, rule: replaceAlways, def: null()},
			{name: "allowedUses", required: true, rule: replaceAlways, def: null()},
			{name: "dnsNames", rule: replaceAlways, def: null()},
			{name: "ipAddresses", rule: replaceAlways, def: null()},
			{name: "uris", rule: replaceAlways, def: null()},
			{name: "subject", rule: replaceAlways, def: null()},
			// early_renewal_hours: Default 0, no RequiresReplace.
			{name: "earlyRenewalHours", rule: replaceNever, def: num(0)},
			{name: "isCaCertificate", rule: replaceAlways, def: boolean(false)},
			// max_path_length: DefaultValue(-1) is its only plan modifier in the source read for this
			// double (no RequiresReplace): a change is an in-place update, the certificate is kept.
			{name: "maxPathLength", rule: replaceNever, def: num(-1)},
			{name: "setSubjectKeyId", rule: replaceAlways, def: boolean(false)},
			{name: "setAuthorityKeyId", rule: replaceAlways, def: boolean(false)},
		},
		computed:  []string{"certPem", "readyForRenewal", "validityStartTime", "validityEndTime", "keyAlgorithm"},
		writeOnly: []string{"privateKeyPemWo", "privateKeyPemWoVersion"},
		isCert:    true,
	},
	// resource_cert_request.go
	typeCertRequest: {
		inputs: []inputAttr{
			{name: "privateKeyPem", required: true, rule: replaceIfStatePEM, def: null(), secret: true},
			{name: "dnsNames", rule: replaceAlways, def: null()},
			{name: "ipAddresses", rule: replaceAlways, def: null()},
			{name: "uris", rule: replaceAlways, def: null()},
			{name: "subject", rule: replaceAlways, def: null()},
		},
		computed:  []string{"keyAlgorithm", "certRequestPem"},
		writeOnly: []string{"privateKeyPemWo", "privateKeyPemWoVersion"},
	},
	// resource_locally_signed_cert.go (no set_authority_key_id attribute: Go's x509 sets the AKI
	// from the issuer's SKI by itself).
	typeLocallySignedCert: {
		inputs: []inputAttr{
			{name: "certRequestPem", required: true, rule: replaceIfStatePEM, def: null()},
			{name: "caPrivateKeyPem", required: true, rule: replaceIfStatePEM, def: null(), secret: true},
			{name: "caCertPem", required: true, rule: replaceIfStatePEM, def: null()},
			{name: "validityPeriodHours", required: true, rule: replaceAlways, def: null()},
			{name: "allowedUses", required: true, rule: replaceAlways, def: null()},
			{name: "isCaCertificate", rule: replaceAlways, def: boolean(false)},
			{name: "maxPathLength", rule: replaceNever, def: num(-1)},
			{name: "earlyRenewalHours", rule: replaceNever, def: num(0)},
			{name: "setSubjectKeyId", rule: replaceAlways, def: boolean(false)},
		},
		computed:  []string{"certPem", "readyForRenewal", "validityStartTime", "validityEndTime", "caKeyAlgorithm"},
		writeOnly: []string{"caPrivateKeyPemWo", "caPrivateKeyPemWoVersion"},
		isCert:    true,
	},
}

// subjectKeys: the subject block's attributes (resource_*_cert*.go + models.go), camelCase.
var subjectKeys = []string{
	"commonName", "organization", "organizationalUnit", "streetAddresses", "locality", "province",
	"country", "postalCode", "serialNumber", "emailAddress",
}
