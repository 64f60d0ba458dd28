package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// HeadersForm is the accepted form of a set of secret request headers, for error messages.
const HeadersForm = `a JSON object of header name to value, e.g. {"Authorization":"Bearer ..."}`

// ParseHeaders reads secret request headers written as one JSON object of header name to
// value: the form of the stack key lambdabridge:sourceHeaders, of the SSM parameter the
// fetcher reads it from, and of LAMBDABRIDGE_SOURCE_HEADERS for cmd/plan and cmd/local.
// Names must be RFC 9110 tokens, given once (case-insensitively); values must be non-empty
// and hold no control characters (CR or LF would split the request). An empty or blank raw
// gives no headers. Errors name a header at most, never a value or the raw text.
func ParseHeaders(raw string) (map[string]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not %s", HeadersForm)
	}
	out := map[string]string{}
	seen := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not %s (the JSON does not parse)", HeadersForm)
		}
		name, _ := tok.(string)
		var value any
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("not %s (the JSON does not parse)", HeadersForm)
		}
		if !validHeaderName(name) {
			return nil, fmt.Errorf("header name %q is not a valid HTTP header name (an RFC 9110 token)", name)
		}
		if other, dup := seen[strings.ToLower(name)]; dup {
			return nil, fmt.Errorf("header %q is given twice (also as %q)", name, other)
		}
		seen[strings.ToLower(name)] = name
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("header %q: the value is not a JSON string", name)
		}
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("header %q: the value is empty", name)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return nil, fmt.Errorf("header %q: the value holds a control character (a line break would split the request)", name)
		}
		out[name] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not %s (the JSON does not parse)", HeadersForm)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not %s (text after the object)", HeadersForm)
	}
	if len(out) == 0 {
		return nil, errors.New("the object names no header: leave the value empty for none")
	}
	return out, nil
}

// EncodeHeaders renders headers in the form ParseHeaders reads: one JSON object, names
// sorted, without HTML escaping.
func EncodeHeaders(h map[string]string) string {
	names := HeaderNames(h)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, n)
		b.WriteByte(':')
		writeJSONString(&b, h[n])
	}
	b.WriteByte('}')
	return b.String()
}

// HeaderNames lists the names of h, sorted: what may be shown of a set of secret headers.
func HeaderNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// SetHeaders replaces the request headers of the fetches that follow (secret headers read
// after New, at cold start, from a secret store). It checks the names as New does and keeps
// a copy. It must not run while a Fetch is in progress.
func (f *Fetcher) SetHeaders(h map[string]string) error {
	for name := range h {
		if !validHeaderName(name) {
			return fmt.Errorf("source: %q is not a valid HTTP header name", name)
		}
	}
	c := make(map[string]string, len(h))
	for k, v := range h {
		c[k] = v
	}
	f.cfg.Headers = c
	return nil
}
