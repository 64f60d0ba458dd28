package fetcher

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/source"
)

// Modes of the fetcher (env MODE).
const (
	// ModeDestination returns the envelope, for an onSuccess Lambda destination to carry.
	ModeDestination = "destination"
	// ModeS3 PUTs the envelope to S3 and returns the pointer.
	ModeS3 = "s3"
)

// Default values of the optional settings.
const (
	// DefaultRetries is FETCH_RETRIES when unset.
	DefaultRetries = 2
	// MaxRetries is the largest FETCH_RETRIES accepted.
	MaxRetries = 10
	// DefaultMarginPercent is the share of ASYNC_LIMIT_BYTES kept free when RECORD_MARGIN_BYTES
	// is unset. It equals planner.RecordMarginPercent (a test holds them together); the handler
	// does not import the planner so that price-book edits do not change the bootstrap's bytes.
	DefaultMarginPercent = 5
)

// Config is the fetcher's configuration, read once at cold start (ConfigFromEnv).
type Config struct {
	// Source is the HTTP source (SourceConfigFromEnv's variables).
	Source    source.Config
	Mode      string // MODE: destination (default) | s3
	Bucket    string // BUCKET: required for MODE=s3 and for SPILL=true
	KeyPrefix string // KEY_PREFIX (default "fetches/")
	Spill     bool   // SPILL: in destination mode, PUT to S3 and return a pointer when the record would not fit
	// AsyncLimitBytes is ASYNC_LIMIT_BYTES, the async payload limit from the planner's price
	// book (infra sets it). Required in destination mode.
	AsyncLimitBytes int64
	// RecordMarginBytes is RECORD_MARGIN_BYTES, headroom kept under the limit for Lambda's
	// own serialization of the record. Unset: ⌊AsyncLimitBytes × DefaultMarginPercent / 100⌋,
	// the planner's margin (infra should pass the planner's figure explicitly).
	RecordMarginBytes int64
	ForcePathStyle    bool // S3_FORCE_PATH_STYLE
}

// envReader parses environment variables, collecting one error per bad variable.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (r *envReader) str(name string) string { return strings.TrimSpace(r.getenv(name)) }

func (r *envReader) boolean(name string) bool {
	v, err := blob.ParseBool(name, r.getenv(name), false)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return v
}

// bytes reads a whole number ≥ 0; set reports whether the variable was given.
func (r *envReader) bytes(name string) (n int64, set bool) {
	v := r.str(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a whole number of bytes ≥ 0", name, v))
		return 0, false
	}
	return n, true
}

func (r *envReader) duration(name string) time.Duration {
	v := r.str(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a positive Go duration such as 5s or 1m30s", name, v))
		return 0
	}
	return d
}

func (r *envReader) fail(err error) { r.errs = append(r.errs, err) }

func (r *envReader) err(what string) error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", what, errors.Join(r.errs...))
}

// SourceConfigFromEnv reads the HTTP source's variables (shared by the fetcher and the relay):
// SOURCE_URL (required), MAX_BODY_BYTES, CONNECT_TIMEOUT, FETCH_TIMEOUT (per attempt),
// FETCH_RETRIES (0-10, default 2), EXPECT_JSON and SOURCE_HEADERS. Zero values take the
// source package's defaults. Every error names the variable and the accepted form.
func SourceConfigFromEnv(getenv func(string) string) (source.Config, error) {
	r := &envReader{getenv: getenv}
	c := sourceFromEnv(r)
	return c, r.err("source config")
}

func sourceFromEnv(r *envReader) source.Config {
	c := source.Config{
		URL:            r.str("SOURCE_URL"),
		ConnectTimeout: r.duration("CONNECT_TIMEOUT"),
		Timeout:        r.duration("FETCH_TIMEOUT"),
		Retries:        DefaultRetries,
		ExpectJSON:     r.boolean("EXPECT_JSON"),
	}
	if c.URL == "" {
		r.fail(errors.New("SOURCE_URL is required (the http or https URL to fetch)"))
	}
	c.MaxBodyBytes, _ = r.bytes("MAX_BODY_BYTES")
	if n, set := r.bytes("FETCH_RETRIES"); set {
		if n > MaxRetries {
			r.fail(fmt.Errorf("FETCH_RETRIES=%d: want 0 to %d", n, MaxRetries))
		}
		c.Retries = int(min(n, MaxRetries))
	}
	h, err := source.HeadersFromEnv(r.getenv("SOURCE_HEADERS"), r.getenv)
	if err != nil {
		r.fail(err)
	}
	c.Headers = h
	return c
}

// ConfigFromEnv reads and validates the fetcher's configuration through getenv (os.Getenv in
// main): the source's variables (SourceConfigFromEnv) plus MODE, BUCKET, KEY_PREFIX, SPILL,
// ASYNC_LIMIT_BYTES, RECORD_MARGIN_BYTES and S3_FORCE_PATH_STYLE. Every error names the
// variable and the accepted form.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := &envReader{getenv: getenv}
	c := Config{
		Source:         sourceFromEnv(r),
		Mode:           r.str("MODE"),
		Bucket:         r.str("BUCKET"),
		KeyPrefix:      getenv("KEY_PREFIX"),
		Spill:          r.boolean("SPILL"),
		ForcePathStyle: r.boolean("S3_FORCE_PATH_STYLE"),
	}
	if c.Mode == "" {
		c.Mode = ModeDestination
	}
	if c.Mode != ModeDestination && c.Mode != ModeS3 {
		r.fail(fmt.Errorf("MODE=%q: want %q or %q", c.Mode, ModeDestination, ModeS3))
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = blob.DefaultPrefix
	}
	var hasLimit, hasMargin bool
	c.AsyncLimitBytes, hasLimit = r.bytes("ASYNC_LIMIT_BYTES")
	c.RecordMarginBytes, hasMargin = r.bytes("RECORD_MARGIN_BYTES")
	if c.Mode == ModeDestination && (!hasLimit || c.AsyncLimitBytes == 0) {
		r.fail(errors.New("ASYNC_LIMIT_BYTES is required in MODE=destination (the async payload limit in bytes, from the planner's price book)"))
	}
	if !hasMargin && c.AsyncLimitBytes > 0 {
		c.RecordMarginBytes = c.AsyncLimitBytes * DefaultMarginPercent / 100
	}
	if c.AsyncLimitBytes > 0 && c.RecordMarginBytes >= c.AsyncLimitBytes {
		r.fail(fmt.Errorf("RECORD_MARGIN_BYTES=%d leaves no room under ASYNC_LIMIT_BYTES=%d", c.RecordMarginBytes, c.AsyncLimitBytes))
	}
	if c.Mode == ModeS3 && c.Bucket == "" {
		r.fail(errors.New("BUCKET is required in MODE=s3"))
	}
	if c.Spill && c.Bucket == "" {
		r.fail(errors.New("BUCKET is required when SPILL=true"))
	}
	if err := r.err("fetcher config"); err != nil {
		return Config{}, err
	}
	return c, nil
}

// NeedsBucket reports whether this configuration writes to S3.
func (c Config) NeedsBucket() bool { return c.Mode == ModeS3 || c.Spill }
