package pipeline

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdabridge/lambdabridge/internal/s3local"
)

// S3 is a local S3-protocol server (gofakes3, in process) that, like S3 with an
// ObjectCreated notification to a Lambda function, records every object PUT under a prefix
// so the pipeline can invoke the writer with the S3 event notification.
type S3 struct {
	srv    *s3local.Server
	Bucket string
	prefix string

	mu      sync.Mutex
	created []events.S3EventRecord
	puts    int
}

// NewS3 starts the server with the handoff bucket and any others (the failure bucket);
// notifications fire for keys under prefix in the handoff bucket.
func NewS3(bucket, prefix string, others ...string) (*S3, error) {
	s := &S3{Bucket: bucket, prefix: prefix}
	srv, err := s3local.Start(func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w, status: 200}
			inner.ServeHTTP(rec, r)
			if r.Method == http.MethodPut && rec.status == http.StatusOK && isObjectPut(r.URL.Query()) {
				s.notePut(r)
			}
		})
	}, append([]string{bucket}, others...)...)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// URL is the endpoint (path-style) for AWS_ENDPOINT_URL_S3.
func (s *S3) URL() string { return s.srv.URL() }

// Client is an S3 client for this server.
func (s *S3) Client() *s3.Client { return s.srv.Client() }

// Close stops the server.
func (s *S3) Close() { s.srv.Close() }

// Puts counts successful object PUTs.
func (s *S3) Puts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts
}

func (s *S3) notePut(r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket != s.Bucket {
		return
	}
	size, _ := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	if size == 0 {
		size = r.ContentLength
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if !strings.HasPrefix(key, s.prefix) {
		return
	}
	var rec events.S3EventRecord
	rec.EventVersion = "2.1"
	rec.EventSource = "aws:s3"
	rec.AWSRegion = "us-east-1"
	rec.EventTime = time.Now().UTC()
	rec.EventName = "ObjectCreated:Put"
	rec.S3.SchemaVersion = "1.0"
	rec.S3.ConfigurationID = "lambdabridge-writer"
	rec.S3.Bucket.Name = s.Bucket
	rec.S3.Bucket.Arn = "arn:aws:s3:::" + s.Bucket
	rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/") // S3 URL-encodes keys in notifications, keeping "/"
	rec.S3.Object.Size = size
	s.created = append(s.created, rec)
}

// Notifications returns and clears the S3 event notifications (one per created object, as S3
// sends them to a Lambda function) since the last call.
func (s *S3) Notifications() ([][]byte, error) {
	s.mu.Lock()
	recs := s.created
	s.created = nil
	s.mu.Unlock()
	var out [][]byte
	for _, r := range recs {
		b, err := json.Marshal(events.S3Event{Records: []events.S3EventRecord{r}})
		if err != nil {
			return nil, fmt.Errorf("s3 event notification: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// isObjectPut tells a PutObject (the SDK adds ?x-id=PutObject) from sub-resource PUTs
// (multipart parts, tagging, ACLs) that create no object.
func isObjectPut(q url.Values) bool {
	for _, sub := range []string{"uploadId", "partNumber", "tagging", "acl", "retention", "legal-hold"} {
		if q.Has(sub) {
			return false
		}
	}
	return true
}
