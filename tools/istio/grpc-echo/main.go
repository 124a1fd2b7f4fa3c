// grpc-echo is the e2e tier's proxyless gRPC workload: a server and a client that take their
// listeners, routes, clusters and TLS from istio-agent's xDS proxy (GRPC_XDS_BOOTSTRAP, the
// bootstrap pilot-agent writes) exactly as an application using grpc-go's xDS support does:
// xds.NewGRPCServer with xdscreds server credentials, and an xds:/// target with xdscreds client
// credentials. Neither side has a certificate of its own: under an Istio mTLS policy both get them
// from the certificate provider the bootstrap names (the files pilot-agent writes to OUTPUT_CERTS).
//
// One unary method, /istiomeshca.echo.v1.Echo/Echo (request and response google.protobuf.StringValue),
// answers with what the server saw: the caller's SPIFFE ID (empty without TLS), the local port, the
// server's -name. Each client call prints one JSON line with what the client saw of the server.
//
//	grpc-echo server -name NAME -addr 127.0.0.5:8080 [-addr 127.0.0.5:8081]
//	grpc-echo client -target xds:///echo.ns.svc.cluster.local:8080 [-n 3] [-timeout 10s] [-source 127.0.0.6]
//	grpc-echo client -target 127.0.0.5:8081 -plaintext          (no xDS, no TLS)
//	grpc-echo probe -addr 127.0.0.5:8080 [-cert c.pem -key k.pem]   (a raw TLS handshake, then a read)
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const method = "/istiomeshca.echo.v1.Echo/Echo"

// reply is the server's answer, JSON in the response's StringValue.
type reply struct {
	Server string `json:"server"`
	Port   int    `json:"port"`
	TLS    bool   `json:"tls"`
	// Caller is the SPIFFE ID of the client's certificate, as the server's TLS stack verified it.
	Caller string `json:"caller"`
}

// callResult is one client call, as printed.
type callResult struct {
	Call int    `json:"call"`
	OK   bool   `json:"ok"`
	Code string `json:"code,omitempty"`
	Err  string `json:"error,omitempty"`
	// ServerID is the SPIFFE ID of the server's certificate, as the client's TLS stack verified it.
	ServerID string `json:"serverId,omitempty"`
	TLS      bool   `json:"tls"`
	Reply    *reply `json:"reply,omitempty"`
}

type echoServer interface{}

func serviceDesc(name string) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "istiomeshca.echo.v1.Echo",
		HandlerType: (*echoServer)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Echo",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				in := &wrapperspb.StringValue{}
				if err := dec(in); err != nil {
					return nil, err
				}
				r := reply{Server: name}
				if p, ok := peer.FromContext(ctx); ok {
					if _, port, err := net.SplitHostPort(p.LocalAddr.String()); err == nil {
						r.Port, _ = strconv.Atoi(port)
					}
					if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
						r.TLS = true
						if info.SPIFFEID != nil {
							r.Caller = info.SPIFFEID.String()
						}
					}
					fmt.Fprintf(os.Stderr, "grpc-echo: call on :%d from %s tls=%v caller=%q\n", r.Port, p.Addr, r.TLS, r.Caller)
				}
				b, _ := json.Marshal(r)
				return wrapperspb.String(string(b)), nil
			},
		}},
		Streams: []grpc.StreamDesc{},
	}
}

// loggedCreds logs every server handshake the TLS stack refuses (the server's side of a refused client).
type loggedCreds struct {
	credentials.TransportCredentials
}

func (c loggedCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpc-echo: handshake refused on %s from %s: %v\n", raw.LocalAddr(), raw.RemoteAddr(), err)
	}
	return conn, info, err
}

func (c loggedCreds) Clone() credentials.TransportCredentials {
	return loggedCreds{c.TransportCredentials.Clone()}
}

type addrs []string

func (a *addrs) String() string     { return strings.Join(*a, ",") }
func (a *addrs) Set(v string) error { *a = append(*a, v); return nil }

