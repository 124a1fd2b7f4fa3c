// TEST DOUBLE of pulumi-resource-tls (e2e tier only; see README.md).
//
// Key and certificate generation, following terraform-provider-tls:
//
//	internal/provider/common_key.go          keyGenerators, parsePrivateKeyPEM, setPublicKeyAttributes
//	internal/provider/resource_private_key.go Create (PEM encodings per algorithm)
//	internal/provider/common_cert.go          keyUsages, extendedKeyUsages, generateSubjectKeyID,
//	                                          createCertificate, createSubjectDistinguishedNames
//	internal/provider/resource_self_signed_cert.go, resource_cert_request.go,
//	internal/provider/resource_locally_signed_cert.go  Create
//	internal/provider/common.go               hashForState
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// now is overridable in tests (the provider's overridableTimeFunc, common.go).
var now = time.Now

var keyUsages = map[string]x509.KeyUsage{
	"digital_signature":  x509.KeyUsageDigitalSignature,
	"content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment":   x509.KeyUsageKeyEncipherment,
	"data_encipherment":  x509.KeyUsageDataEncipherment,
	"key_agreement":      x509.KeyUsageKeyAgreement,
	"cert_signing":       x509.KeyUsageCertSign,
	"crl_signing":        x509.KeyUsageCRLSign,
	"encipher_only":      x509.KeyUsageEncipherOnly,
	"decipher_only":      x509.KeyUsageDecipherOnly,
}

var extendedKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended":                      x509.ExtKeyUsageAny,
	"server_auth":                       x509.ExtKeyUsageServerAuth,
	"client_auth":                       x509.ExtKeyUsageClientAuth,
	"code_signing":                      x509.ExtKeyUsageCodeSigning,
	"email_protection":                  x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system":                  x509.ExtKeyUsageIPSECEndSystem,
	"ipsec_tunnel":                      x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user":                        x509.ExtKeyUsageIPSECUser,
	"timestamping":                      x509.ExtKeyUsageTimeStamping,
	"ocsp_signing":                      x509.ExtKeyUsageOCSPSigning,
	"microsoft_server_gated_crypto":     x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

// hashForState: hex SHA-1 of strings.TrimSpace(value) (common.go), used for resource IDs.
func hashForState(value string) string {
	if value == "" {
		return ""
	}
	h := sha1.Sum([]byte(strings.TrimSpace(value)))
	return hex.EncodeToString(h[:])
}

// ---------------------------------------------------------------- private keys

type keyConfig struct {
	Algorithm  string // RSA | ECDSA | ED25519
	RSABits    int
	ECDSACurve string // P224 | P256 | P384 | P521
}

type keyOutputs struct {
	ID                         string
	PrivateKeyPem              string
	PrivateKeyPemPkcs8         string
	PrivateKeyOpenssh          string
	PublicKeyPem               string
	PublicKeyOpenssh           string
	PublicKeyFingerprintMd5    string
	PublicKeyFingerprintSha256 string
}

