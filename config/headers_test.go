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
