// Package source fetches the configured third-party URL for the fetcher and relay: an HTTP GET
// with a connect timeout and a per-attempt total timeout, bounded retries with exponential
// backoff and full jitter on 5xx, 429, timeouts and connection errors (honouring Retry-After),
// a body-size cap, optional secret request headers and an optional JSON validity check.
//
// Header values are never logged, and neither is the URL's query string or the body.
package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 30 * time.Second
	DefaultMaxBodyBytes   = 50 << 20 // 50 MiB
	DefaultBaseDelay      = 200 * time.Millisecond
	DefaultMaxDelay       = 5 * time.Second
	DefaultMaxRetryAfter  = 30 * time.Second
)

// ErrBodyTooLarge is wrapped by Fetch when the body exceeds Config.MaxBodyBytes.
var ErrBodyTooLarge = errors.New("body exceeds the size cap")

// ErrNotJSON is wrapped by Fetch when Config.ExpectJSON is set and the body is not valid JSON.
var ErrNotJSON = errors.New("body is not valid JSON")

// Config describes one source. Zero durations and sizes take the Default* values.
type Config struct {
	URL            string
	ConnectTimeout time.Duration // TCP connect and TLS handshake, per attempt
	Timeout        time.Duration // whole attempt: connect, headers and body
	Retries        int           // attempts after the first; 0 means a single attempt
	MaxBodyBytes   int64
	ExpectJSON     bool
	Headers        map[string]string // request headers; values are secrets and never logged
	BaseDelay      time.Duration     // backoff base: attempt n waits rand[0, min(MaxDelay, BaseDelay·2ⁿ))
	MaxDelay       time.Duration
	MaxRetryAfter  time.Duration // a server's Retry-After is honoured up to this long
}

// Result is a successful fetch.
type Result struct {
	Body        []byte
	Status      int
	ContentType string
	FetchedAt   time.Time // when the successful response's headers arrived (UTC)
	Attempts    int
	Duration    time.Duration // whole fetch, retries and waits included
}

// Fetcher performs fetches of one Config. Its fields after New may be replaced in tests.
type Fetcher struct {
	cfg    Config
	client *http.Client
	// Sleep waits d or until ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (Retry-After dates, FetchedAt, durations).
	Now func() time.Time
	// Rand returns a uniform value in [0, n) for n > 0 (backoff jitter).
	Rand func(n int64) int64
	// Logger receives one record per attempt; never header values, the query string or the body.
	Logger *slog.Logger
}

// New validates cfg, applies defaults and returns a Fetcher using the real clock, sleep and rand.
func New(cfg Config) (*Fetcher, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("source: URL %q must be an absolute http or https URL", SafeURL(cfg.URL))
	}
	if cfg.Retries < 0 {
		return nil, fmt.Errorf("source: retries must be ≥ 0, got %d", cfg.Retries)
	}
	for name := range cfg.Headers {
		if !validHeaderName(name) {
			return nil, fmt.Errorf("source: %q is not a valid HTTP header name", name)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.ConnectTimeout, DefaultConnectTimeout)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.BaseDelay, DefaultBaseDelay)
	def(&cfg.MaxDelay, DefaultMaxDelay)
	def(&cfg.MaxRetryAfter, DefaultMaxRetryAfter)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Fetcher{
		cfg:    cfg,
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout},
		Sleep:  sleepCtx,
		Now:    time.Now,
		Rand:   rand.Int64N,
		Logger: slog.Default(),
	}, nil
}

// Config returns the effective configuration (defaults applied).
func (f *Fetcher) Config() Config { return f.cfg }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attemptError is one failed attempt: whether to retry, and any Retry-After the server asked for.
type attemptError struct {
	err        error
	retryable  bool
	retryAfter time.Duration // 0: none given
}

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

// Fetch GETs the source, retrying transient failures, and returns the body. The whole fetch is
// bounded by ctx (the Lambda deadline): a wait that would outlast it ends the retries early.
func (f *Fetcher) Fetch(ctx context.Context) (*Result, error) {
	start := f.Now()
	target := SafeURL(f.cfg.URL)
	maxAttempts := f.cfg.Retries + 1
	var last *attemptError
	attempts := 0
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		attempts = attempt
		t0 := f.Now()
		res, aerr := f.attempt(ctx)
		elapsed := f.Now().Sub(t0)
		if aerr == nil {
			res.Attempts = attempt
			res.Duration = f.Now().Sub(start)
			f.Logger.LogAttrs(ctx, slog.LevelInfo, "fetch attempt", slog.String("url", target), slog.Int("attempt", attempt),
				slog.Int("status", res.Status), slog.Int("bytes", len(res.Body)), slog.Int64("durationMs", elapsed.Milliseconds()))
			return res, nil
		}
		last = aerr
		if !aerr.retryable || attempt == maxAttempts || ctx.Err() != nil {
			f.Logger.LogAttrs(ctx, slog.LevelWarn, "fetch attempt failed", slog.String("url", target), slog.Int("attempt", attempt),
				slog.String("error", aerr.Error()), slog.Int64("durationMs", elapsed.Milliseconds()))
			break
		}
		wait := f.backoff(attempt, aerr.retryAfter)
		f.Logger.LogAttrs(ctx, slog.LevelWarn, "fetch attempt failed, retrying", slog.String("url", target), slog.Int("attempt", attempt),
			slog.String("error", aerr.Error()), slog.Int64("durationMs", elapsed.Milliseconds()), slog.Int64("retryInMs", wait.Milliseconds()))
		if dl, ok := ctx.Deadline(); ok && f.Now().Add(wait).After(dl) {
			return nil, fmt.Errorf("source: GET %s: giving up after %d attempts: waiting %v would pass the deadline: %w", target, attempt, wait, aerr)
		}
		if err := f.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("source: GET %s: interrupted after %d attempts (%v), last error: %w", target, attempt, err, aerr)
		}
	}
	if !last.retryable {
		return nil, fmt.Errorf("source: GET %s: %w", target, last)
	}
	return nil, fmt.Errorf("source: GET %s: failed after %d attempts: %w", target, attempts, last)
}

