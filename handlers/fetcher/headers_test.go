package fetcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lambdabridge/lambdabridge/internal/ssmlocal"
)

// apiKey stands for a real API key: it may reach the source's request and nowhere else.
const apiKey = "k-9f8e7d6c5b4a-SECRET"

// fakeSSM answers GetParameter from a map and records what it was asked.
type fakeSSM struct {
	values map[string]string
	err    error
	calls  []ssm.GetParameterInput
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.calls = append(f.calls, *in)
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.values[aws.ToString(in.Name)]
	if !ok {
		return nil, &types.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &types.Parameter{Name: in.Name, Value: aws.String(v), Type: types.ParameterTypeSecureString}}, nil
}

func TestReadHeaders(t *testing.T) {
	api := &fakeSSM{values: map[string]string{
		"/lb-dev/source-headers": `{"X-Api-Key":"` + apiKey + `"}`,
		"/lb-dev/bad":            `X-Api-Key: ` + apiKey,
		"/lb-dev/bad-name":       `{"X Api Key":"` + apiKey + `"}`,
	}}
	h, err := ReadHeaders(context.Background(), api, "/lb-dev/source-headers")
	if err != nil || !maps.Equal(h, map[string]string{"X-Api-Key": apiKey}) {
		t.Fatalf("ReadHeaders = %v, %v", h, err)
	}
	if c := api.calls[0]; aws.ToString(c.Name) != "/lb-dev/source-headers" || !aws.ToBool(c.WithDecryption) {
		t.Errorf("asked for %s WithDecryption=%v; want the parameter, decrypted", aws.ToString(c.Name), aws.ToBool(c.WithDecryption))
	}
	for name, want := range map[string]string{
		"/lb-dev/bad":      "SSM parameter /lb-dev/bad is not a JSON object of header name to value",
		"/lb-dev/bad-name": `SSM parameter /lb-dev/bad-name is header name "X Api Key" is not a valid HTTP header name`,
		"/lb-dev/missing":  "read SSM parameter /lb-dev/missing: ",
	} {
		_, err := ReadHeaders(context.Background(), api, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		} else if strings.Contains(err.Error(), apiKey) {
			t.Errorf("%s: the error holds the secret: %v", name, err)
		}
	}
}

func TestSettingsHeadersParameter(t *testing.T) {
	env := map[string]string{"SOURCE_URL": "https://api.example.com/x", "SOURCE_HEADERS_PARAMETER": "/lb-dev/source-headers",
		"SOURCE_HEADERS_DUALSTACK": "true", "ASYNC_LIMIT_BYTES": "1048576"}
	s, err := SettingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.Source.HeadersParameter != "/lb-dev/source-headers" || !s.Source.HeadersDualStack || s.Source.Config.Headers != nil {
		t.Errorf("source settings %+v", s.Source)
	}
	if got := s.Env(); !maps.Equal(got, map[string]string{"SOURCE_URL": "https://api.example.com/x", "SOURCE_HEADERS_PARAMETER": "/lb-dev/source-headers",
		"SOURCE_HEADERS_DUALSTACK": "true", "ASYNC_LIMIT_BYTES": "1048576", "MODE": "destination", "KEY_PREFIX": "fetches/", "SPILL": "false"}) {
		t.Errorf("Env() = %v", got)
	}
	// Headers read from the parameter never reach the environment Env renders.
	s.Source.Config.Headers = map[string]string{"X-Api-Key": apiKey}
	for k, v := range s.Env() {
		if strings.Contains(v, apiKey) {
			t.Errorf("Env()[%s] holds the secret", k)
		}
	}
	env["SOURCE_HEADERS"] = `{"X-Api-Key":"API_KEY"}`
	env["API_KEY"] = apiKey
	if _, err := SettingsFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "set one") {
		t.Errorf("both ways at once: %v", err)
	}
}