func generateKey(c keyConfig) (crypto.PrivateKey, error) {
	switch c.Algorithm {
	case "RSA":
		return rsa.GenerateKey(rand.Reader, c.RSABits)
	case "ECDSA":
		switch c.ECDSACurve {
		case "P224":
			return ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		case "P256":
			return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case "P384":
			return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case "P521":
			return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		}
		return nil, fmt.Errorf("invalid ECDSA curve; supported values are: [P224 P256 P384 P521]")
	case "ED25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("Key Algorithm %q is not supported", c.Algorithm)
}

// createPrivateKey: resource_private_key.go Create + common_key.go setPublicKeyAttributes.
func createPrivateKey(c keyConfig) (*keyOutputs, error) {
	prv, err := generateKey(c)
	if err != nil {
		return nil, err
	}
	var block *pem.Block
	switch k := prv.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		b, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	case ed25519.PrivateKey:
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(prv)
	if err != nil {
		return nil, err
	}
	out := &keyOutputs{
		PrivateKeyPem:      string(pem.EncodeToMemory(block)),
		PrivateKeyPemPkcs8: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	}
	// x/crypto/ssh does not support P-224: OpenSSH encodings are then empty strings.
	if ec, ok := prv.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P224() {
		b, err := ssh.MarshalPrivateKey(prv, "")
		if err != nil {
			return nil, fmt.Errorf("Unable to marshal private key into OpenSSH format: %w", err)
		}
		out.PrivateKeyOpenssh = string(pem.EncodeToMemory(b))
	}
	pub := prv.(crypto.Signer).Public()
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	out.ID = hashForState(string(pubDER))
	out.PublicKeyPem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if sshPub, err := ssh.NewPublicKey(pub); err == nil {
		out.PublicKeyOpenssh = string(ssh.MarshalAuthorizedKey(sshPub))
		out.PublicKeyFingerprintMd5 = ssh.FingerprintLegacyMD5(sshPub)
		out.PublicKeyFingerprintSha256 = ssh.FingerprintSHA256(sshPub)
	}
	return out, nil
}

// parsePrivateKeyPEM: common_key.go (parser chosen by the PEM preamble).
func parsePrivateKeyPEM(keyPEM string) (crypto.PrivateKey, string, error) {
	block, rest := pem.Decode([]byte(keyPEM))
	if block == nil {
		return nil, "", fmt.Errorf("failed to decode PEM block: decoded bytes %d, undecoded %d", len(keyPEM)-len(rest), len(rest))
	}
	var prv crypto.PrivateKey
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		prv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		prv, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		prv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("unable to determine parser for PEM preamble: %s", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("failed to parse private key given PEM preamble '%s': %w", block.Type, err)
	}
	switch prv.(type) {
	case *rsa.PrivateKey:
		return prv, "RSA", nil
	case *ecdsa.PrivateKey:
		return prv, "ECDSA", nil
	case ed25519.PrivateKey:
		return prv, "ED25519", nil
	}
	return nil, "", fmt.Errorf("unsupported private key type: %T", prv)
}

// ---------------------------------------------------------------- certificates

type subjectConfig struct {
	CommonName, Organization, OrganizationalUnit, Locality, Province, Country, PostalCode,
	SerialNumber, EmailAddress *string
	StreetAddresses []string
}

// pkixName: createSubjectDistinguishedNames (common_cert.go).
func (s *subjectConfig) pkixName() pkix.Name {
	n := pkix.Name{}
	if s == nil {
		return n
	}
	one := func(p *string) []string {
		if p == nil {
			return nil
		}
		return []string{*p}
	}
	if s.CommonName != nil {
		n.CommonName = *s.CommonName
	}
	n.Organization = one(s.Organization)
	n.OrganizationalUnit = one(s.OrganizationalUnit)
	n.StreetAddress = s.StreetAddresses
	n.Locality = one(s.Locality)
	n.Province = one(s.Province)
	n.Country = one(s.Country)
	n.PostalCode = one(s.PostalCode)
	if s.SerialNumber != nil {
		n.SerialNumber = *s.SerialNumber
	}
	if s.EmailAddress != nil {
		n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{
			Type:  asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1},
			Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(*s.EmailAddress)},
		})
	}
	return n
}

// certConfig is the plan of a SelfSignedCert / LocallySignedCert (defaults already applied).
type certConfig struct {
	ValidityPeriodHours int64
	AllowedUses         []string
	IsCACertificate     bool
	MaxPathLength       int64 // -1 = unset (the schema default)
	SetSubjectKeyID     bool
	SetAuthorityKeyID   bool // SelfSignedCert only
	HasSetAuthorityKey  bool // the resource schema has set_authority_key_id
}

type certOutputs struct {
	ID                string // serial number, decimal
	CertPem           string
	ValidityStartTime string
	ValidityEndTime   string
}

// generateSubjectKeyID: SHA-1 of the public key bytes, marshalled as common_cert.go does.
func generateSubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	var b []byte
	var err error
	switch p := pub.(type) {
	case *rsa.PublicKey:
		b, err = asn1.Marshal(*p)
	case *ecdsa.PublicKey:
		//nolint:staticcheck // as the provider does (elliptic.Marshal)
		b = elliptic.Marshal(p.Curve, p.X, p.Y)
	case ed25519.PublicKey:
		b, err = asn1.Marshal(p)
	default:
		err = fmt.Errorf("unsupported public key type %T", pub)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to marshal public key of type %T: %w", pub, err)
	}
	h := sha1.Sum(b)
	return h[:], nil
}

