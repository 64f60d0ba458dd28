// Package blob stores envelopes as S3 objects and reads them back.
//
// The object body is the Envelope's JSON (the compressed body base64 inside it), content type
// application/json. Its key names the fetch, as the database's fetches row does (source is one
// per stack):
//
//	<prefix><sha256[0:2]>/<sha256>.<fetchedAt, UTC, 20060102T150405.000000000Z>.envelope.json
//
// where sha256 is the hex SHA-256 of the raw fetched body. The same envelope always lands on
// the same key (a duplicated Put overwrites rather than adds an object), while two fetches of
// identical bytes at different times are two objects: a pending delivery of the earlier one
// still finds its own envelope, so the time series the database keeps loses nothing. The
// two-character fan-out keeps listings short.
package blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

// DefaultPrefix is the key prefix used when Store.Prefix is empty (env KEY_PREFIX's default).
const DefaultPrefix = "fetches/"

// KeySuffix ends every envelope object key.
const KeySuffix = ".envelope.json"

// DefaultMaxObjectBytes caps how much of an object Get reads when Store.MaxObjectBytes is 0: 128 MiB.
const DefaultMaxObjectBytes = 128 << 20

// S3API is the part of *s3.Client this package uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Store puts and gets envelope objects in one bucket.
type Store struct {
	Client S3API
	Bucket string
	// Prefix starts every key written; empty means DefaultPrefix.
	Prefix string
	// MaxObjectBytes caps the size of an object read by Get/GetKey; 0 means DefaultMaxObjectBytes.
	MaxObjectBytes int64
}

// KeyTimeFormat is the layout of the fetch time in an object key (UTC, nanoseconds, sortable).
const KeyTimeFormat = "20060102T150405.000000000Z"

// Key returns the object key of the fetch whose raw body hashes to sha256hex (at least two hex
// digits) and that was fetched at fetchedAt.
func Key(prefix, sha256hex string, fetchedAt time.Time) string {
	return prefix + sha256hex[:2] + "/" + sha256hex + "." + fetchedAt.UTC().Format(KeyTimeFormat) + KeySuffix
}

func (s *Store) prefix() string {
	if s.Prefix == "" {
		return DefaultPrefix
	}
	return s.Prefix
}

// Put validates e, writes its JSON to the bucket under its content-addressed key and returns
// the pointer to it.
func (s *Store) Put(ctx context.Context, e *envelope.Envelope) (*envelope.Pointer, error) {
	if s.Bucket == "" {
		return nil, errors.New("blob: put: no bucket configured")
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("blob: put: %w", err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("blob: put: marshal envelope: %w", err)
	}
	key := Key(s.prefix(), e.SHA256, e.FetchedAt)
	_, err = s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
		Metadata:      metadataOf(e),
	})
	if err != nil {
		return nil, fmt.Errorf("blob: put s3://%s/%s (%d bytes): %w", s.Bucket, key, len(body), err)
	}
	return &envelope.Pointer{
		Kind:             envelope.PointerKind,
		Bucket:           s.Bucket,
		Key:              key,
		SHA256:           e.SHA256,
		RawLength:        e.RawLength,
		CompressedLength: e.CompressedLength,
		Source:           e.Source,
		FetchedAt:        e.FetchedAt,
		ScheduledAt:      e.ScheduledAt,
		ExecutionID:      e.ExecutionID,
	}, nil
}

// Object metadata keys (S3 lower-cases them and sends them as x-amz-meta-*). The scheduled
// run's time and execution id are there as well as in the envelope, so the object names its
// run for whoever lists the bucket (in s3 mode the writer, started by the S3 notification,
// never sees the schedule's event; GetKey holds the two to agree).
const (
	metaSHA256      = "sha256"
	metaRawLength   = "rawlength"
	metaScheduledAt = "scheduled-time"
	metaExecutionID = "execution-id"
)

// metadataOf is the object metadata of e.
func metadataOf(e *envelope.Envelope) map[string]string {
	m := map[string]string{metaSHA256: e.SHA256, metaRawLength: strconv.FormatInt(e.RawLength, 10)}
	if e.ScheduledAt != nil {
		m[metaScheduledAt] = e.ScheduledAt.UTC().Format(time.RFC3339Nano)
	}
	if e.ExecutionID != "" {
		m[metaExecutionID] = e.ExecutionID
	}
	return m
}

