package source

import (
	"maps"
	"strings"
	"testing"
)

func TestParseHeaders(t *testing.T) {
	const secret = "s3cr3t-T0KEN"
	ok := []struct {
		raw  string
		want map[string]string
	}{
		{"", nil},
		{"  ", nil},
		{`{"Authorization":"Bearer ` + secret + `"}`, map[string]string{"Authorization": "Bearer " + secret}},
		{` { "X-Api-Key" : "` + secret + `", "Accept" : "application/json" } `, map[string]string{"X-Api-Key": secret, "Accept": "application/json"}},
		{`{"X-Token":"a\tb"}`, map[string]string{"X-Token": "a\tb"}},
	}
	for _, tc := range ok {
		got, err := ParseHeaders(tc.raw)
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("ParseHeaders(%q) = %v, %v; want %v", tc.raw, got, err, tc.want)
		}
	}
	bad := []struct {
		raw, want string
	}{
		{secret, "not a JSON object of header name to value"},
		{`["` + secret + `"]`, "not a JSON object"},
		{`{"X-Api-Key":"` + secret + `"} trailing-` + secret, "text after the object"},
		{`{"X-Api-Key":"` + secret + `"`, "the JSON does not parse"},
		{`{"Bad Name":"` + secret + `"}`, `header name "Bad Name" is not a valid HTTP header name`},
		{`{"X-Api-Key":"` + secret + `","x-api-key":"` + secret + `"}`, `header "x-api-key" is given twice (also as "X-Api-Key")`},
		{`{"X-Api-Key":42}`, `header "X-Api-Key": the value is not a JSON string`},
		{`{"X-Api-Key":" "}`, `header "X-Api-Key": the value is empty`},
		{`{"X-Api-Key":"` + secret + `\r\nX-Evil: 1"}`, `header "X-Api-Key": the value holds a control character`},
		{`{}`, "names no header"},
	}
	for _, tc := range bad {
		_, err := ParseHeaders(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHeaders(%q) = %v, want an error with %q", tc.raw, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseHeaders(%q): error %q repeats the secret", tc.raw, err)
		}
	}
}

func TestEncodeHeadersRoundTrip(t *testing.T) {
	h := map[string]string{"X-Api-Key": "k<&>\"1", "Authorization": "Bearer t"}
	raw := EncodeHeaders(h)
	if raw != `{"Authorization":"Bearer t","X-Api-Key":"k<&>\"1"}` {
		t.Errorf("EncodeHeaders = %s", raw)
	}
	back, err := ParseHeaders(raw)
	if err != nil || !maps.Equal(back, h) {
		t.Errorf("round trip: %v %v", back, err)
	}
	if got := HeaderNames(h); strings.Join(got, ",") != "Authorization,X-Api-Key" {
		t.Errorf("HeaderNames = %v", got)
	}
}
