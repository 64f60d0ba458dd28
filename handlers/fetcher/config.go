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
	// DefaultMarginPercent is the share of ASYNC_LIMIT_BYTES kept free when RECORD_MARGIN_BYTES
	// is unset. It equals planner.RecordMarginPercent (a test holds them together); the handler
	// does not import the planner so that price-book edits do not change the bootstrap's bytes.
	DefaultMarginPercent = 5
)

// Config is the fetcher's configuration, read once at cold start (ConfigFromEnv).
type Config struct {
	SourceURL string // SOURCE_URL (required)
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
	MaxBodyBytes      int64             // MAX_BODY_BYTES (default source.DefaultMaxBodyBytes)
	ConnectTimeout    time.Duration     // CONNECT_TIMEOUT (default source.DefaultConnectTimeout)
	FetchTimeout      time.Duration     // FETCH_TIMEOUT, per attempt (default source.DefaultTimeout)
	Retries           int               // FETCH_RETRIES (default 2)
	ExpectJSON        bool              // EXPECT_JSON (default false)
	Headers           map[string]string // from SOURCE_HEADERS; values are secrets
	ForcePathStyle    bool              // S3_FORCE_PATH_STYLE
}

// ConfigFromEnv reads and validates the configuration through getenv (os.Getenv in main).
// Every error names the variable and the accepted form.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		SourceURL: strings.TrimSpace(getenv("SOURCE_URL")),
		Mode:      strings.TrimSpace(getenv("MODE")),
		Bucket:    strings.TrimSpace(getenv("BUCKET")),
		KeyPrefix: getenv("KEY_PREFIX"),
		Retries:   DefaultRetries,
	}
	if c.SourceURL == "" {
		errs = append(errs, errors.New("SOURCE_URL is required (the http or https URL to fetch)"))
	}
	if c.Mode == "" {
		c.Mode = ModeDestination
	}
	if c.Mode != ModeDestination && c.Mode != ModeS3 {
		errs = append(errs, fmt.Errorf("MODE=%q: want %q or %q", c.Mode, ModeDestination, ModeS3))
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = blob.DefaultPrefix
	}
	var err error
	boolVar := func(name string, dst *bool) {
		if *dst, err = blob.ParseBool(name, getenv(name), false); err != nil {
			errs = append(errs, err)
		}
	}
	boolVar("SPILL", &c.Spill)
	boolVar("EXPECT_JSON", &c.ExpectJSON)
	boolVar("S3_FORCE_PATH_STYLE", &c.ForcePathStyle)
	intVar := func(name string, dst *int64) bool {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number of bytes ≥ 0", name, v))
			return false
		}
		*dst = n
		return true
	}
	hasLimit := intVar("ASYNC_LIMIT_BYTES", &c.AsyncLimitBytes)
	hasMargin := intVar("RECORD_MARGIN_BYTES", &c.RecordMarginBytes)
	intVar("MAX_BODY_BYTES", &c.MaxBodyBytes)
	var retries int64 = DefaultRetries
	intVar("FETCH_RETRIES", &retries)
	c.Retries = int(min(retries, 10))
	if retries > 10 {
		errs = append(errs, fmt.Errorf("FETCH_RETRIES=%d: want 0 to 10", retries))
	}
	durVar := func(name string, dst *time.Duration) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive Go duration such as 5s or 1m30s", name, v))
			return
		}
		*dst = d
	}
	durVar("CONNECT_TIMEOUT", &c.ConnectTimeout)
	durVar("FETCH_TIMEOUT", &c.FetchTimeout)
	if c.Headers, err = source.HeadersFromEnv(getenv("SOURCE_HEADERS"), getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Mode == ModeDestination && (!hasLimit || c.AsyncLimitBytes == 0) {
		errs = append(errs, errors.New("ASYNC_LIMIT_BYTES is required in MODE=destination (the async payload limit in bytes, from the planner's price book)"))
	}
	if !hasMargin && c.AsyncLimitBytes > 0 {
		c.RecordMarginBytes = c.AsyncLimitBytes * DefaultMarginPercent / 100
	}
	if c.AsyncLimitBytes > 0 && c.RecordMarginBytes >= c.AsyncLimitBytes {
		errs = append(errs, fmt.Errorf("RECORD_MARGIN_BYTES=%d leaves no room under ASYNC_LIMIT_BYTES=%d", c.RecordMarginBytes, c.AsyncLimitBytes))
	}
	if c.Mode == ModeS3 && c.Bucket == "" {
		errs = append(errs, errors.New("BUCKET is required in MODE=s3"))
	}
	if c.Spill && c.Bucket == "" {
		errs = append(errs, errors.New("BUCKET is required when SPILL=true"))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("fetcher config: %w", errors.Join(errs...))
	}
	return c, nil
}

// SourceConfig is the source.Config this configuration describes.
func (c Config) SourceConfig() source.Config {
	return source.Config{
		URL:            c.SourceURL,
		ConnectTimeout: c.ConnectTimeout,
		Timeout:        c.FetchTimeout,
		Retries:        c.Retries,
		MaxBodyBytes:   c.MaxBodyBytes,
		ExpectJSON:     c.ExpectJSON,
		Headers:        c.Headers,
	}
}

// NeedsBucket reports whether this configuration writes to S3.
func (c Config) NeedsBucket() bool { return c.Mode == ModeS3 || c.Spill }
