package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
)

// TestExitStatuses: -h is a success printing the flags on stdout; bad flags are 2.
func TestExitStatuses(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, exitcode.OK, ""},
		{[]string{"--help"}, exitcode.OK, ""},
		{[]string{"--nope"}, exitcode.Usage, "flag provided but not defined: -nope (run redrive -h for the flags)"},
		{[]string{}, exitcode.Usage, "--queue-url is required"},
		{[]string{"--queue-url", "q", "--writer", "w", "--wait", "21s"}, exitcode.Usage, "--wait 21s"},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out, io.Discard)
		if got := exitcode.Of(err); got != tc.code || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("run(%v): status %d, %v; want %d and %q", tc.args, got, err, tc.code, tc.want)
		}
		if tc.code == exitcode.OK && (!errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "Usage: redrive") || !strings.Contains(out.String(), "-writer-endpoint")) {
			t.Errorf("run(%v) printed %q", tc.args, out.String())
		}
	}
}

// TestNoCredentialsInOneLine: with no credentials anywhere, a redrive against AWS stops before
// any call with one line saying what to set, not the credential chain's last error (the
// instance metadata service, off EC2: here a local server with no role to give). Status 1:
// the work could not be done.
func TestNoCredentialsInOneLine(t *testing.T) {
	imds := httptest.NewServer(http.NotFoundHandler())
	defer imds.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_REGION": "ap-northeast-1",
	} {
		t.Setenv(k, v)
	}
	err := run(context.Background(), []string{"--queue-url", "https://sqs.ap-northeast-1.amazonaws.com/123456789012/dlq", "--writer", "lambdabridge-dev-writer"}, io.Discard, io.Discard)
	if exitcode.Of(err) != exitcode.Failure || err == nil {
		t.Fatalf("err = %v, want status 1", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "no AWS credentials: set AWS_PROFILE") || strings.Contains(msg, "\n") || strings.Contains(strings.ToLower(msg), "imds") || strings.Contains(strings.ToLower(msg), "metadata") {
		t.Errorf("error %q, want one line saying what to set", msg)
	}
	// A fully local redrive needs none.
	err = run(context.Background(), []string{"--queue-url", "http://127.0.0.1:1/000000000000/dlq", "--endpoint", "http://127.0.0.1:1", "--writer-endpoint", "http://127.0.0.1:1", "--wait", "0s"}, io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("local redrive: %v, want a connection error, not a credentials one", err)
	}
}
