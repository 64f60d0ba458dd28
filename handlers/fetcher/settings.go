package fetcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envvar"
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

// AsyncLimitVar is the variable holding the async payload limit in bytes, from the planner's
// price book: the fetcher measures its destination record against it, the relay reports
// against it.
const AsyncLimitVar = "ASYNC_LIMIT_BYTES"

// The fetcher's variables (AsyncLimitVar aside).
const (
	varSourceURL      = "SOURCE_URL"
	varConnectTimeout = "CONNECT_TIMEOUT"
	varFetchTimeout   = "FETCH_TIMEOUT"
	varRetries        = "FETCH_RETRIES"
	varMaxBody        = "MAX_BODY_BYTES"
	varExpectJSON     = "EXPECT_JSON"
	varHeaders        = "SOURCE_HEADERS"
	varMode           = "MODE"
	varBucket         = "BUCKET"
	varKeyPrefix      = "KEY_PREFIX"
	varSpill          = "SPILL"
	varMargin         = "RECORD_MARGIN_BYTES"
	varPathStyle      = "S3_FORCE_PATH_STYLE"
)

// SourceSettings is the HTTP source's part of the environment — what to fetch and how —
// shared by the fetcher and the relay. SourceSettingsFromEnv parses it, Env renders it.
type SourceSettings struct {
	// Config is what source.New takes. The environment carries URL (SOURCE_URL, required),
	// ConnectTimeout (CONNECT_TIMEOUT), Timeout (FETCH_TIMEOUT, per attempt), Retries
	// (FETCH_RETRIES, 0-10; unset gives DefaultRetries), MaxBodyBytes (MAX_BODY_BYTES),
	// ExpectJSON (EXPECT_JSON) and Headers, the header values. Zero durations and sizes take
	// the source package's defaults; the backoff fields are not part of the environment.
	Config source.Config
	// HeaderVars names, for each header, the variable that carries its value: SOURCE_HEADERS
	// is the JSON object of header name to variable name, so that a value (an API token)
	// can come from a secret and never appears in SOURCE_HEADERS. Env renders the headers
	// HeaderVars names, with their values from Config.Headers.
	HeaderVars map[string]string
	// HeadersParameter is SOURCE_HEADERS_PARAMETER: the SSM Parameter Store SecureString that
	// holds the headers (lambdabridge:sourceHeaders), read at cold start (SecretHeadersFromEnv)
	// into Config.Headers. Its values are never rendered: the environment holds the name only.
	// Exclusive with HeaderVars.
	HeadersParameter string
	// HeadersDualStack is SOURCE_HEADERS_DUALSTACK: read the parameter through SSM's
	// dual-stack endpoint (a VPC function whose only way out is IPv6).
	HeadersDualStack bool
}

// NewSourceSettings returns the settings of sourceURL with every other field at the value
// SourceSettingsFromEnv gives it when its variable is unset (notably DefaultRetries retries:
// a zero Retries means a single attempt).
func NewSourceSettings(sourceURL string) SourceSettings {
	return SourceSettings{Config: source.Config{URL: sourceURL, Retries: DefaultRetries}}
}

// Env renders the source's variables. A variable at its default value is left out.
func (s SourceSettings) Env() map[string]string {
	e := envvar.Vars{}
	c := s.Config
	e.String(varSourceURL, c.URL)
	e.Duration(varConnectTimeout, c.ConnectTimeout)
	e.Duration(varFetchTimeout, c.Timeout)
	if c.Retries != DefaultRetries {
		e.Int(varRetries, int64(c.Retries))
	}
	if c.MaxBodyBytes > 0 {
		e.Int(varMaxBody, c.MaxBodyBytes)
	}
	e.Bool(varExpectJSON, c.ExpectJSON)
	if len(s.HeaderVars) > 0 {
		spec, _ := json.Marshal(s.HeaderVars) // a map of strings always marshals
		e[varHeaders] = string(spec)
		for header, name := range s.HeaderVars {
			e.String(name, c.Headers[header])
		}
	}
	e.String(varHeadersParameter, s.HeadersParameter)
	e.Bool(varHeadersDualStack, s.HeadersDualStack)
	return e
}

// SourceSettingsFromEnv reads the HTTP source's variables through getenv (see
// SourceSettings). Every error names the variable and the accepted form.
func SourceSettingsFromEnv(getenv func(string) string) (SourceSettings, error) {
	r := envvar.NewReader(getenv)
	s := sourceFromEnv(r)
	if err := r.Err("source settings"); err != nil {
		return SourceSettings{}, err
	}
	return s, nil
}

func sourceFromEnv(r *envvar.Reader) SourceSettings {
	c := source.Config{
		URL:            r.String(varSourceURL),
		ConnectTimeout: r.Duration(varConnectTimeout),
		Timeout:        r.Duration(varFetchTimeout),
		Retries:        DefaultRetries,
		ExpectJSON:     r.Bool(varExpectJSON),
	}
	if c.URL == "" {
		r.Fail(errors.New("SOURCE_URL is required (the http or https URL to fetch)"))
	}
	c.MaxBodyBytes, _ = r.Bytes(varMaxBody)
	if n, set := r.Bytes(varRetries); set {
		if n > MaxRetries {
			r.Fail(fmt.Errorf("%s=%d: want 0 to %d", varRetries, n, MaxRetries))
		}
		c.Retries = int(min(n, MaxRetries))
	}
	s := SourceSettings{Config: c, HeadersParameter: r.String(varHeadersParameter), HeadersDualStack: r.Bool(varHeadersDualStack)}
	spec := r.Raw(varHeaders)
	if s.HeadersParameter != "" && spec != "" {
		r.Fail(errHeadersTwice)
		return s
	}
	h, err := source.HeadersFromEnv(spec, r.Raw)
	if err != nil {
		r.Fail(err)
		return s
	}
	if len(h) > 0 {
		s.Config.Headers = h
		_ = json.Unmarshal([]byte(spec), &s.HeaderVars) // HeadersFromEnv parsed it already
	}
	return s
}

