package config

import (
	"fmt"
	"maps"
	"strings"

	"github.com/lambdabridge/lambdabridge/handlers/source"
)

// MaxSourceHeadersBytes is the longest lambdabridge:sourceHeaders value (as stored: the JSON
// object source.EncodeHeaders writes): infra keeps it in a standard SSM Parameter Store
// parameter, whose value is at most 4 KB.
// https://docs.aws.amazon.com/general/latest/gr/ssm.html (Parameter Store: "Maximum size for
// parameter value: Standard parameter: 4 KB")
const MaxSourceHeadersBytes = 4096

// SourceHeaders is the value of lambdabridge:sourceHeaders: the source's secret request
// headers (an API key, a bearer token). A stack file holds it encrypted (`pulumi config set
// --secret`), which only Pulumi can decrypt: read from there it is set but not readable, and
// the planner needs no more than whether it is set. Its String and GoString never show a value.
type SourceHeaders struct {
	values map[string]string
	set    bool
}

// NewSourceHeaders holds h as a readable value (none when h is empty).
func NewSourceHeaders(h map[string]string) SourceHeaders {
	if len(h) == 0 {
		return SourceHeaders{}
	}
	return SourceHeaders{values: maps.Clone(h), set: true}
}

// IsSet says whether the key has a value, readable or not.
func (s SourceHeaders) IsSet() bool { return s.set }

// Readable says whether the value is known here (not an encrypted stack-file value).
func (s SourceHeaders) Readable() bool { return s.values != nil }

// Headers returns a copy of the headers (nil when unset or unreadable).
func (s SourceHeaders) Headers() map[string]string { return maps.Clone(s.values) }

// Names lists the header names, sorted (nil when unset or unreadable): what may be shown.
func (s SourceHeaders) Names() []string {
	if s.values == nil {
		return nil
	}
	return source.HeaderNames(s.values)
}

// Encoded is the value as infra stores it (source.EncodeHeaders); "" when unset or unreadable.
func (s SourceHeaders) Encoded() string {
	if s.values == nil {
		return ""
	}
	return source.EncodeHeaders(s.values)
}

// String describes the value without showing it: "(none)", "(secret: encrypted, not
// readable here)" or "(secret: Authorization, X-Api-Key)".
func (s SourceHeaders) String() string {
	switch {
	case !s.set:
		return "(none)"
	case s.values == nil:
		return "(secret: encrypted, not readable here)"
	}
	return "(secret: " + strings.Join(s.Names(), ", ") + ")"
}

// GoString is String, so that %#v of a Config does not print the values either.
func (s SourceHeaders) GoString() string { return s.String() }

// parseSourceHeaders checks a lambdabridge:sourceHeaders value: the form source.ParseHeaders
// reads, at most MaxSourceHeadersBytes once stored. Errors never repeat a value.
func parseSourceHeaders(raw string) (any, error) {
	h, err := source.ParseHeaders(raw)
	if err != nil {
		return nil, badHeaders("the secret value", err)
	}
	s := NewSourceHeaders(h)
	if n := len(s.Encoded()); n > MaxSourceHeadersBytes {
		return nil, fmt.Errorf("the secret value takes %d bytes stored, over the %d bytes of a standard SSM parameter", n, MaxSourceHeadersBytes)
	}
	return s, nil
}

// badHeaders says what is wrong with headers that source.ParseHeaders refused, as "<what> is
// not a JSON object ..." or "<what> is not usable: header ...": its message names a header at
// most, never a value.
func badHeaders(what string, err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, "not ") {
		return fmt.Errorf("%s is %s", what, msg)
	}
	return fmt.Errorf("%s is not usable: %w", what, err)
}

// opaqueSourceHeaders is the value of an encrypted lambdabridge:sourceHeaders in a stack file.
var opaqueSourceHeaders = SourceHeaders{set: true}

// HeadersEnv is the environment variable that gives commands run outside Pulumi (cmd/plan
// --measure-stack, cmd/local) the source's request headers, in the form of
// lambdabridge:sourceHeaders. A stack file holds that key encrypted, which only Pulumi can
// decrypt:
//
//	export LAMBDABRIDGE_SOURCE_HEADERS="$(pulumi config get sourceHeaders)"
const HeadersEnv = "LAMBDABRIDGE_SOURCE_HEADERS"

// LocalHeaders are the request headers a command run outside Pulumi sends to the stack's
// source: HeadersEnv's (read through getenv) when it is set, else the stack key's when it is
// readable (a plain-text value). The notes say, without a value, where the headers came from
// and what is amiss: an encrypted key (with the command that fills HeadersEnv), a key in
// plain text, or headers the deployed fetcher would not send. A malformed HeadersEnv is an
// error naming the variable, never its value.
func (c Config) LocalHeaders(getenv func(string) string) (map[string]string, []string, error) {
	key := c.SourceHeaders
	if raw := getenv(HeadersEnv); strings.TrimSpace(raw) != "" {
		h, err := source.ParseHeaders(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", HeadersEnv, badHeaders("the value", err))
		}
		notes := []string{fmt.Sprintf("headers from %s (values not shown)", HeadersEnv)}
		if !key.IsSet() {
			notes = append(notes, fmt.Sprintf("note: the stack sets no %s, so the deployed fetcher would send none of these headers: pulumi config set --secret sourceHeaders \"$%s\"", ns("sourceHeaders"), HeadersEnv))
		}
		return h, notes, nil
	}
	switch {
	case key.IsSet() && !key.Readable():
		return nil, []string{fmt.Sprintf(`%s is set but encrypted (secure:): only Pulumi can decrypt it, so no headers are sent; to send them: export %s="$(pulumi config get sourceHeaders)"`, ns("sourceHeaders"), HeadersEnv)}, nil
	case key.IsSet():
		return key.Headers(), []string{fmt.Sprintf("headers from %s, which the stack file holds in plain text: set it with pulumi config set --secret sourceHeaders", ns("sourceHeaders"))}, nil
	}
	return nil, nil, nil
}
