// Package blobtest runs an in-process S3-protocol server (internal/s3local: gofakes3 over
// httptest) for tests and returns a real aws-sdk-go-v2 S3 client pointed at it.
package blobtest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdabridge/lambdabridge/internal/s3local"
)

// New starts a server for the test with the buckets (names of 3 to 63 characters) and returns
// a path-style client with static credentials in us-east-1, and the server's URL (for
// AWS_ENDPOINT_URL_S3). The server stops when the test ends.
func New(t testing.TB, buckets ...string) (*s3.Client, string) {
	t.Helper()
	srv := s3local.New(t, buckets...)
	return srv.Client(), srv.URL()
}