// Settings is the fetcher's environment, read once at cold start (SettingsFromEnv) and
// rendered by infra and the local pipeline (Env). Build one with NewSettings: its fields hold
// the values in force, defaults included.
type Settings struct {
	// Source is what to fetch and how.
	Source    SourceSettings
	Mode      string // MODE: destination (default) | s3
	Bucket    string // BUCKET: required for MODE=s3 and for SPILL=true
	KeyPrefix string // KEY_PREFIX (default "fetches/")
	Spill     bool   // SPILL: in destination mode, PUT to S3 and return a pointer when the record would not fit
	// AsyncLimitBytes is ASYNC_LIMIT_BYTES, the async payload limit from the planner's price
	// book (infra sets it). Required in destination mode.
	AsyncLimitBytes int64
	// RecordMarginBytes is RECORD_MARGIN_BYTES, headroom kept under the limit for Lambda's
	// own serialization of the record. Unset: DefaultMargin(AsyncLimitBytes), the planner's
	// margin.
	RecordMarginBytes int64
	ForcePathStyle    bool // S3_FORCE_PATH_STYLE: path-style S3 addressing (local S3 servers)
}

// DefaultMargin is the record margin kept under limit when RECORD_MARGIN_BYTES is unset:
// ⌊limit × DefaultMarginPercent / 100⌋.
func DefaultMargin(limit int64) int64 { return limit * DefaultMarginPercent / 100 }

// NewSettings returns the settings of a destination-mode fetcher of sourceURL under the async
// payload limit asyncLimitBytes, every other field at the value SettingsFromEnv gives it when
// its variable is unset.
func NewSettings(sourceURL string, asyncLimitBytes int64) Settings {
	return Settings{
		Source:            NewSourceSettings(sourceURL),
		Mode:              ModeDestination,
		KeyPrefix:         blob.DefaultPrefix,
		AsyncLimitBytes:   asyncLimitBytes,
		RecordMarginBytes: DefaultMargin(asyncLimitBytes),
	}
}

// Env renders the fetcher's environment, which SettingsFromEnv parses back to s. MODE,
// KEY_PREFIX and SPILL are always written; any other variable at its default is left out.
func (s Settings) Env() map[string]string {
	e := envvar.Vars(s.Source.Env())
	e.String(varMode, s.Mode)
	e.String(varBucket, s.Bucket)
	e.String(varKeyPrefix, s.KeyPrefix)
	e[varSpill] = strconv.FormatBool(s.Spill)
	if s.AsyncLimitBytes > 0 {
		e.Int(AsyncLimitVar, s.AsyncLimitBytes)
	}
	if s.RecordMarginBytes != DefaultMargin(s.AsyncLimitBytes) {
		e.Int(varMargin, s.RecordMarginBytes)
	}
	e.Bool(varPathStyle, s.ForcePathStyle)
	return e
}

// SettingsFromEnv reads and validates the fetcher's settings through getenv (os.Getenv in
// main): the source's variables (SourceSettings) plus MODE, BUCKET, KEY_PREFIX, SPILL,
// ASYNC_LIMIT_BYTES, RECORD_MARGIN_BYTES and S3_FORCE_PATH_STYLE. Every error names the
// variable and the accepted form.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	r := envvar.NewReader(getenv)
	s := Settings{
		Source:         sourceFromEnv(r),
		Mode:           r.String(varMode),
		Bucket:         r.String(varBucket),
		KeyPrefix:      r.Raw(varKeyPrefix),
		Spill:          r.Bool(varSpill),
		ForcePathStyle: r.Bool(varPathStyle),
	}
	if s.Mode == "" {
		s.Mode = ModeDestination
	}
	if s.Mode != ModeDestination && s.Mode != ModeS3 {
		r.Fail(fmt.Errorf("%s=%q: want %q or %q", varMode, s.Mode, ModeDestination, ModeS3))
	}
	if s.KeyPrefix == "" {
		s.KeyPrefix = blob.DefaultPrefix
	}
	var hasLimit, hasMargin bool
	s.AsyncLimitBytes, hasLimit = r.Bytes(AsyncLimitVar)
	s.RecordMarginBytes, hasMargin = r.Bytes(varMargin)
	if s.Mode == ModeDestination && (!hasLimit || s.AsyncLimitBytes == 0) {
		r.Fail(errors.New("ASYNC_LIMIT_BYTES is required in MODE=destination (the async payload limit in bytes, from the planner's price book)"))
	}
	if !hasMargin {
		s.RecordMarginBytes = DefaultMargin(s.AsyncLimitBytes)
	}
	if s.AsyncLimitBytes > 0 && s.RecordMarginBytes >= s.AsyncLimitBytes {
		r.Fail(fmt.Errorf("%s=%d leaves no room under %s=%d", varMargin, s.RecordMarginBytes, AsyncLimitVar, s.AsyncLimitBytes))
	}
	if s.Mode == ModeS3 && s.Bucket == "" {
		r.Fail(errors.New("BUCKET is required in MODE=s3"))
	}
	if s.Spill && s.Bucket == "" {
		r.Fail(errors.New("BUCKET is required when SPILL=true"))
	}
	if err := r.Err("fetcher settings"); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// NeedsBucket reports whether these settings write to S3.
func (s Settings) NeedsBucket() bool { return s.Mode == ModeS3 || s.Spill }