// createCertificate follows common_cert.go createCertificate line by line.
func createCertificate(c certConfig, template, parent *x509.Certificate, pub crypto.PublicKey, prv crypto.PrivateKey) (*certOutputs, error) {
	var err error
	template.NotBefore = now()
	template.NotAfter = template.NotBefore.Add(time.Duration(c.ValidityPeriodHours) * time.Hour)

	// Random 128-bit serial number.
	template.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("Failed to generate serial number: %w", err)
	}

	for _, u := range c.AllowedUses {
		if ku, ok := keyUsages[u]; ok {
			template.KeyUsage |= ku
		}
		if eku, ok := extendedKeyUsages[u]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, eku)
		}
	}

	if c.IsCACertificate {
		// RFC 5280 4.1.2.6: a CA needs at least one distinguished name.
		if isEmptyName(template.Subject) {
			return nil, errors.New("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)")
		}
		template.IsCA = true
		// A CA certificate ALWAYS gets a Subject Key Identifier, whatever setSubjectKeyId says.
		if template.SubjectKeyId, err = generateSubjectKeyID(pub); err != nil {
			return nil, err
		}
	}

	// max_path_length is copied to MaxPathLen ONLY, never MaxPathLenZero (common_cert.go:
	// `if !maxPathLen.IsNull() && !maxPathLen.IsUnknown() && maxPathLen.ValueInt64() >= 0 {
	// template.MaxPathLen = int(maxPathLen.ValueInt64()) }`). Go's crypto/x509 treats
	// MaxPathLen == 0 without MaxPathLenZero as "unset" (marshalBasicConstraints encodes it as -1),
	// so maxPathLength: 0 yields a CA certificate with NO path-length constraint, exactly like
	// -1 or an absent value. Only values >= 1 produce a pathlen.
	if c.MaxPathLength >= 0 {
		template.MaxPathLen = int(c.MaxPathLength)
	}

	if c.SetSubjectKeyID {
		if template.SubjectKeyId, err = generateSubjectKeyID(pub); err != nil {
			return nil, err
		}
	}

	if c.HasSetAuthorityKey && c.SetAuthorityKeyID {
		if len(parent.SubjectKeyId) == 0 {
			return nil, errors.New("Invalid Certificate Authority: Could not determine Authority Key Identifier")
		}
		template.AuthorityKeyId = parent.SubjectKeyId
	}

	// The signature algorithm is left to Go: SHA256WithRSA for RSA; ECDSA with SHA-256 (P-224,
	// P-256), SHA-384 (P-384), SHA-512 (P-521); PureEd25519. Go also copies the parent's SKI into
	// the AuthorityKeyId of every certificate that is not self-signed (issuer != subject).
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, prv)
	if err != nil {
		return nil, fmt.Errorf("Failed to create certificate: %w", err)
	}
	from, _ := template.NotBefore.MarshalText()
	to, _ := template.NotAfter.MarshalText()
	return &certOutputs{
		ID:                template.SerialNumber.String(),
		CertPem:           string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		ValidityStartTime: string(from),
		ValidityEndTime:   string(to),
	}, nil
}

func isEmptyName(n pkix.Name) bool {
	return n.CommonName == "" && n.SerialNumber == "" && len(n.Country) == 0 && len(n.Organization) == 0 &&
		len(n.OrganizationalUnit) == 0 && len(n.Locality) == 0 && len(n.Province) == 0 &&
		len(n.StreetAddress) == 0 && len(n.PostalCode) == 0 && len(n.Names) == 0 && len(n.ExtraNames) == 0
}

type sans struct {
	DNSNames    []string
	IPAddresses []string
	URIs        []string
}

func (s sans) apply(dns *[]string, ips *[]net.IP, uris *[]*url.URL) error {
	*dns = s.DNSNames
	for _, a := range s.IPAddresses {
		ip := net.ParseIP(a)
		if ip == nil {
			return fmt.Errorf("Invalid IP address: Failed to parse %#v", a)
		}
		*ips = append(*ips, ip)
	}
	for _, u := range s.URIs {
		p, err := url.Parse(u)
		if err != nil {
			return fmt.Errorf("Invalid URI: Failed to parse %#v: %v", u, err)
		}
		*uris = append(*uris, p)
	}
	return nil
}

