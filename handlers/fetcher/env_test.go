package fetcher

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/blob/blobtest"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

func TestHandlerFromEnvBadConfig(t *testing.T) {
	var out bytes.Buffer
	h, err := HandlerFromEnv(context.Background(), func(string) string { return "" }, &out)
	if err == nil || !strings.Contains(err.Error(), "SOURCE_URL is required") {
		t.Fatalf("err = %v", err)
	}
	if _, herr := h(context.Background(), json.RawMessage(`{}`)); herr != err {
		t.Fatalf("handler error %v, want the config error", herr)
	}
	if !strings.Contains(out.String(), `"msg":"fetcher not configured"`) {
		t.Fatalf("log: %s", out.String())
	}
}

// TestHandlerFromEnvS3 wires the whole cold start the way Lambda runs it: the S3 client comes
// from the SDK's default chain, pointed at a local S3-protocol server by AWS_ENDPOINT_URL_S3.
func TestHandlerFromEnvS3(t *testing.T) {
	client, s3URL := blobtest.New(t, "lb-handoff")
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"n":42}`)) }))
	defer src.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": s3URL, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
	env := map[string]string{"SOURCE_URL": src.URL, "MODE": "s3", "BUCKET": "lb-handoff", "S3_FORCE_PATH_STYLE": "true"}
	var out bytes.Buffer
	h, err := HandlerFromEnv(context.Background(), func(k string) string { return env[k] }, &out)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, out.String())
	}
	var p envelope.Pointer
	if err := json.Unmarshal(resp, &p); err != nil {
		t.Fatal(err)
	}
	// Read the object back with the test's own client.
	st := &blob.Store{Client: client, Bucket: "lb-handoff"}
	e, err := st.Get(context.Background(), &p)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := e.Decode(100); err != nil || string(raw) != `{"n":42}` {
		t.Fatalf("stored %q, %v", raw, err)
	}
	// stdout holds the EMF line and the log line.
	if !strings.Contains(out.String(), `"_aws"`) || !strings.Contains(out.String(), `"msg":"fetched"`) {
		t.Fatalf("stdout:\n%s", out.String())
	}
}
