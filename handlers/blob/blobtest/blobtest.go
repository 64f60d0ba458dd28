// Package blobtest runs an in-process S3-protocol server (gofakes3 over httptest) for tests and
// returns a real aws-sdk-go-v2 S3 client pointed at it.
package blobtest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// New starts a gofakes3 server for the test, creates the buckets (names of 3 to 63
// characters) and returns a path-style client with static credentials in us-east-1, and the
// server's URL (for AWS_ENDPOINT_URL_S3). The server stops when the test ends.
func New(t testing.TB, buckets ...string) (*s3.Client, string) {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
	})
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("blobtest: create bucket %q: %v", b, err)
		}
	}
	return client, srv.URL
}
