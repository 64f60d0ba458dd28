package config

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// secretToken stands for an API key: no error, String or %v of a Config may show it.
const secretToken = "tok-5ecr3t-0123"

func TestSourceHeadersDecode(t *testing.T) {
	c, err := Decode(MapSource{"lambdabridge:sourceHeaders": `{"Authorization":"Bearer ` + secretToken + `","X-Api-Key":"` + secretToken + `"}`})
	if err != nil {
		t.Fatal(err)
	}
	h := c.SourceHeaders
	if !h.IsSet() || !h.Readable() || !maps.Equal(h.Headers(), map[string]string{"Authorization": "Bearer " + secretToken, "X-Api-Key": secretToken}) {
		t.Errorf("decoded %v", h.Headers())
	}
	if got := h.Encoded(); got != `{"Authorization":"Bearer `+secretToken+`","X-Api-Key":"`+secretToken+`"}` {
		t.Errorf("Encoded = %s", got)
	}
	for _, shown := range []string{h.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(shown, secretToken) {
			t.Errorf("the value is shown: %s", shown)
		}
	}
	if h.String() != "(secret: Authorization, X-Api-Key)" {
		t.Errorf("String = %s", h.String())
	}
	in, err := c.PlannerInput()
	if err != nil || !in.SourceHeaders {
		t.Errorf("PlannerInput().SourceHeaders = %v, %v; want true", in.SourceHeaders, err)
	}
	none := Defaults()
	if none.SourceHeaders.IsSet() || none.SourceHeaders.String() != "(none)" {
		t.Errorf("default %v", none.SourceHeaders)
	}
}

func TestSourceHeadersDecodeErrors(t *testing.T) {
	// 4,096 bytes stored at most: {"X-Api-Key":"…"} is 16 bytes of JSON around the value.
	long := strings.Repeat("a", MaxSourceHeadersBytes-16+1)
	tests := []struct{ raw, want string }{
		{secretToken, `config lambdabridge:sourceHeaders: the secret value is not a JSON object of header name to value`},
		{`{"X Api":"` + secretToken + `"}`, `the secret value is not usable: header name "X Api" is not a valid HTTP header name`},
		{`{"X-Api-Key":"` + secretToken + `\n"}`, `header "X-Api-Key": the value holds a control character`},
		{`{"X-Api-Key":"` + long + `"}`, "the secret value takes 4097 bytes stored, over the 4096 bytes of a standard SSM parameter"},
	}
	for _, tc := range tests {
		_, err := Decode(MapSource{"lambdabridge:sourceHeaders": tc.raw})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sourceHeaders %.30q: %v, want %q", tc.raw, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secretToken) || strings.Contains(err.Error(), long) {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
	// Exactly 4,096 bytes stored is accepted.
	if _, err := Decode(MapSource{"lambdabridge:sourceHeaders": `{"X-Api-Key":"` + long[1:] + `"}`}); err != nil {
		t.Errorf("4096 bytes: %v", err)
	}
}

// TestSourceHeadersEncryptedInStackFile: a secure: value is what `pulumi config set --secret`
// writes; the file reader cannot decrypt it, and the planner needs only to know that it is
// set, so it plans with the secret priced, where other encrypted planner keys are refused.
func TestSourceHeadersEncryptedInStackFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"Pulumi.yaml": realProject(t), "Pulumi.prod.yaml": `
encryptionsalt: v1:abc
config:
  lambdabridge:payloadSize: 279KB
  lambdabridge:compressedSize: 19KB
  lambdabridge:sourceHeaders:
    secure: v1:c2VjcmV0aGVhZGVycw==
`})
	c, err := LoadStack(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	h := c.SourceHeaders
	if !h.IsSet() || h.Readable() || h.Headers() != nil || h.Encoded() != "" {
		t.Errorf("encrypted sourceHeaders: set %v readable %v", h.IsSet(), h.Readable())
	}
	if h.String() != "(secret: encrypted, not readable here)" {
		t.Errorf("String = %s", h.String())
	}
	c.AsOf = "2026-11-25"
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if !p.Input.SourceHeaders {
		t.Error("the plan does not count the encrypted headers")
	}
}

func TestLocalHeaders(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == HeadersEnv {
				return v
			}
			return ""
		}
	}
	plain := Defaults()
	if err := plain.Set("lambdabridge:sourceHeaders", `{"X-Api-Key":"`+secretToken+`"}`); err != nil {
		t.Fatal(err)
	}
	encrypted := Defaults()
	encrypted.SourceHeaders = opaqueSourceHeaders
	tests := []struct {
		name    string
		cfg     Config
		env     string
		want    map[string]string
		note    string
		wantErr string
	}{
		{"variable, stack sets none", Defaults(), `{"X-Api-Key":"` + secretToken + `"}`, map[string]string{"X-Api-Key": secretToken},
			"the stack sets no lambdabridge:sourceHeaders, so the deployed fetcher would send none of these headers", ""},
		{"variable wins over the stack", plain, `{"Authorization":"Bearer x"}`, map[string]string{"Authorization": "Bearer x"}, "headers from LAMBDABRIDGE_SOURCE_HEADERS (values not shown)", ""},
		{"encrypted, no variable", encrypted, "", nil, `is set but encrypted (secure:): only Pulumi can decrypt it, so no headers are sent; to send them: export LAMBDABRIDGE_SOURCE_HEADERS="$(pulumi config get sourceHeaders)"`, ""},
		{"plain text in the stack file", plain, "", map[string]string{"X-Api-Key": secretToken}, "which the stack file holds in plain text: set it with pulumi config set --secret sourceHeaders", ""},
		{"none", Defaults(), "", nil, "", ""},
		{"bad variable", Defaults(), secretToken, nil, "", "LAMBDABRIDGE_SOURCE_HEADERS: the value is not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, notes, err := tc.cfg.LocalHeaders(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), secretToken) {
					t.Errorf("err %v, want %q without the value", err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(h, tc.want) {
				t.Errorf("headers %v, %v; want %v", h, err, tc.want)
			}
			all := strings.Join(notes, "\n")
			if (tc.note == "") != (len(notes) == 0) || !strings.Contains(all, tc.note) || strings.Contains(all, secretToken) {
				t.Errorf("notes %q, want %q (and no value)", notes, tc.note)
			}
		})
	}
}