// createSelfSignedCert: resource_self_signed_cert.go Create.
func createSelfSignedCert(keyPEM string, subject *subjectConfig, s sans, c certConfig) (*certOutputs, string, error) {
	prv, alg, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, "", fmt.Errorf("Failed to parse private key PEM: %w", err)
	}
	cert := x509.Certificate{BasicConstraintsValid: true, Subject: subject.pkixName()}
	if err := s.apply(&cert.DNSNames, &cert.IPAddresses, &cert.URIs); err != nil {
		return nil, "", err
	}
	c.HasSetAuthorityKey = true
	out, err := createCertificate(c, &cert, &cert, prv.(crypto.Signer).Public(), prv)
	return out, alg, err
}

// createCertRequest: resource_cert_request.go Create. Returns PEM, id, key algorithm.
func createCertRequest(keyPEM string, subject *subjectConfig, s sans) (string, string, string, error) {
	prv, alg, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return "", "", "", fmt.Errorf("Failed to parse private key PEM: %w", err)
	}
	req := x509.CertificateRequest{Subject: subject.pkixName()}
	if err := s.apply(&req.DNSNames, &req.IPAddresses, &req.URIs); err != nil {
		return "", "", "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &req, prv)
	if err != nil {
		return "", "", "", fmt.Errorf("Error creating certificate request: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), hashForState(string(der)), alg, nil
}

func decodePEM(s, typ string) (*pem.Block, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, fmt.Errorf("failed to decode PEM of expected type %q from bytes", typ)
	}
	if b.Type != typ {
		return nil, fmt.Errorf("invalid PEM type - expected %q, got %q", typ, b.Type)
	}
	return b, nil
}

// createLocallySignedCert: resource_locally_signed_cert.go Create. The template takes the CSR's
// subject and SANs (DNS, IP, URI) and nothing else from it (no CSR extensions are copied).
// Returns outputs, CA key algorithm, warning (non-CA issuer).
func createLocallySignedCert(csrPEM, caKeyPEM, caCertPEM string, c certConfig) (*certOutputs, string, string, error) {
	b, err := decodePEM(csrPEM, "CERTIFICATE REQUEST")
	if err != nil {
		return nil, "", "", fmt.Errorf("Failed to parse certificate request PEM: %w", err)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, "", "", fmt.Errorf("Failed to parse certificate request PEM: failed to parse certificate request: %w", err)
	}
	caKey, alg, err := parsePrivateKeyPEM(caKeyPEM)
	if err != nil {
		return nil, "", "", fmt.Errorf("Failed to parse CA private key PEM: %w", err)
	}
	cb, err := decodePEM(caCertPEM, "CERTIFICATE")
	if err != nil {
		return nil, "", "", fmt.Errorf("Failed to parse CA certificate PEM: %w", err)
	}
	caCert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, "", "", fmt.Errorf("Failed to parse CA certificate PEM: failed to parse certificate: %w", err)
	}
	warning := ""
	if !caCert.IsCA {
		warning = "Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. The resulting certificate might fail certificate validation."
	}
	template := x509.Certificate{
		Subject:               csr.Subject,
		DNSNames:              csr.DNSNames,
		IPAddresses:           csr.IPAddresses,
		URIs:                  csr.URIs,
		BasicConstraintsValid: true,
	}
	c.HasSetAuthorityKey = false
	out, err := createCertificate(c, &template, caCert, csr.PublicKey, caKey)
	return out, alg, warning, err
}

// readyForRenewalAt: modifyPlanIfCertificateReadyForRenewal / modifyStateIfCertificateReadyForRenewal
// (common_cert.go): ready when validity_end_time - early_renewal_hours <= now.
func readyForRenewalAt(validityEndTime string, earlyRenewalHours int64, t time.Time) (bool, error) {
	end, err := time.Parse(time.RFC3339, validityEndTime)
	if err != nil {
		return false, fmt.Errorf("Failed to parse data from string: %s: %w", validityEndTime, err)
	}
	earlyRenewalTime := end.Add(time.Duration(-earlyRenewalHours) * time.Hour)
	return earlyRenewalTime.Sub(t) <= 0, nil
}

// plannedReadyForRenewal: attribute_plan_modifier_bool ReadyForRenewal() on top of the attribute's
// Default false: true when validity_period_hours == 0 or early_renewal_hours >= validity_period_hours.
func plannedReadyForRenewal(validityPeriodHours, earlyRenewalHours int64) bool {
	return validityPeriodHours == 0 || earlyRenewalHours >= validityPeriodHours
}