func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	name := fs.String("name", "grpc-echo", "reported in every reply")
	var listen addrs
	fs.Var(&listen, "addr", "listen address host:port (repeatable); the xDS listener resource is named after it")
	_ = fs.Parse(args)
	if len(listen) == 0 {
		return errors.New("server: at least one -addr")
	}
	creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return err
	}
	srv, err := xds.NewGRPCServer(grpc.Creds(loggedCreds{creds}), xds.ServingModeCallback(func(addr net.Addr, a xds.ServingModeChangeArgs) {
		// The test waits for SERVING on each address: istiod's inbound listener arrived.
		fmt.Fprintf(os.Stderr, "grpc-echo: serving mode %s %s err=%v\n", addr, a.Mode, a.Err)
	}))
	if err != nil {
		return err
	}
	srv.RegisterService(serviceDesc(*name), nil)
	errs := make(chan error, len(listen))
	for _, a := range listen {
		lis, err := net.Listen("tcp", a)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "grpc-echo: listening on %s\n", lis.Addr())
		go func() { errs <- srv.Serve(lis) }()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "grpc-echo: %v, stopping\n", s)
		srv.Stop()
		return nil
	case err := <-errs:
		return err
	}
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	target := fs.String("target", "", "xds:///<host>:<port>, or host:port with -plaintext")
	plaintext := fs.Bool("plaintext", false, "no xDS, no TLS: insecure credentials to -target")
	n := fs.Int("n", 3, "calls (one connection, sequential)")
	timeout := fs.Duration("timeout", 10*time.Second, "per call")
	source := fs.String("source", "", "local address to connect from (the pod's IP)")
	_ = fs.Parse(args)
	if *target == "" {
		return errors.New("client: -target is required")
	}
	creds := insecure.NewCredentials()
	if !*plaintext {
		if !strings.HasPrefix(*target, "xds:///") {
			return fmt.Errorf("client: -target %q: an xDS client needs xds:///<host>:<port> (or -plaintext)", *target)
		}
		var err error
		if creds, err = xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()}); err != nil {
			return err
		}
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if *source != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(*source)}}
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}))
	}
	conn, err := grpc.NewClient(*target, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	failed := 0
	out := json.NewEncoder(os.Stdout)
	for i := 1; i <= *n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		resp := &wrapperspb.StringValue{}
		var p peer.Peer
		err := conn.Invoke(ctx, method, wrapperspb.String("echo"), resp, grpc.Peer(&p))
		cancel()
		r := callResult{Call: i, OK: err == nil}
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			r.TLS = true
			if info.SPIFFEID != nil {
				r.ServerID = info.SPIFFEID.String()
			}
		}
		if err != nil {
			failed++
			r.Err = err.Error()
			r.Code = status.Code(err).String()
		} else {
			r.Reply = &reply{}
			if err := json.Unmarshal([]byte(resp.GetValue()), r.Reply); err != nil {
				return fmt.Errorf("client: reply %q: %v", resp.GetValue(), err)
			}
		}
		_ = out.Encode(r)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d calls failed", failed, *n)
	}
	return nil
}

// probe is a TLS client outside the mesh: a handshake with an optional client certificate (e.g.
// from another CA), then one read. A server that refuses the client's certificate answers the read
// (TLS 1.3: after the client's handshake completes) with an alert; one that accepts it sends its
// HTTP/2 settings.
func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	addr := fs.String("addr", "", "host:port")
	cert := fs.String("cert", "", "client certificate chain (PEM), with -key")
	key := fs.String("key", "", "client key (PEM)")
	timeout := fs.Duration("timeout", 10*time.Second, "")
	source := fs.String("source", "", "local address to connect from (the pod's IP)")
	_ = fs.Parse(args)
	// The server is not verified: the probe shows what the SERVER accepts.
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}} //nolint:gosec
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			return err
		}
		// Always presented: Go's client would otherwise send no certificate when the server's
		// acceptable-CA list does not name the certificate's issuer.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	}
	result := map[string]any{"addr": *addr}
	d := &net.Dialer{Timeout: *timeout}
	if *source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(*source)}
	}
	conn, err := tls.DialWithDialer(d, "tcp", *addr, cfg)
	if err != nil {
		result["handshake"] = false
		result["error"] = err.Error()
	} else {
		defer conn.Close()
		result["handshake"] = true
		if certs := conn.ConnectionState().PeerCertificates; len(certs) > 0 && len(certs[0].URIs) > 0 {
			result["serverId"] = certs[0].URIs[0].String()
		}
		_ = conn.SetReadDeadline(time.Now().Add(*timeout))
		buf := make([]byte, 9)
		if _, err := io.ReadFull(conn, buf); err != nil {
			result["accepted"] = false
			result["error"] = err.Error()
		} else {
			result["accepted"] = true
		}
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: grpc-echo server|client|probe [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = server(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (server, client, probe)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "grpc-echo:", err)
		os.Exit(1)
	}
}
