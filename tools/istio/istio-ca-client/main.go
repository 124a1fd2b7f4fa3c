// istio-ca-client is the e2e tier's stand-in for a workload's istio-agent: it sends one CSR to
// istiod's CA service (istio.v1.auth.IstioCertificateService/CreateCertificate, the gRPC API the
// agent uses on port 15012) authenticated with a service-account token, exactly as the agent does
// (metadata "authorization: Bearer <token>", optional "clusterid"), and prints the returned chain
// as PEM (leaf first, as istiod returns it). The TLS connection to istiod is verified against
// -root-cert with server name -server-name (istiod's serving certificate is issued by its CA),
// so a successful call also proves istiod serves 15012 with a certificate from the CA we plugged in.
//
//	Usage: istio-ca-client -addr 127.0.0.1:15012 -root-cert root.pem -token-file tok \
//	         -spiffe spiffe://cluster.local/ns/NS/sa/SA -key-out key.pem > chain.pem
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"
	pb "istio.io/api/security/v1alpha1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:15012", "istiod's CA service (host:port)")
	rootCert := flag.String("root-cert", "", "PEM bundle to verify istiod's serving certificate (required)")
	serverName := flag.String("server-name", "istiod.istio-system.svc", "expected name in istiod's serving certificate")
	tokenFile := flag.String("token-file", "", "service-account JWT (required)")
	spiffe := flag.String("spiffe", "", "URI SAN to put into the CSR (as istio-agent does); istiod decides the identity from the token")
	clusterID := flag.String("cluster-id", "", "clusterid metadata (optional, as istio-agent sends it)")
	certSigner := flag.String("cert-signer", "", "CertSigner request metadata, as istio-agent sends ISTIO_META_CERT_SIGNER (istiod as RA: the signer to use)")
	keyOut := flag.String("key-out", "", "where to write the generated private key (PEM)")
	ttl := flag.Duration("ttl", time.Hour, "requested validity")
	timeout := flag.Duration("timeout", 30*time.Second, "call timeout")
	flag.Parse()
	if err := run(*addr, *rootCert, *serverName, *tokenFile, *spiffe, *clusterID, *certSigner, *keyOut, *ttl, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "istio-ca-client:", err)
		os.Exit(1)
	}
}

func run(addr, rootCert, serverName, tokenFile, spiffe, clusterID, certSigner, keyOut string, ttl, timeout time.Duration) error {
	if rootCert == "" || tokenFile == "" {
		return fmt.Errorf("-root-cert and -token-file are required")
	}
	rootPEM, err := os.ReadFile(rootCert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return fmt.Errorf("%s: no certificate", rootCert)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.CertificateRequest{}
	if spiffe != "" {
		u, err := url.Parse(spiffe)
		if err != nil {
			return err
		}
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return err
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})

	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	md := metadata.Pairs("authorization", "Bearer "+strings.TrimSpace(string(tok)))
	if clusterID != "" {
		md.Append("clusterid", clusterID)
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	req := &pb.IstioCertificateRequest{Csr: string(csr), ValidityDuration: int64(ttl.Seconds())}
	if certSigner != "" {
		// The key istio-agent uses (pkg/security.CertSigner), from the proxy's ISTIO_META_CERT_SIGNER.
		req.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{"CertSigner": structpb.NewStringValue(certSigner)}}
	}
	resp, err := pb.NewIstioCertificateServiceClient(conn).CreateCertificate(ctx, req)
	if err != nil {
		return err
	}
	if len(resp.CertChain) == 0 {
		return fmt.Errorf("empty certificate chain in the response")
	}
	if keyOut != "" {
		kder, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := os.WriteFile(keyOut, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			return err
		}
	}
	for _, c := range resp.CertChain {
		s := strings.TrimSpace(c)
		fmt.Println(s)
	}
	return nil
}