// TestHandlerReadsHeadersFromSSM runs the cold start as Lambda does, against a local
// Parameter Store reached through the SDK's own chain (AWS_ENDPOINT_URL_SSM): the source
// demands the key; one cold start reads the parameter once, decrypted (one KMS Decrypt), and
// later invocations reuse it; the key is in no log line, no EMF line and no response.
func TestHandlerReadsHeadersFromSSM(t *testing.T) {
	store := ssmlocal.New()
	defer store.Close()
	store.PutSecureString("/lb-dev/source-headers", `{"X-Api-Key":"`+apiKey+`"}`)
	var served atomic.Int32
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != apiKey {
			http.Error(w, "missing or wrong X-Api-Key", http.StatusUnauthorized)
			return
		}
		served.Add(1)
		w.Write([]byte(`{"n":1}`))
	}))
	defer src.Close()
	sdkEnv(t, store.URL())
	env := map[string]string{"SOURCE_URL": src.URL, "SOURCE_HEADERS_PARAMETER": "/lb-dev/source-headers", "ASYNC_LIMIT_BYTES": "1048576", "FETCH_RETRIES": "0"}
	var out bytes.Buffer
	h, err := HandlerFromEnv(context.Background(), func(k string) string { return env[k] }, &out)
	if err != nil {
		t.Fatal(err)
	}
	if store.Reads() != 1 || store.Decrypts() != 1 {
		t.Errorf("cold start: %d reads, %d decrypts; want 1 and 1", store.Reads(), store.Decrypts())
	}
	for i := range 3 {
		resp, err := h(context.Background(), json.RawMessage(`{}`))
		if err != nil {
			t.Fatalf("invoke %d: %v\n%s", i, err, out.String())
		}
		if bytes.Contains(resp, []byte(apiKey)) {
			t.Errorf("the response holds the key")
		}
	}
	if served.Load() != 3 || store.Reads() != 1 || store.Decrypts() != 1 {
		t.Errorf("3 invocations: source served %d, %d reads, %d decrypts; want 3, 1, 1 (once per cold start)", served.Load(), store.Reads(), store.Decrypts())
	}
	if strings.Contains(out.String(), apiKey) {
		t.Errorf("stdout (logs and EMF) holds the key:\n%s", out.String())
	}
}

// TestHandlerRetriesAFailedRead: a read that fails at cold start (the parameter not there
// yet) is logged without a value and tried again by the next invocation, which then succeeds.
func TestHandlerRetriesAFailedRead(t *testing.T) {
	store := ssmlocal.New()
	defer store.Close()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != apiKey {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"n":1}`))
	}))
	defer src.Close()
	sdkEnv(t, store.URL())
	env := map[string]string{"SOURCE_URL": src.URL, "SOURCE_HEADERS_PARAMETER": "/lb-dev/source-headers", "ASYNC_LIMIT_BYTES": "1048576", "FETCH_RETRIES": "0"}
	var out bytes.Buffer
	h, err := HandlerFromEnv(context.Background(), func(k string) string { return env[k] }, &out)
	if err != nil {
		t.Fatalf("a failed read is not a configuration error: %v", err)
	}
	if !strings.Contains(out.String(), "source headers not read at cold start") {
		t.Errorf("the failed read is not logged:\n%s", out.String())
	}
	if _, err := h(context.Background(), json.RawMessage(`{}`)); err == nil || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Fatalf("invoke without the parameter: %v, want ParameterNotFound", err)
	}
	store.PutSecureString("/lb-dev/source-headers", `{"X-Api-Key":"`+apiKey+`"}`)
	if _, err := h(context.Background(), json.RawMessage(`{}`)); err != nil {
		t.Fatalf("invoke once the parameter exists: %v", err)
	}
	if store.Reads() != 3 || store.Decrypts() != 1 {
		t.Errorf("%d reads, %d decrypts; want 3 (cold start, two invocations) and 1 (the one that found it)", store.Reads(), store.Decrypts())
	}
}

func TestNewParameterClientDualStack(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "ap-northeast-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_ENDPOINT_URL_SSM": "", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	for _, tc := range []struct {
		dual bool
		host string
	}{{false, "ssm.ap-northeast-1.amazonaws.com"}, {true, "ssm.ap-northeast-1.api.aws"}} {
		c, err := NewParameterClient(context.Background(), tc.dual)
		if err != nil {
			t.Fatal(err)
		}
		var host string
		_, err = c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")}, func(o *ssm.Options) {
			o.HTTPClient = &hostRecorder{host: &host}
		})
		if !errors.Is(err, errRecorded) || host != tc.host {
			t.Errorf("dual-stack %v: request to %q (%v), want %s", tc.dual, host, err, tc.host)
		}
	}
}

var errRecorded = errors.New("recorded")

// hostRecorder is an HTTP client that notes the host it is asked for and sends nothing.
type hostRecorder struct{ host *string }

func (h *hostRecorder) Do(r *http.Request) (*http.Response, error) {
	*h.host = r.URL.Host
	return nil, errRecorded
}

// sdkEnv points the SDK's default chain at the local Parameter Store with test keys.
func sdkEnv(t *testing.T, endpoint string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SSM": endpoint, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
}
