// Package s3local serves the S3 protocol in process (gofakes3 over memory) for tests and the
// local pipeline, and builds aws-sdk-go-v2 clients for a local endpoint.
package s3local

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region local clients sign for; the server accepts any.
const Region = "us-east-1"

// Server is an in-process S3-protocol server.
type Server struct {
	srv     *httptest.Server
	backend *s3mem.Backend
}

// Start serves the given buckets. wrap, when not nil, wraps the S3 handler (to observe
// requests, as the pipeline does for notifications).
func Start(wrap func(http.Handler) http.Handler, buckets ...string) (*Server, error) {
	s := &Server{backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.CreateBucket(b); err != nil {
			return nil, err
		}
	}
	var h http.Handler = gofakes3.New(s.backend).Server()
	if wrap != nil {
		h = wrap(h)
	}
	s.srv = httptest.NewServer(h)
	return s, nil
}

// New starts a server with buckets for a test and stops it when the test ends.
func New(tb testing.TB, buckets ...string) *Server {
	tb.Helper()
	s, err := Start(nil, buckets...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// CreateBucket adds a bucket.
func (s *Server) CreateBucket(name string) error {
	if err := s.backend.CreateBucket(name); err != nil {
		return fmt.Errorf("local s3: create bucket %s: %w", name, err)
	}
	return nil
}

// URL is the endpoint (path-style), e.g. for AWS_ENDPOINT_URL_S3.
func (s *Server) URL() string { return s.srv.URL }

// Client is an S3 client for this server.
func (s *Server) Client() *s3.Client { return NewClient(s.URL()) }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// NewClient returns an S3 client for a local endpoint: path-style addressing, static dummy
// credentials, region us-east-1.
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}
