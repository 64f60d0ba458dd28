package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/lambdas"
)

// The handler packages the pipeline runs (bootstrap main packages, named by package lambdas).
const (
	FetchPackage = lambdas.Fetcher
	WritePackage = lambdas.Writer
	RelayPackage = lambdas.Relay
)

// Spec says which function to start and with what environment (the variables infra sets).
type Spec struct {
	// Name is the function name ("fetcher", "writer", "relay").
	Name string
	// Package is the bootstrap's main package (FetchPackage, ...).
	Package string
	// Env is the function's environment.
	Env map[string]string
	// Timeout is the function's timeout (0: the runtime's default).
	Timeout time.Duration
}

// ARN is the function ARN used in records for a local function name.
func ARN(name string) string {
	return "arn:aws:lambda:us-east-1:000000000000:function:lambdabridge-local-" + name
}

// Runtime starts functions. The pipeline uses the Runtime Interface Emulator with the real
// bootstrap binaries; InProcess runs the same handler packages inside the test binary.
type Runtime interface {
	// Start starts one function and returns it with a stop function.
	Start(ctx context.Context, s Spec) (lambdaasync.Function, func(), error)
	// Name describes the runtime for output.
	Name() string
}

// InProcess runs the handlers' cold-start wiring (fetcher.HandlerFromEnv, writer.NewFromEnv,
// relay.NewFromEnv) and Handle methods in this process: the same code as the bootstraps,
// minus the Lambda runtime API loop. Env is passed through the handlers' getenv, and its
// AWS_* variables are also exported to the process (the AWS SDK's own chain reads them there).
type InProcess struct {
	// Logs receives the handlers' log lines (nil discards).
	Logs io.Writer
}

// Name implements Runtime.
func (InProcess) Name() string { return "in-process" }

// Start implements Runtime.
func (r InProcess) Start(ctx context.Context, s Spec) (lambdaasync.Function, func(), error) {
	logs := r.Logs
	if logs == nil {
		logs = io.Discard
	}
	getenv := func(k string) string { return s.Env[k] }
	// The AWS SDK's default chain (region, credentials, AWS_ENDPOINT_URL_S3) reads the process
	// environment, not getenv: export the AWS_* variables (shared by every in-process function).
	for k, v := range s.Env {
		if strings.HasPrefix(k, "AWS_") {
			if err := os.Setenv(k, v); err != nil {
				return nil, nil, fmt.Errorf("start %s in process: %w", s.Name, err)
			}
		}
	}
	var h handler
	stop := func() {}
	switch s.Package {
	case FetchPackage:
		f, err := fetcher.HandlerFromEnv(ctx, getenv, logs)
		if err != nil {
			return nil, nil, fmt.Errorf("start %s in process: %w", s.Name, err)
		}
		h = func(ctx context.Context, p json.RawMessage) ([]byte, error) { return f(ctx, p) }
	case WritePackage:
		w, closeStore, err := writer.NewFromEnv(ctx, getenv, slog.New(slog.NewJSONHandler(logs, nil)))
		if err != nil {
			return nil, nil, fmt.Errorf("start %s in process: %w", s.Name, err)
		}
		stop = closeStore
		h = marshalled(w.Handle)
	case RelayPackage:
		rl, closeStore, err := relay.NewFromEnv(ctx, getenv, logs)
		if err != nil {
			return nil, nil, fmt.Errorf("start %s in process: %w", s.Name, err)
		}
		stop = closeStore
		h = marshalled(rl.Handle)
	default:
		return nil, nil, fmt.Errorf("start %s in process: package %s is not wired in process", s.Name, s.Package)
	}
	var mu sync.Mutex // a Lambda execution environment runs one invocation at a time
	arn := ARN(s.Name)
	fn := lambdaasync.FunctionFunc(func(ctx context.Context, requestID string, payload []byte) (lambdaasync.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: arn})
		out, err := h(ctx, payload)
		if err != nil {
			return lambdaasync.Response{Payload: ErrorPayload(err), FunctionError: "Unhandled"}, nil
		}
		return lambdaasync.Response{Payload: out}, nil
	})
	return fn, stop, nil
}

// handler is a function's Handle with its response as the bytes Lambda returns.
type handler = func(ctx context.Context, payload json.RawMessage) ([]byte, error)

// marshalled adapts a Handle with a typed response to a handler, JSON-encoding the
// response as aws-lambda-go does.
func marshalled[T any](handle func(context.Context, json.RawMessage) (T, error)) handler {
	return func(ctx context.Context, p json.RawMessage) ([]byte, error) {
		out, err := handle(ctx, p)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// ErrorPayload renders err as the error object aws-lambda-go returns for a handler error:
// {"errorMessage": ..., "errorType": <the error's type name>}.
func ErrorPayload(err error) []byte {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{err.Error(), t.Name()})
	return b
}

// ErrorMessage extracts errorMessage from a function's error payload (or returns it whole).
func ErrorMessage(payload []byte) string {
	var e struct {
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &e) == nil && e.Message != "" {
		return e.Message
	}
	return strings.TrimSpace(string(payload))
}
