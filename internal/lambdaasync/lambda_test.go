package lambdaasync

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLambdaFunctionOutcomes drives LambdaFunction against an HTTP server answering the way
// AWS Lambda and the emulator do, and checks how each answer is classified.
func TestLambdaFunctionOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    string // X-Amz-Function-Error
		body      string
		wantFnErr string
		wantSys   bool
	}{
		{name: "success", status: 200, body: `{"rows":1}`},
		{name: "AWS function error header", status: 200, header: "Handled", body: `{"errorMessage":"x"}`, wantFnErr: "Handled"},
		{name: "emulator error body", status: 200, body: `{"errorMessage":"db down","errorType":"errorString"}`, wantFnErr: "Unhandled"},
		{name: "emulator runtime crash", status: 502, body: `{"errorType":"Runtime.ExitError"}`, wantFnErr: "Unhandled"},
		{name: "emulator timeout", status: 200, body: `Task timed out after 3.00 seconds`, wantFnErr: "Unhandled"},
		{name: "service error", status: 500, body: `{}`, wantSys: true},
		{name: "a result that merely has an errorMessage field among others is data", status: 200, body: `{"errorMessage":"","rows":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotID, gotPath string
			var gotBody []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotID, gotPath = r.Header.Get("X-Amzn-RequestId"), r.URL.Path
				gotBody, _ = io.ReadAll(r.Body)
				if tc.header != "" {
					w.Header().Set("X-Amz-Function-Error", tc.header)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			f := LambdaFunction{Client: NewEmulatorClient(srv.URL), Name: "function"}
			resp, err := f.Invoke(context.Background(), "req-42", []byte(`{"in":1}`))
			if (err != nil) != tc.wantSys {
				t.Fatalf("err = %v, want system error %v", err, tc.wantSys)
			}
			if gotPath != "/2015-03-31/functions/function/invocations" || gotID != "req-42" || string(gotBody) != `{"in":1}` {
				t.Errorf("request path %s, id %q, body %s", gotPath, gotID, gotBody)
			}
			if err != nil {
				return
			}
			if resp.FunctionError != tc.wantFnErr {
				t.Errorf("FunctionError = %q, want %q (payload %s)", resp.FunctionError, tc.wantFnErr, resp.Payload)
			}
			if tc.wantFnErr == "" && string(resp.Payload) != tc.body {
				t.Errorf("payload %s, want %s", resp.Payload, tc.body)
			}
		})
	}
}

// TestLambdaFunctionAsync: an asynchronous invoke asks for InvocationType Event and takes
// Lambda's 202 (queued) as success.
func TestLambdaFunctionAsync(t *testing.T) {
	var gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType = r.Header.Get("X-Amz-Invocation-Type")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	f := LambdaFunction{Client: NewEmulatorClient(srv.URL), Name: "fetcher", Async: true}
	resp, err := f.Invoke(context.Background(), "", []byte(`{"scheduledTime":"2026-11-25T10:00:00Z"}`))
	if err != nil || resp.FunctionError != "" || gotType != "Event" {
		t.Fatalf("async invoke: %+v, %v; invocation type %q, want Event", resp, err, gotType)
	}
}