// checkMetadata refuses an object whose metadata names another scheduled run than the
// envelope in it does. Objects written before the run was recorded have none: nothing to check.
func checkMetadata(meta map[string]string, e *envelope.Envelope) error {
	if got, ok := meta[metaScheduledAt]; ok {
		at, err := time.Parse(time.RFC3339Nano, got)
		if err != nil || e.ScheduledAt == nil || !at.Equal(*e.ScheduledAt) {
			return fmt.Errorf("metadata %s %q does not match the envelope's scheduled time", metaScheduledAt, got)
		}
	}
	if got, ok := meta[metaExecutionID]; ok && got != e.ExecutionID {
		return fmt.Errorf("metadata %s %q does not match the envelope's %q", metaExecutionID, got, e.ExecutionID)
	}
	return nil
}

// GetKey reads the envelope object at bucket/key and parses it strictly (envelope.DecodeJSON).
// If Store.Bucket is set, bucket must equal it. It does not decompress: call Decode on the
// result, which checks the body against the envelope's SHA-256.
func (s *Store) GetKey(ctx context.Context, bucket, key string) (*envelope.Envelope, error) {
	if bucket == "" || key == "" {
		return nil, fmt.Errorf("blob: get: bucket %q and key %q must both be set", bucket, key)
	}
	if s.Bucket != "" && bucket != s.Bucket {
		return nil, fmt.Errorf("blob: get s3://%s/%s: bucket is not the configured bucket %q", bucket, key, s.Bucket)
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("blob: get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	limit := s.MaxObjectBytes
	if limit <= 0 {
		limit = DefaultMaxObjectBytes
	}
	if out.ContentLength != nil && *out.ContentLength > limit {
		return nil, fmt.Errorf("blob: get s3://%s/%s: object is %d bytes, over the cap of %d", bucket, key, *out.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("blob: get s3://%s/%s: read: %w", bucket, key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("blob: get s3://%s/%s: object is over the cap of %d bytes", bucket, key, limit)
	}
	e, err := envelope.DecodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("blob: get s3://%s/%s: %w", bucket, key, err)
	}
	if err := checkMetadata(out.Metadata, e); err != nil {
		return nil, fmt.Errorf("blob: get s3://%s/%s: %w", bucket, key, err)
	}
	return e, nil
}

// Get reads the object a pointer names and checks that the envelope in it is the one the
// pointer describes (SHA-256 and both lengths).
func (s *Store) Get(ctx context.Context, p *envelope.Pointer) (*envelope.Envelope, error) {
	if p == nil {
		return nil, errors.New("blob: get: nil pointer")
	}
	if p.Kind != envelope.PointerKind {
		return nil, fmt.Errorf("blob: get: pointer kind %q, want %q", p.Kind, envelope.PointerKind)
	}
	e, err := s.GetKey(ctx, p.Bucket, p.Key)
	if err != nil {
		return nil, err
	}
	if e.SHA256 != p.SHA256 || e.RawLength != p.RawLength || e.CompressedLength != p.CompressedLength {
		return nil, fmt.Errorf("blob: get s3://%s/%s: object holds sha256 %s (raw %d, compressed %d) but the pointer says %s (raw %d, compressed %d)",
			p.Bucket, p.Key, e.SHA256, e.RawLength, e.CompressedLength, p.SHA256, p.RawLength, p.CompressedLength)
	}
	if !e.FetchedAt.Equal(p.FetchedAt) || e.Source != p.Source {
		// The source URL may carry a secret in its query: only say whether it differs.
		return nil, fmt.Errorf("blob: get s3://%s/%s: object holds the fetch at %s but the pointer names the fetch at %s (same source: %v)",
			p.Bucket, p.Key, e.FetchedAt.Format(time.RFC3339Nano), p.FetchedAt.Format(time.RFC3339Nano), e.Source == p.Source)
	}
	return e, nil
}

// NewS3Client builds an S3 client from the default AWS configuration chain (region,
// credentials, and the SDK's own endpoint override AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
// pathStyle (a handler's S3_FORCE_PATH_STYLE setting) selects path-style addressing, needed
// by local S3-protocol servers.
func NewS3Client(ctx context.Context, pathStyle bool) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("blob: load AWS config: %w", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), nil
}
