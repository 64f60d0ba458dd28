// Package rie runs a Lambda bootstrap binary under the AWS Lambda Runtime Interface Emulator
// (aws-lambda-rie, a go.mod tool of this module) on free loopback ports and invokes it over
// the emulator's HTTP API, the way Lambda's Invoke API would. It is a test helper: used by the
// handler tests and by the local pipeline.
//
// Facts it relies on (measured, see build-and-test.md §4): the emulator takes
// --runtime-interface-emulator-address and --runtime-api-address, then the bootstrap path;
// the only function name it serves is "function"; a function error comes back as HTTP 200
// with a {"errorMessage","errorType"} body; SIGTERM stops it and its runtime within ~1 s.
package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/lambdabuild"
)

// EmulatorPackage is the import path of the emulator's command.
const EmulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the emulator's invocation endpoint (Lambda's Invoke API path).
const InvokePath = "/2015-03-31/functions/function/invocations"

// BuildEmulator builds aws-lambda-rie for the host into outDir with the module at moduleRoot
// (its go.mod pins the emulator as a tool) and returns the binary's path.
func BuildEmulator(ctx context.Context, moduleRoot, outDir string) (string, error) {
	out, err := filepath.Abs(filepath.Join(outDir, "aws-lambda-rie"))
	if err != nil {
		return "", fmt.Errorf("rie: output path: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, EmulatorPackage)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("rie: go build %s in %s: %w\n%s", EmulatorPackage, moduleRoot, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// BuildFunction builds the handler package pkg ("./lambdas/writer") of the module at
// moduleRoot into outDir with internal/lambdabuild, for the host's architecture (the emulator
// runs the binary natively), and returns the bootstrap's path.
func BuildFunction(ctx context.Context, moduleRoot, pkg, outDir string) (string, error) {
	p, err := lambdabuild.Build(ctx, lambdabuild.Options{Package: pkg, Arch: runtime.GOARCH, OutDir: outDir, ModuleRoot: moduleRoot})
	if err != nil {
		return "", fmt.Errorf("rie: %w", err)
	}
	return p, nil
}

// Options describes one emulated function.
type Options struct {
	Emulator  string   // path of aws-lambda-rie (BuildEmulator)
	Bootstrap string   // path of the function's bootstrap binary (built for the host's architecture)
	Env       []string // KEY=VALUE for the function; PATH, HOME and TMPDIR are passed through, nothing else
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME (default "function"); Timeout is the function
	// timeout the emulator enforces (default 30 s).
	FunctionName string
	Timeout      time.Duration
	// Output receives the emulator's and the function's stdout and stderr (nil: kept in
	// memory, see Function.Logs).
	Output io.Writer
	// StartTimeout bounds the wait for the emulator's port (default 15 s).
	StartTimeout time.Duration
}

// Function is a running emulator with one function.
type Function struct {
	// URL is the invocation URL: http://127.0.0.1:<port>/2015-03-31/functions/function/invocations.
	URL string

	cmd    *exec.Cmd
	logs   *syncBuffer
	done   chan struct{}
	waited error

	stopOnce sync.Once
}

// Start starts the emulator on two free loopback ports and waits until it accepts
// connections. Stop it with Stop.
func Start(ctx context.Context, o Options) (*Function, error) {
	for _, p := range []string{o.Emulator, o.Bootstrap} {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return nil, fmt.Errorf("rie: %q is not an executable file: %v", p, err)
		}
	}
	if o.FunctionName == "" {
		o.FunctionName = "function"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 15 * time.Second
	}
	var lastErr error
	for range 3 { // a freed port can be taken by someone else before the emulator binds it
		f, err := start(ctx, o)
		if err == nil {
			return f, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, o Options) (*Function, error) {
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	runtimePort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", apiPort)
	cmd := exec.Command(o.Emulator,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", net.JoinHostPort("127.0.0.1", runtimePort),
		o.Bootstrap)
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"AWS_LAMBDA_FUNCTION_NAME="+o.FunctionName,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(o.Timeout.Seconds())))
	cmd.Env = append(env, o.Env...)
	logs := &syncBuffer{}
	var out io.Writer = logs
	if o.Output != nil {
		out = io.MultiWriter(logs, o.Output)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: Stop can end the runtime too
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: start %s: %w", o.Emulator, err)
	}
	f := &Function{URL: "http://" + addr + InvokePath, cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { f.waited = cmd.Wait(); close(f.done) }()

	deadline := time.Now().Add(o.StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("rie: emulator exited before listening on %s: %v\n%s", addr, f.waited, logs.String())
		case <-ctx.Done():
			f.Stop()
			return nil, fmt.Errorf("rie: waiting for %s: %w", addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("rie: emulator not listening on %s after %s\n%s", addr, o.StartTimeout, logs.String())
		}
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("rie: find a free port: %w", err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// Response is one invocation's outcome.
type Response struct {
	Status  int    // HTTP status (200 even for a function error)
	Payload []byte // the function's response, or the error document
	// Error is set when the payload is a Lambda error document: {"errorMessage","errorType"}.
	Error *FunctionError
}

// FunctionError is Lambda's error document.
type FunctionError struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// Error returns "errorType: errorMessage".
func (e *FunctionError) Error() string { return e.ErrorType + ": " + e.ErrorMessage }

// Invoke sends payload as a synchronous invocation and returns the response. A function
// error is not a Go error: it is in Response.Error.
func (f *Function) Invoke(ctx context.Context, payload []byte) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke %s: %w", f.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rie: read response: %w", err)
	}
	r := &Response{Status: resp.StatusCode, Payload: body}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("rie: invoke %s: HTTP %d: %s", f.URL, resp.StatusCode, truncate(body, 300))
	}
	var fe FunctionError
	if dec := json.NewDecoder(bytes.NewReader(body)); dec.Decode(&fe) == nil && fe.ErrorType != "" && fe.ErrorMessage != "" {
		// An object with exactly the error document's members (a handler's own output could
		// in theory look alike; ours never does).
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil && onlyKeys(m, "errorMessage", "errorType", "stackTrace") {
			r.Error = &fe
		}
	}
	return r, nil
}

func onlyKeys(m map[string]json.RawMessage, keys ...string) bool {
	for k := range m {
		found := false
		for _, want := range keys {
			found = found || k == want
		}
		if !found {
			return false
		}
	}
	return true
}

// Logs returns everything the emulator and the function wrote so far.
func (f *Function) Logs() string { return f.logs.String() }

// Stop sends SIGTERM to the emulator (which stops the runtime) and waits; after 5 s it kills
// the process group. It is safe to call more than once.
func (f *Function) Stop() error {
	var err error
	f.stopOnce.Do(func() {
		select {
		case <-f.done:
			return
		default:
		}
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
			<-f.done
			err = errors.New("rie: emulator ignored SIGTERM for 5 s; killed")
		}
	})
	return err
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
