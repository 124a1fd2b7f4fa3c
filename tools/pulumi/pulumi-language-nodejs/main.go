// Command pulumi-language-nodejs is a MINIMAL stand-in for Pulumi's Node.js
// language host, written for this repo's e2e tests.
//
// Why: the real host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is untagged and the Go module mirror we can reach refuses every version of it
// (403, see tools/README.md), and prebuilt binaries are off limits.
//
// What: it implements the LanguageRuntime gRPC service of sdk/v3 (the same
// version as the CLI) just enough for `pulumi preview/up/destroy` of an
// already-installed (npm ci) TypeScript/JavaScript program: Run starts
// `node node_modules/@pulumi/pulumi/cmd/run ...` with the flags and PULUMI_CONFIG*
// env that this runtime reads (as the real host does), so all resource logic
// stays in the real @pulumi/pulumi runtime and the real engine. Not implemented: plugin
// discovery (GetRequiredPackages returns nothing: install plugins yourself),
// `pulumi install`, `pulumi new`, codegen, debugging. RunPlugin runs Node
// policy packs (`pulumi preview --policy-pack DIR`) and Node resource plugins.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code @pulumi/pulumi/cmd/run uses after it already logged a user-facing error.
const exitAfterLoggingError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	// Flags the engine may pass (buildPluginArguments); accepted, not used. Own
	// FlagSet: the global one already has glog's -v/-logtostderr via the sdk.
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	fs.Bool("logtostderr", false, "ignored")
	fs.Int("v", 0, "ignored")
	fs.String("tracing", "", "ignored")
	fs.String("root", "", "ignored")
	_ = fs.Parse(os.Args[1:])
	h := &host{}
	if fs.NArg() > 0 { // positional argument: engine address (comes last)
		h.engineAddress = fs.Arg(fs.NArg() - 1)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error { pulumirpc.RegisterLanguageRuntimeServer(s, h); return nil },
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from our first stdout line
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.engineAddress = req.EngineAddress
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	// Same -X ldflag as the CLI: github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

// No plugin discovery: providers must already be installed / on PATH.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

// Dependencies are installed by `npm ci` outside Pulumi: nothing to do.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, _ := exec.LookPath("node")
	out, _ := exec.Command("node", "--version").Output()
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir, entry, rootDir := req.Pwd, req.Program, ""
	opts := map[string]any{}
	if info := req.Info; info != nil {
		programDir, entry, rootDir = info.ProgramDirectory, info.EntryPoint, info.RootDirectory
		if info.Options != nil {
			opts = info.Options.AsMap()
		}
	}
	if entry == "" {
		entry = "."
	}

	runPath, err := resolveModule(ctx, programDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return nil, err
	}

	var args []string
	if na, ok := opts["nodeargs"].(string); ok && na != "" {
		args = append(args, strings.Fields(na)...)
	}
	args = append(args, runPath,
		"--monitor="+req.MonitorAddress,
		"--engine="+h.engineAddress,
		"--project="+req.Project,
		"--stack="+req.Stack,
		"--pwd="+req.Pwd,
		"--parallel="+strconv.Itoa(int(req.Parallel)))
	if req.Organization != "" {
		args = append(args, "--organization="+req.Organization)
	}
	if rootDir != "" {
		args = append(args, "--root-directory="+rootDir)
	}
	if req.DryRun {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.Args...)

	if req.Config == nil { // marshal as {} and [], never null
		req.Config = map[string]string{}
	}
	if req.ConfigSecretKeys == nil {
		req.ConfigSecretKeys = []string{}
	}
	config, err := json.Marshal(req.Config)
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.ConfigSecretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	// Runtime options from Pulumi.yaml (runtime.options), as the real host passes them.
	typescript := true
	if ts, ok := opts["typescript"].(bool); ok {
		typescript = ts
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+filepath.Join(programDir, tsconfig))
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.Pwd
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr // the engine forwards these as diagnostics
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterLoggingError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// resolveModule finds a module's entry file the way Node does, from dir.
func resolveModule(ctx context.Context, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, "node", "-e", `process.stdout.write(require.resolve(process.argv[1]))`, module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s from %s (run npm ci first): %w", module, dir, err)
	}
	return string(out), nil
}

// RunPlugin runs a plugin written in Node (the engine reads the plugin's port
// from the Stdout messages): kind "analyzer" = policy pack via
// @pulumi/pulumi/cmd/run-policy-pack <engine-address> <pack dir>; anything
// else via @pulumi/pulumi/cmd/run-plugin <plugin dir> <args...>.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := server.Context()
	dir := req.Pwd
	if req.Info != nil && req.Info.ProgramDirectory != "" {
		dir = req.Info.ProgramDirectory
	}
	var args []string
	if req.Kind == "analyzer" {
		runPath, err := resolveModule(ctx, dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			return err
		}
		args = append(append([]string{runPath}, req.Args...), dir)
	} else {
		runPath, err := resolveModule(ctx, dir, "@pulumi/pulumi/cmd/run-plugin")
		if err != nil {
			return err
		}
		args = append([]string{runPath, dir}, req.Args...)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir // @pulumi/policy reads ./package.json (pack version) from the cwd
	cmd.Env = req.Env
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	mu := &sync.Mutex{} // stdout and stderr are copied by two goroutines
	cmd.Stdout = streamWriter{server, mu, false}
	cmd.Stderr = streamWriter{server, mu, true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// streamWriter forwards a plugin's stdout/stderr to the engine as RunPlugin messages.
type streamWriter struct {
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	mu     *sync.Mutex
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		msg.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: b}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.server.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}
