package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/rie"
)

// Emulator runs each function as its real bootstrap binary (built for the host with
// internal/lambdabuild) under the AWS Lambda Runtime Interface Emulator (internal/rie), and
// invokes it through the Lambda Invoke API path with the request id Lambda would pass.
type Emulator struct {
	// ModuleRoot is the directory of go.mod; OutDir receives the binaries.
	ModuleRoot, OutDir string
	// Output receives the emulators' and functions' logs (nil: kept in memory only).
	Output io.Writer
	// Timeout overrides every function's timeout when set; by default each function runs
	// with its Spec.Timeout (the one infra deploys), or the emulator's 30 s without one.
	Timeout time.Duration

	mu        sync.Mutex
	emulator  string
	bootstrap map[string]string
	endpoints map[string]string
	// Built records each build: package -> (path, duration), for the step output.
	Built []Build
}

// Build is one bootstrap built by the Emulator runtime.
type Build struct {
	Package, Path string
	Duration      time.Duration
}

// Name implements Runtime.
func (e *Emulator) Name() string { return "aws-lambda-rie" }

// Prepare builds the emulator and the bootstraps of pkgs ahead of Start.
func (e *Emulator) Prepare(ctx context.Context, pkgs ...string) error {
	for _, p := range pkgs {
		if _, err := e.binary(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (e *Emulator) binary(ctx context.Context, pkg string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.emulator == "" {
		p, err := rie.BuildEmulator(ctx, e.ModuleRoot, e.OutDir)
		if err != nil {
			return "", err
		}
		e.emulator = p
	}
	if e.bootstrap == nil {
		e.bootstrap = map[string]string{}
	}
	if p, ok := e.bootstrap[pkg]; ok {
		return p, nil
	}
	start := time.Now()
	p, err := rie.BuildFunction(ctx, e.ModuleRoot, pkg, e.OutDir)
	if err != nil {
		return "", err
	}
	e.bootstrap[pkg] = p
	e.Built = append(e.Built, Build{Package: pkg, Path: p, Duration: time.Since(start)})
	return p, nil
}

// Start implements Runtime.
func (e *Emulator) Start(ctx context.Context, s Spec) (lambdaasync.Function, func(), error) {
	bin, err := e.binary(ctx, s.Package)
	if err != nil {
		return nil, nil, err
	}
	env := make([]string, 0, len(s.Env))
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	timeout := s.Timeout
	if e.Timeout > 0 {
		timeout = e.Timeout
	}
	f, err := rie.Start(ctx, rie.Options{Emulator: e.emulator, Bootstrap: bin, Env: env, FunctionName: "lambdabridge-local-" + s.Name,
		Timeout: timeout, Output: e.Output})
	if err != nil {
		return nil, nil, fmt.Errorf("start %s (%s) under the emulator: %w", s.Name, filepath.Base(filepath.Dir(bin)), err)
	}
	base := strings.TrimSuffix(f.URL, rie.InvokePath)
	e.mu.Lock()
	if e.endpoints == nil {
		e.endpoints = map[string]string{}
	}
	e.endpoints[s.Name] = base
	e.mu.Unlock()
	fn := lambdaasync.LambdaFunction{Client: lambdaasync.NewEmulatorClient(base), Name: "function"}
	return fn, func() { _ = f.Stop() }, nil
}

// Endpoint is the Lambda Invoke endpoint (http://127.0.0.1:PORT) of the running function
// name ("writer", "relay"), which cmd/redrive's --writer-endpoint or --relay-endpoint takes;
// "" when it is not running.
func (e *Emulator) Endpoint(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.endpoints[name]
}

var (
	_ Runtime = (*Emulator)(nil)
	_ Runtime = InProcess{}
)