// backoff is the wait before attempt n+1: full jitter over min(MaxDelay, BaseDelay·2^(n-1)),
// raised to the server's Retry-After (itself capped at MaxRetryAfter) when one was given.
func (f *Fetcher) backoff(n int, retryAfter time.Duration) time.Duration {
	ceiling := f.cfg.MaxDelay
	if shift := n - 1; shift < 32 {
		if d := f.cfg.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	var wait time.Duration
	if ceiling > 0 {
		wait = time.Duration(f.Rand(int64(ceiling)))
	}
	if retryAfter > 0 {
		wait = max(wait, min(retryAfter, f.cfg.MaxRetryAfter))
	}
	return wait
}

func (f *Fetcher) attempt(ctx context.Context) (*Result, *attemptError) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return nil, &attemptError{err: fmt.Errorf("build request: %w", err)}
	}
	for k, v := range f.cfg.Headers {
		req.Header.Set(k, v)
	}
	if f.cfg.ExpectJSON && req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// Transport failures (timeouts, refused or reset connections) are transient unless
		// the caller's context ended.
		return nil, &attemptError{err: scrub(err, f.cfg.URL), retryable: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &attemptError{err: fmt.Errorf("status %d", resp.StatusCode), retryable: true,
			retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), f.Now())}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &attemptError{err: fmt.Errorf("status %d (not retried)", resp.StatusCode)}
	}
	fetchedAt := f.Now().UTC()
	limit := f.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return nil, &attemptError{err: fmt.Errorf("%w: Content-Length %d > cap %d bytes", ErrBodyTooLarge, resp.ContentLength, limit)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &attemptError{err: fmt.Errorf("read body: %w", scrub(err, f.cfg.URL)), retryable: ctx.Err() == nil}
	}
	if int64(len(body)) > limit {
		return nil, &attemptError{err: fmt.Errorf("%w: read more than the cap of %d bytes", ErrBodyTooLarge, limit)}
	}
	ct := resp.Header.Get("Content-Type")
	if f.cfg.ExpectJSON && !json.Valid(body) {
		return nil, &attemptError{err: fmt.Errorf("%w: %d bytes with content type %q starting %q", ErrNotJSON, len(body), ct, preview(body))}
	}
	return &Result{Body: body, Status: resp.StatusCode, ContentType: ct, FetchedAt: fetchedAt}, nil
}

// preview is the first bytes of a body, for an error message: at most 32 bytes of printable text.
func preview(b []byte) string {
	const n = 32
	if len(b) > n {
		b = b[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '.'
		}
		return r
	}, string(b))
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date. A date in the past,
// a negative or an unreadable value give 0 (no server preference).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// SafeURL returns the URL without user info, query and fragment, which may carry secrets (an
// API key in the query string, a password in the user info). Use it before a source URL is
// logged, returned or put in an error; an unparseable URL gives "<unparseable URL>".
func SafeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// scrub replaces the full URL in a transport error (url.Error quotes it) by its redacted form.
func scrub(err error, full string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %q: %w", ue.Op, SafeURL(full), ue.Err)
	}
	return err
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// HeadersFromEnv resolves a SOURCE_HEADERS spec — a JSON object mapping header name to the name
// of the environment variable holding its value — through getenv. An empty spec gives no
// headers. A missing or empty variable is an error naming the variable, never a value.
func HeadersFromEnv(spec string, getenv func(string) string) (map[string]string, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(spec), &m); err != nil {
		return nil, fmt.Errorf("SOURCE_HEADERS must be a JSON object of header name to env var name, e.g. {\"Authorization\":\"API_TOKEN\"}: %w", err)
	}
	out := make(map[string]string, len(m))
	for header, envName := range m {
		if !validHeaderName(header) {
			return nil, fmt.Errorf("SOURCE_HEADERS: %q is not a valid HTTP header name", header)
		}
		if envName == "" {
			return nil, fmt.Errorf("SOURCE_HEADERS: header %q names no environment variable", header)
		}
		v := getenv(envName)
		if v == "" {
			return nil, fmt.Errorf("SOURCE_HEADERS: header %q: environment variable %s is unset or empty", header, envName)
		}
		out[header] = v
	}
	return out, nil
}
