// Package sqslocal runs fauxqs, a real SQS-API server (JSON protocol, the one aws-sdk-go-v2
// speaks), as a child process on a free loopback port, for cmd/local, cmd/redrive and the
// pipeline drills. fauxqs is installed from the repository's package.json (`npm ci`).
package sqslocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrNotInstalled means node_modules/.bin/fauxqs is missing: run `npm ci` at the repository root.
var ErrNotInstalled = errors.New("fauxqs is not installed (run npm ci at the repository root)")

// Region is the region the local clients sign for; fauxqs accepts any.
const Region = "us-east-1"

// Server is a running fauxqs process.
type Server struct {
	// Endpoint is the base URL of the SQS API, e.g. "http://127.0.0.1:41234".
	Endpoint string

	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
	once sync.Once
	err  error
}

// Bin returns the path of the fauxqs launcher under root/node_modules, or ErrNotInstalled.
func Bin(root string) (string, error) {
	p := filepath.Join(root, "node_modules", ".bin", "fauxqs")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s not found", ErrNotInstalled, p)
	}
	return p, nil
}

// ModuleRoot walks up from dir to the directory holding go.mod.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("module root: no go.mod above %s", dir)
		}
		d = parent
	}
}

// Start launches fauxqs from root/node_modules on a free loopback port and waits until it
// answers the SQS API (up to 30 s). Stop it with Stop.
func Start(ctx context.Context, root string) (*Server, error) {
	bin, err := Bin(root)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken between probe and listen
		s, err := start(ctx, bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"FAUXQS_PORT="+strconv.Itoa(port),
		"FAUXQS_LOGGER=false",
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // node's children die with it
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: out, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := s.ping(ctx); err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("fauxqs exited before answering on port %d: %v; output: %s", port, s.err, out.String())
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("wait for fauxqs: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("fauxqs did not answer on port %d within 30 s; output: %s", port, out.String())
		}
	}
}

// ping posts ListQueues, the cheapest SQS call.
func (s *Server) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ListQueues: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Stop ends the fauxqs process group (SIGTERM, then SIGKILL after 3 s). Safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
	})
}

// Output is what fauxqs printed so far (for failure messages).
func (s *Server) Output() string { return s.log.String() }

// Client returns an aws-sdk-go-v2 SQS client for this server (static credentials).
func (s *Server) Client() *sqs.Client { return NewClient(s.Endpoint) }

// NewClient returns an SQS client for a local endpoint with static dummy credentials and
// region us-east-1; local servers do not check signatures.
func NewClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// CreateQueue creates a standard queue and returns its URL.
func (s *Server) CreateQueue(ctx context.Context, name string) (string, error) {
	out, err := s.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// New starts fauxqs for a test and stops it when the test ends. Without node_modules the
// test is skipped, unless LAMBDABRIDGE_REQUIRE_DB=1 (CI), where it fails asking for npm ci.
func New(tb testing.TB) *Server {
	tb.Helper()
	root, err := ModuleRoot(".")
	if err != nil {
		tb.Fatalf("sqslocal: %v", err)
	}
	return newAt(tb, root)
}

// NewQueue starts fauxqs for a test (as New does) and creates one standard queue named name:
// the dead-letter queue most tests need. It returns the server and the queue's URL.
func NewQueue(tb testing.TB, name string) (*Server, string) {
	tb.Helper()
	s := New(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := s.CreateQueue(ctx, name)
	if err != nil {
		tb.Fatalf("sqslocal: %v", err)
	}
	return s, url
}

func newAt(tb testing.TB, root string) *Server {
	tb.Helper()
	if _, err := Bin(root); err != nil {
		if os.Getenv("LAMBDABRIDGE_REQUIRE_DB") == "1" {
			tb.Fatalf("sqslocal: %v — run npm ci (LAMBDABRIDGE_REQUIRE_DB=1 forbids skipping)", err)
		}
		tb.Skipf("sqslocal: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start(ctx, root)
	if err != nil {
		tb.Fatalf("sqslocal: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 { // keep the head; fauxqs is quiet with its logger off
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
