package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/lambdabridge/lambdabridge/handlers/source"
)

// The variables of secret request headers kept in SSM Parameter Store: infra sets them when
// the stack has lambdabridge:sourceHeaders. The environment holds the parameter's name, never
// a header value.
const (
	// varHeadersParameter names the SecureString parameter holding the headers, a JSON object
	// of header name to value (source.ParseHeaders).
	varHeadersParameter = "SOURCE_HEADERS_PARAMETER"
	// varHeadersDualStack makes the SSM client call the dual-stack endpoint
	// (ssm.<region>.api.aws): a relay whose only way out is IPv6 (planner.SecretOverIPv6).
	varHeadersDualStack = "SOURCE_HEADERS_DUALSTACK"
)

// HeadersReadTimeout bounds the read of the secret headers at cold start, inside Lambda's
// 10-second init phase; a read that fails there is tried again by the first invocation.
const HeadersReadTimeout = 5 * time.Second

// ParameterAPI is what reading the secret headers needs of an SSM client (*ssm.Client).
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// NewParameterClient is the SSM client of a function's environment: the SDK's default
// configuration (region and credentials from the Lambda runtime's variables; an endpoint from
// AWS_ENDPOINT_URL_SSM, as the local pipeline sets it), on the dual-stack endpoint when
// dualStack is set.
func NewParameterClient(ctx context.Context, dualStack bool) (*ssm.Client, error) {
	var opts []func(*config.LoadOptions) error
	if dualStack {
		opts = append(opts, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("source headers: load AWS config: %w", err)
	}
	return ssm.NewFromConfig(cfg), nil
}

// ReadHeaders reads the SecureString parameter name through api, decrypted (Parameter Store
// calls KMS Decrypt once for it), and parses it with source.ParseHeaders. Its errors name the
// parameter and at most a header, never a value.
func ReadHeaders(ctx context.Context, api ParameterAPI, name string) (map[string]string, error) {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("source headers: read SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, fmt.Errorf("source headers: SSM parameter %s has no value", name)
	}
	h, err := source.ParseHeaders(aws.ToString(out.Parameter.Value))
	if err != nil {
		return nil, fmt.Errorf("source headers: SSM parameter %s is %w", name, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("source headers: SSM parameter %s is empty", name)
	}
	return h, nil
}

// headerLoader reads the secret headers once and hands them to the HTTP source; until a read
// succeeds, every fetch tries again first (a cold start's failed read does not poison the
// environment).
type headerLoader struct {
	api  ParameterAPI
	name string

	mu     sync.Mutex
	loaded bool
}

// load reads the headers into src unless they are loaded already.
func (l *headerLoader) load(ctx context.Context, src *source.Fetcher) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded {
		return nil
	}
	h, err := ReadHeaders(ctx, l.api, l.name)
	if err != nil {
		return err
	}
	if err := src.SetHeaders(h); err != nil {
		return fmt.Errorf("source headers: SSM parameter %s: %w", l.name, err)
	}
	l.loaded = true
	return nil
}

// UseSecretHeaders makes f send the headers the SecureString parameter name holds, read
// through api before the first fetch, then kept. Preload reads them now.
func (f *Fetcher) UseSecretHeaders(api ParameterAPI, name string) {
	f.headers = &headerLoader{api: api, name: name}
}

// Preload reads the secret headers at cold start, within HeadersReadTimeout; a failure is
// logged (without any value) and left to the first fetch to try again.
func (f *Fetcher) Preload(ctx context.Context) {
	if f.headers == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, HeadersReadTimeout)
	defer cancel()
	if err := f.headers.load(ctx, f.source); err != nil && f.Logger != nil {
		f.Logger.LogAttrs(ctx, slog.LevelWarn, "source headers not read at cold start; the first fetch tries again", slog.String("error", err.Error()))
	}
}

// loadHeaders makes sure the secret headers (if any) are in place before a fetch.
func (f *Fetcher) loadHeaders(ctx context.Context) error {
	if f.headers == nil {
		return nil
	}
	return f.headers.load(ctx, f.source)
}

// SecretHeadersFromEnv wires f to the parameter the settings name (a no-op without one): an
// SSM client of the function's environment, and a cold-start read (Preload).
func SecretHeadersFromEnv(ctx context.Context, f *Fetcher, s SourceSettings) error {
	if s.HeadersParameter == "" {
		return nil
	}
	client, err := NewParameterClient(ctx, s.HeadersDualStack)
	if err != nil {
		return err
	}
	f.UseSecretHeaders(client, s.HeadersParameter)
	f.Preload(ctx)
	return nil
}

// errHeadersTwice is the settings error for headers given both ways.
var errHeadersTwice = errors.New("SOURCE_HEADERS and SOURCE_HEADERS_PARAMETER both give the request headers: set one (infra sets the parameter; SOURCE_HEADERS names variables holding values)")
